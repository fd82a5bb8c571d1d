//! Tamper analysis (U4): occlusion (type 04) and angle moved (type 05) against a reference view.
