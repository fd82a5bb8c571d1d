//! Real clients, whole chain: suppaftp uploads U1–U4 evidence over FTP to the platform the CLI
//! starts, and reqwest reads each event back through the HTTPS API with every parsed field.

use eseal::assets::{Codec, jpeg_with_rectangle, mp4_clip};
use eseal::demo::{loopback0, start_platform};
use serde_json::Value;
use sha2::{Digest, Sha256};
use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;

struct Case {
    name: &'static str,
    clause: &'static str,
    camera: &'static str,
    analysis_type: &'static str,
    count: Option<i64>,
    transport_state: Option<&'static str>,
    finding: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "1404210078661001000120261128081500.jpg",
        clause: "U1",
        camera: "10",
        analysis_type: "01",
        count: Some(1),
        transport_state: None,
        finding: None,
    },
    Case {
        name: "1404210078663102000320261128081501.jpg",
        clause: "U2",
        camera: "31",
        analysis_type: "02",
        count: Some(3),
        transport_state: None,
        finding: None,
    },
    Case {
        name: "14042100786610030220261128081502.mp4",
        clause: "U3",
        camera: "10",
        analysis_type: "03",
        count: None,
        transport_state: Some("02"),
        finding: Some("u3_example_form_32"),
    },
    Case {
        name: "140421007866100320261128081503.mp4",
        clause: "U3",
        camera: "10",
        analysis_type: "03",
        count: None,
        transport_state: None,
        finding: Some("u3_rule_form_30"),
    },
    Case {
        name: "140421007866200420261128081504.jpg",
        clause: "U4",
        camera: "20",
        analysis_type: "04",
        count: None,
        transport_state: None,
        finding: None,
    },
    Case {
        name: "140421007866300520261128081505.jpg",
        clause: "U4",
        camera: "30",
        analysis_type: "05",
        count: None,
        transport_state: None,
        finding: None,
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppaftp_uploads_become_events_visible_through_the_https_api() {
    let dir = tempfile::tempdir().unwrap();
    let platform = start_platform(&dir.path().join("platform"), true, loopback0(), loopback0())
        .await
        .unwrap();
    let account = platform
        .accounts
        .iter()
        .find(|a| a.mine == "140421007866")
        .unwrap()
        .clone();

    let mut ftp = AsyncFtpStream::connect(platform.ftp_addr).await.unwrap();
    ftp.login(account.username.as_str(), account.password.as_str())
        .await
        .unwrap();
    ftp.transfer_type(FileType::Binary).await.unwrap();
    let mut sent = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let bytes = if case.name.ends_with(".jpg") {
            jpeg_with_rectangle(640, 360, (200, 60, 120, 240), i as u32).unwrap()
        } else {
            let path = dir.path().join(case.name);
            mp4_clip(&path, Codec::H264, 10, 10, i as u32).unwrap();
            std::fs::read(&path).unwrap()
        };
        ftp.put_file(case.name, &mut bytes.as_slice())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        sent.push(hex::encode(Sha256::digest(&bytes)));
    }
    ftp.quit().await.unwrap();

    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(
            &std::fs::read(&platform.cert_pem_path).unwrap(),
        )
        .unwrap()])
        .build()
        .unwrap();
    let url = format!(
        "https://localhost:{}/api/v1/events?mine=140421007866&limit=100",
        platform.https_addr.port()
    );
    let resp = client
        .get(&url)
        .bearer_auth(&account.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), CASES.len(), "{body}");
    for (case, sha) in CASES.iter().zip(&sent) {
        let e = items
            .iter()
            .find(|e| e["name"] == case.name)
            .unwrap_or_else(|| panic!("no event for {}", case.name));
        assert_eq!(e["clause"], case.clause, "{e}");
        assert_eq!(e["mine"], "140421007866");
        assert_eq!(e["camera"], case.camera);
        assert_eq!(e["analysis_type"], case.analysis_type);
        assert_eq!(e["daily_count"].as_i64(), case.count, "{e}");
        assert_eq!(e["transport_state"].as_str(), case.transport_state, "{e}");
        assert_eq!(e["channel"], "ftp");
        assert_eq!(e["account"], account.username.as_str());
        assert_eq!(
            &e["sha256"],
            sha.as_str(),
            "stored bytes differ from the bytes sent"
        );
        let time = &case.name[case.name.len() - 18..case.name.len() - 4];
        assert_eq!(e["mine_time"], time);
        match case.finding {
            Some(kind) => assert_eq!(e["findings"][0]["kind"], kind, "{e}"),
            None => assert_eq!(e["findings"].as_array().map(Vec::len), Some(0), "{e}"),
        }
    }

    // The evidence itself comes back byte for byte.
    let sha = &sent[0];
    let url = format!(
        "https://localhost:{}/api/v1/evidence/{sha}",
        platform.https_addr.port()
    );
    let resp = client
        .get(&url)
        .bearer_auth(&platform.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(
        hex::encode(Sha256::digest(resp.bytes().await.unwrap())),
        *sha
    );
    platform.shutdown().await;
}
