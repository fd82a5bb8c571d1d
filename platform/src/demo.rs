//! Demo data (in progress).
