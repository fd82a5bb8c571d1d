//! Durability under SIGKILL: 16 clients upload concurrently, the platform process is killed,
//! restarted on the same data directory; every upload that got `226` is present exactly once,
//! with the bytes the client sent, and nothing is present that no client sent.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eseal::assets::jpeg_with_rectangle;
use serde_json::Value;
use sha2::{Digest, Sha256};
use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;

struct Server {
    child: Child,
    ready: Value,
}

impl Drop for Server {
    /// Never leave a platform process behind, whatever the test did.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path) -> Server {
    let ready_file = data.join("ready.json");
    let _ = std::fs::remove_file(&ready_file);
    let child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args([
            "platform",
            "serve",
            "--demo",
            "--ftp-addr",
            "127.0.0.1:0",
            "--https-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(data)
        .arg("--ready-file")
        .arg(&ready_file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        ready: Value::Null,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(&ready_file)
            && let Ok(ready) = serde_json::from_str::<Value>(&text)
        {
            server.ready = ready;
            return server;
        }
        assert!(Instant::now() < deadline, "platform did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[derive(Default)]
struct Ledger {
    sent: HashMap<String, String>, // name → sha256 of the bytes sent
    acked: HashSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_upload_survives_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("platform");
    let mut server = start(&data);
    let ftp_addr: std::net::SocketAddr = server.ready["ftp"].as_str().unwrap().parse().unwrap();
    let account = server.ready["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["mine"] == "140421007866")
        .unwrap()
        .clone();
    let (user, pass) = (
        account["username"].as_str().unwrap().to_owned(),
        account["password"].as_str().unwrap().to_owned(),
    );

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut clients = Vec::new();
    for c in 0..16u32 {
        let (ledger, user, pass) = (ledger.clone(), user.clone(), pass.clone());
        clients.push(tokio::spawn(async move {
            let Ok(mut ftp) = AsyncFtpStream::connect(ftp_addr).await else {
                return;
            };
            if ftp.login(user.as_str(), pass.as_str()).await.is_err()
                || ftp.transfer_type(FileType::Binary).await.is_err()
            {
                return;
            }
            for i in 0..10_000u32 {
                // camera 10..25, count i: distinct names per client.
                let name = format!("140421007866{:02}01{:04}20261128093000.jpg", 10 + c, i);
                let bytes =
                    jpeg_with_rectangle(320, 180, (100, 40, 60, 100), c * 10_000 + i).unwrap();
                ledger
                    .lock()
                    .unwrap()
                    .sent
                    .insert(name.clone(), hex::encode(Sha256::digest(&bytes)));
                match ftp.put_file(&name, &mut bytes.as_slice()).await {
                    Ok(_) => {
                        ledger.lock().unwrap().acked.insert(name);
                    }
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Let a good number of uploads complete, then kill the server mid-stream.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ledger.lock().unwrap().acked.len() < 150 {
        assert!(Instant::now() < deadline, "uploads did not get going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for c in clients {
        let _ = tokio::time::timeout(Duration::from_secs(30), c).await;
    }
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(ledger.acked.len() >= 150);
    assert!(
        ledger.sent.len() > ledger.acked.len(),
        "some uploads must have been in flight at the kill"
    );

    // Restart on the same data directory and read back what the platform holds.
    let mut server = start(&data);
    let store = eseal_platform::store::Store::open(data.join("platform.sqlite3")).unwrap();
    let rows: Vec<(String, String, i64)> = store
        .read_blocking(|conn| {
            conn.query(
                "SELECT name, sha256, COUNT(*) OVER (PARTITION BY name) AS n FROM events",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.text("name")?, r.text("sha256")?, r.i64("n")?)))
            .collect()
        })
        .unwrap();
    let integrity: String = store
        .read_blocking(|conn| {
            conn.query_one("PRAGMA integrity_check", &[])?
                .text("integrity_check")
        })
        .unwrap();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert_eq!(integrity, "ok");

    let present: HashMap<&str, &str> = rows
        .iter()
        .map(|(n, s, _)| (n.as_str(), s.as_str()))
        .collect();
    for (name, _, count) in &rows {
        assert_eq!(*count, 1, "{name} is present {count} times");
    }
    let lost: Vec<_> = ledger
        .acked
        .iter()
        .filter(|n| !present.contains_key(n.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged uploads lost after SIGKILL: {lost:?}",
        lost.len()
    );
    for (name, sha) in &present {
        let sent = ledger
            .sent
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is present but no client sent it"));
        assert_eq!(sent, sha, "{name}: stored bytes differ from the bytes sent");
        let blob = data.join("evidence").join(&sha[..2]).join(sha);
        let bytes = std::fs::read(&blob)
            .unwrap_or_else(|e| panic!("{name}: evidence {blob:?} missing: {e}"));
        assert_eq!(
            &hex::encode(Sha256::digest(&bytes)),
            sha,
            "{name}: evidence blob corrupt"
        );
    }
    println!(
        "sent {} (acked {}), present after restart {} (acked present {}, unacked but committed {})",
        ledger.sent.len(),
        ledger.acked.len(),
        present.len(),
        ledger.acked.len(),
        present.len() - ledger.acked.len()
    );
}
