//! Belt and skip analysis (E2, U3): running / stopped, loaded / empty, skip trips.
