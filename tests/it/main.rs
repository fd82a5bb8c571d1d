//! End-to-end tests of the `eseal` binary and the whole chain. One test binary (ripgrep style).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod architecture;
mod certify;
mod certify_external;
mod certify_mine;
mod cli;
mod crash;
mod demo;
mod edge_device;
mod edge_equipment;
pub mod edge_live;
mod edge_people;
mod edge_trucks;
mod external_streams;
mod ingest;
mod load_alarms;
mod report;
mod sign;
mod sim;
mod stream_decode;

/// A spawned process, killed when the test ends however it ends.
#[derive(Debug)]
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for a `--ready-file` to hold JSON; panics after `secs` naming `what`.
pub fn wait_for_json(path: &std::path::Path, secs: u64, what: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(v) = serde_json::from_str(&text)
        {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not come up in {secs} s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
