//! The durable spool on a real directory: items survive a reopen in order and byte for byte,
//! sequence numbers never go back, damaged or torn items go to `corrupt/` with a reason, temp
//! files of interrupted writes are removed, and ack / reject keep their records — also when a
//! crash interrupted them half-way.

use std::path::Path;

use eseal_protocol::{EvidenceName, LockEventMetadata, StreamRegistration};
use eseal_vision::evidence::Outgoing;
use eseal_vision::spool::{Channel, Loaded, Spool, SpoolCounts};
use serde_json::json;
use sha2::{Digest, Sha256};

fn ftp(name: &str, bytes: &[u8]) -> Outgoing {
    Outgoing::Ftp {
        name: EvidenceName::parse(name).unwrap().name,
        bytes: bytes.to_vec(),
    }
}

fn lock(name: &str, video: &[u8]) -> Outgoing {
    let metadata: LockEventMetadata = serde_json::from_value(json!({
        "mine_code": &name[..12], "lock_code": &name[12..14], "lock_state": &name[14..18],
        "time": &name[18..32], "file_name": name, "duration_s": 10.0,
        "device_id": "box-1", "description": "提升机电子锁被挪动"
    }))
    .unwrap();
    Outgoing::Lock {
        metadata,
        video: video.to_vec(),
    }
}

fn stream(camera: &str, url: &str) -> Outgoing {
    let registration: StreamRegistration = serde_json::from_value(json!({
        "mine_code": "140421007866", "camera_code": camera, "url": url, "codec": "mjpeg"
    }))
    .unwrap();
    Outgoing::Stream { registration }
}

/// Four items of every channel; the payloads hold every byte value (a CR/LF rewrite would show).
fn items() -> Vec<Outgoing> {
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    vec![
        ftp("1404210078662001000520210104224515.jpg", &all_bytes),
        lock(
            "14042100786610000120210104121546.mp4",
            b"\r\n\x00mp4 bytes\n\r",
        ),
        stream("20", "http://10.0.0.5:8090/cam/20?action=stream"),
        ftp("14042100786610030120210104121546.mp4", &all_bytes[7..]),
    ]
}

fn load(spool: &mut Spool, seq: u64) -> Outgoing {
    match spool.load(seq).unwrap() {
        Loaded::Item(i) => {
            assert_eq!(i.seq, seq);
            i.item
        }
        Loaded::Corrupt(c) => panic!("item {seq} corrupt: {}", c.reason),
    }
}

fn seqs(spool: &Spool) -> Vec<u64> {
    spool.pending().iter().map(|e| e.seq).collect()
}

fn file(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(name)
}

#[test]
fn pushed_items_come_back_after_reopen_in_order_with_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    {
        let mut spool = Spool::open(dir.path()).unwrap();
        for (i, item) in items.iter().enumerate() {
            assert_eq!(spool.push(item).unwrap(), i as u64 + 1);
        }
        // durable before push returned: both files are in place
        assert!(file(dir.path(), "000000000001.json").is_file());
        assert!(file(dir.path(), "000000000001.bin").is_file());
    }
    let mut spool = Spool::open(dir.path()).unwrap();
    assert_eq!(seqs(&spool), [1, 2, 3, 4]);
    let pending = spool.pending();
    assert_eq!(
        pending.iter().map(|e| e.channel).collect::<Vec<_>>(),
        [Channel::Ftp, Channel::Lock, Channel::Stream, Channel::Ftp]
    );
    assert_eq!(pending[0].label, "1404210078662001000520210104224515.jpg");
    assert_eq!(pending[2].label, "stream 20");
    assert_eq!(
        pending[0].sha256,
        hex::encode(Sha256::digest(items[0].payload()))
    );
    for (i, item) in items.iter().enumerate() {
        assert_eq!(&load(&mut spool, i as u64 + 1), item, "item {}", i + 1);
    }
    // loading does not consume
    assert_eq!(spool.counts().pending, 4);
    assert_eq!(spool.recovery(), &Default::default());
}

#[test]
fn sequence_numbers_continue_after_reopen_even_with_an_empty_queue() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    {
        let mut spool = Spool::open(dir.path()).unwrap();
        for item in &items[..3] {
            spool.push(item).unwrap();
        }
        spool.ack(1).unwrap();
        spool.ack(2).unwrap();
        spool.reject(3, "HTTP 422 invalid_body: url: …").unwrap();
        assert_eq!(spool.counts().pending, 0);
    }
    let mut spool = Spool::open(dir.path()).unwrap();
    assert_eq!(spool.next_seq(), 4);
    assert_eq!(spool.push(&items[3]).unwrap(), 4);
    drop(spool);
    // the last number was only ever recorded in rejected/ (the queue and sent.log end lower)
    let dir2 = tempfile::tempdir().unwrap();
    {
        let mut spool = Spool::open(dir2.path()).unwrap();
        spool.push(&items[0]).unwrap();
        spool.push(&items[1]).unwrap();
        spool.ack(1).unwrap();
        spool.reject(2, "FTP 550 not yours").unwrap();
    }
    assert_eq!(Spool::open(dir2.path()).unwrap().next_seq(), 3);
}

#[test]
fn ack_and_reject_keep_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    let mut spool = Spool::open(dir.path()).unwrap();
    for item in &items {
        spool.push(item).unwrap();
    }
    spool.ack(1).unwrap();
    spool
        .reject(2, "HTTP 403 mine_mismatch: mine: another mine's code")
        .unwrap();
    assert_eq!(seqs(&spool), [3, 4]);
    assert_eq!(
        spool.counts(),
        SpoolCounts {
            pending: 2,
            sent: 1,
            rejected: 1,
            corrupt: 0
        }
    );
    // sent.log: one JSON line with seq, label, sha256, time; the files are gone
    let log = std::fs::read_to_string(dir.path().join("sent.log")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["label"], "1404210078662001000520210104224515.jpg");
    assert_eq!(
        lines[0]["sha256"],
        hex::encode(Sha256::digest(items[0].payload()))
    );
    assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
    assert!(!file(dir.path(), "000000000001.json").exists());
    assert!(!file(dir.path(), "000000000001.bin").exists());
    // rejected/: the item, whole, and the reason
    for f in [
        "000000000002.json",
        "000000000002.bin",
        "000000000002.reason.json",
    ] {
        assert!(dir.path().join("rejected").join(f).is_file(), "{f}");
    }
    assert_eq!(
        std::fs::read(dir.path().join("rejected/000000000002.bin")).unwrap(),
        items[1].payload()
    );
    assert_eq!(
        spool.rejection_reason(2).as_deref(),
        Some("HTTP 403 mine_mismatch: mine: another mine's code")
    );
    // items that are not queued cannot be acked, rejected or loaded again
    assert!(spool.ack(1).is_err());
    assert!(spool.reject(1, "x").is_err());
    assert!(spool.load(2).is_err());
    drop(spool);
    let spool = Spool::open(dir.path()).unwrap();
    assert_eq!(
        spool.counts(),
        SpoolCounts {
            pending: 2,
            sent: 1,
            rejected: 1,
            corrupt: 0
        }
    );
}

#[test]
fn damaged_payload_goes_to_corrupt_with_the_reason_and_the_queue_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    let mut spool = Spool::open(dir.path()).unwrap();
    for item in &items {
        spool.push(item).unwrap();
    }
    // one flipped byte in item 1, item 2 truncated (a torn write)
    let bin1 = dir.path().join("000000000001.bin");
    let mut b = std::fs::read(&bin1).unwrap();
    b[100] ^= 0x01;
    std::fs::write(&bin1, &b).unwrap();
    let bin2 = dir.path().join("000000000002.bin");
    let b = std::fs::read(&bin2).unwrap();
    std::fs::write(&bin2, &b[..b.len() / 2]).unwrap();

    match spool.load(1).unwrap() {
        Loaded::Corrupt(c) => {
            assert_eq!(c.seq, 1);
            assert!(c.reason.contains("SHA-256"), "{}", c.reason);
            assert_eq!(
                c.label.as_deref(),
                Some("1404210078662001000520210104224515.jpg")
            );
        }
        Loaded::Item(_) => panic!("a damaged payload was loaded"),
    }
    match spool.load(2).unwrap() {
        Loaded::Corrupt(c) => assert!(c.reason.contains("truncated"), "{}", c.reason),
        Loaded::Item(_) => panic!("a truncated payload was loaded"),
    }
    // kept aside, never dropped
    for f in [
        "000000000001.bin",
        "000000000001.json",
        "000000000001.reason.json",
        "000000000002.bin",
    ] {
        assert!(dir.path().join("corrupt").join(f).is_file(), "{f}");
    }
    let reason: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("corrupt/000000000001.reason.json")).unwrap(),
    )
    .unwrap();
    assert!(reason["reason"].as_str().unwrap().contains("SHA-256"));
    assert_eq!(seqs(&spool), [3, 4]);
    assert_eq!(&load(&mut spool, 3), &items[2]);
    assert_eq!(spool.counts().corrupt, 2);
    drop(spool);
    let spool = Spool::open(dir.path()).unwrap();
    assert_eq!(spool.counts().corrupt, 2);
    assert_eq!(spool.next_seq(), 5);
}

#[test]
fn torn_items_found_on_open_go_to_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    {
        let mut spool = Spool::open(dir.path()).unwrap();
        for item in &items {
            spool.push(item).unwrap();
        }
    }
    // 1: payload gone; 2: metadata gone (a crash between the two renames); 3: metadata garbled
    std::fs::remove_file(dir.path().join("000000000001.bin")).unwrap();
    std::fs::remove_file(dir.path().join("000000000002.json")).unwrap();
    std::fs::write(dir.path().join("000000000003.json"), b"{\"format\":1,\"se").unwrap();
    let mut spool = Spool::open(dir.path()).unwrap();
    let corrupt = &spool.recovery().corrupt;
    assert_eq!(corrupt.iter().map(|c| c.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(corrupt[0].reason.contains("payload file missing"));
    assert_eq!(
        corrupt[0].label.as_deref(),
        Some("1404210078662001000520210104224515.jpg")
    );
    assert!(corrupt[1].reason.contains("metadata file missing"));
    assert!(corrupt[2].reason.contains("metadata is not valid"));
    assert!(dir.path().join("corrupt/000000000002.bin").is_file());
    assert!(dir.path().join("corrupt/000000000003.json").is_file());
    assert_eq!(seqs(&spool), [4]);
    assert_eq!(&load(&mut spool, 4), &items[3]);
    assert_eq!(spool.counts().corrupt, 3);
    assert_eq!(spool.next_seq(), 5);
}

#[test]
fn temp_files_of_an_interrupted_push_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    {
        let mut spool = Spool::open(dir.path()).unwrap();
        spool.push(&items[0]).unwrap();
    }
    for f in [
        "000000000002.bin.tmp",
        "000000000002.json.tmp",
        "rejected/000000000002.reason.json.tmp",
    ] {
        std::fs::write(dir.path().join(f), b"half").unwrap();
    }
    std::fs::write(dir.path().join("README.txt"), b"operator notes").unwrap();
    let mut spool = Spool::open(dir.path()).unwrap();
    let removed = &spool.recovery().temp_files_removed;
    assert_eq!(removed.len(), 3, "{removed:?}");
    for f in [
        "000000000002.bin.tmp",
        "000000000002.json.tmp",
        "rejected/000000000002.reason.json.tmp",
    ] {
        assert!(!dir.path().join(f).exists(), "{f} left behind");
    }
    // files that are not the spool's are left alone and reported
    assert!(dir.path().join("README.txt").is_file());
    assert_eq!(spool.recovery().foreign_files.len(), 1);
    assert_eq!(seqs(&spool), [1]);
    assert_eq!(&load(&mut spool, 1), &items[0]);
    assert_eq!(spool.push(&items[1]).unwrap(), 2);
}

/// A crash after `ack` wrote `sent.log` but before the files were removed: the next open
/// finishes the ack instead of sending the item again.
#[test]
fn an_interrupted_ack_or_reject_is_finished_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    let saved = tempfile::tempdir().unwrap();
    {
        let mut spool = Spool::open(dir.path()).unwrap();
        spool.push(&items[0]).unwrap();
        spool.push(&items[1]).unwrap();
        spool.push(&items[2]).unwrap();
        for f in [
            "000000000001.json",
            "000000000001.bin",
            "000000000002.json",
            "000000000002.bin",
        ] {
            std::fs::copy(dir.path().join(f), saved.path().join(f)).unwrap();
        }
        spool.ack(1).unwrap();
        spool.reject(2, "FTP 553 conflict").unwrap();
    }
    // put the files back, as if the removal / the moves had not happened
    for f in [
        "000000000001.json",
        "000000000001.bin",
        "000000000002.json",
        "000000000002.bin",
    ] {
        std::fs::copy(saved.path().join(f), dir.path().join(f)).unwrap();
        if f.starts_with("000000000002") {
            std::fs::remove_file(dir.path().join("rejected").join(f)).unwrap();
        }
    }
    let spool = Spool::open(dir.path()).unwrap();
    assert_eq!(spool.recovery().acks_completed, [1]);
    assert_eq!(spool.recovery().rejects_completed, [2]);
    assert_eq!(seqs(&spool), [3]);
    assert!(!dir.path().join("000000000001.bin").exists());
    assert!(dir.path().join("rejected/000000000002.bin").is_file());
    assert_eq!(
        spool.counts(),
        SpoolCounts {
            pending: 1,
            sent: 1,
            rejected: 1,
            corrupt: 0
        }
    );
}

/// A torn last line of `sent.log` (a crash while appending) is skipped and ended, so the next
/// line is readable.
#[test]
fn a_torn_sent_log_line_is_skipped_and_the_log_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    let items = items();
    {
        let mut spool = Spool::open(dir.path()).unwrap();
        spool.push(&items[0]).unwrap();
        spool.push(&items[1]).unwrap();
        spool.ack(1).unwrap();
    }
    let log = dir.path().join("sent.log");
    let mut text = std::fs::read(&log).unwrap();
    text.extend_from_slice(b"{\"seq\":9,\"lab");
    std::fs::write(&log, &text).unwrap();
    let mut spool = Spool::open(dir.path()).unwrap();
    assert_eq!(spool.recovery().unreadable_log_lines, 1);
    assert_eq!(spool.counts().sent, 1);
    spool.ack(2).unwrap();
    drop(spool);
    let spool = Spool::open(dir.path()).unwrap();
    assert_eq!(spool.counts().sent, 2);
    assert_eq!(spool.recovery().unreadable_log_lines, 1);
}
