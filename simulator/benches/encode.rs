//! x264 encode throughput (placeholder until the output module lands).
fn main() {}
