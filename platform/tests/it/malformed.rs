//! Malformed file names end to end: every name in one table is uploaded over real FTP (suppaftp,
//! one logged-in session, binary mode) and must be refused with the reply code of a name
//! refusal and a reply text that names the offending field (`553 U1 field count: …`), leave a
//! `violations` row naming that field, and create no event and no evidence.
//!
//! The protocol crate's table (protocol/tests/it/malformed.rs) checks the parser; this one
//! checks what a mine-side client sees through libunftp, the reply-rewriting front and the
//! ingest.

use eseal_platform::ingest::{Channel, RefusalKind, Upload};

use crate::support::*;

/// How a case reaches the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `STOR <name>` over FTP.
    Ftp,
    /// `Ingest::accept` with the FTP channel, for a name no FTP client can send: libunftp
    /// answers `STOR` with no argument with `501` itself, before the storage back-end (and so
    /// the ingest) ever sees it. Everything else, including a 10 000-character name and UTF-8
    /// non-ASCII digits, goes over FTP (the front relays long lines in pieces and libunftp
    /// reads command arguments as UTF-8).
    Ingest,
}

/// The spec's U1 example.
const U1: &str = "1404210078662001000520210104224515.jpg";

/// U1's example with the byte range `range` replaced.
fn u1_with(range: std::ops::Range<usize>, replacement: &str) -> String {
    let mut s = U1.to_owned();
    s.replace_range(range, replacement);
    s
}

/// (name as sent, the field the refusal must name, how it is sent)
fn table() -> Vec<(String, &'static str, Via)> {
    use Via::*;
    let mut cases: Vec<(String, &'static str, Via)> = [
        // The name as a whole: empty, path components, stray characters.
        ("", "name", Ingest),
        ("../x.jpg", "name", Ftp),
        (
            "/incoming/../1404210078662001000520210104224515.jpg",
            "name",
            Ftp,
        ),
        ("..1404210078662001000520210104224515.jpg", "name", Ftp),
        ("+1404210078662001000520210104224515.jpg", "name", Ftp),
        ("-1404210078662001000520210104224515.jpg", "name", Ftp),
        (
            "\u{200b}1404210078662001000520210104224515.jpg",
            "name",
            Ftp,
        ), // zero-width space
        ("14042100786610000120210104121546\u{0}.mp4", "name", Ftp), // NUL
        (" 1404210078662001000520210104224515.jpg", "name", Ftp),
        // Wrong length: no form has it.
        ("140421007866200100052021010422451.jpg", "length", Ftp), // 33 digits
        ("14042100786620010005202101042245155.jpg", "length", Ftp), // 35 digits
        ("1404210078662004202101040945.jpg", "length", Ftp),      // 28 digits
        ("140421007866.jpg", "length", Ftp),
        (".jpg", "length", Ftp),
        // Wrong extension, upper-case extension, none.
        ("1404210078662001000520210104224515.png", "extension", Ftp),
        ("1404210078662001000520210104224515.mp4", "extension", Ftp), // U1 is a JPEG
        ("1404210078662001000520210104224515.JPG", "extension", Ftp),
        ("1404210078662001000520210104224515", "extension", Ftp),
        ("1404210078662001000520210104224515.", "extension", Ftp),
        (
            "1404210078662001000520210104224515.jpg.jpg",
            "extension",
            Ftp,
        ),
        ("1404210078662001000520210104224515.jpeg", "extension", Ftp),
        ("140421007866100320210104121546.jpg", "extension", Ftp), // U3 is an MP4
        ("140421007866200420210104094515.mp4", "extension", Ftp), // U4 is a JPEG
        ("14042100786610000120210104121546.MP4", "extension", Ftp),
        // Letters and non-ASCII digits in the mine code.
        ("14042100786a2001000520210104224515.jpg", "mine", Ftp),
        ("\u{0661}404210078662001000520210104224515.jpg", "mine", Ftp), // Arabic-Indic one
        // Unknown camera codes.
        ("1404210078664001000520210104224515.jpg", "camera", Ftp),
        ("1404210078660001000520210104224515.jpg", "camera", Ftp),
        ("140421007866400420210104094515.jpg", "camera", Ftp),
        // Unknown analysis type codes.
        (
            "1404210078662006000520210104224515.jpg",
            "analysis_type",
            Ftp,
        ),
        (
            "1404210078662000000520210104224515.jpg",
            "analysis_type",
            Ftp,
        ),
        ("140421007866200620210104094515.jpg", "analysis_type", Ftp),
        // A count where there must be none (tamper, transport), none where there must be one.
        ("1404210078662004000520210104094515.jpg", "count", Ftp), // count on an occlusion name
        ("1404210078662005000520210104094515.jpg", "count", Ftp), // count on an angle name
        ("1404210078661003000120210104121546.mp4", "count", Ftp),
        ("140421007866200120210104224515.jpg", "count", Ftp), // people name without count
        ("140421007866300220210105200820.jpg", "count", Ftp), // truck name without count
        // Letters, spaces and non-ASCII digits in the count.
        ("14042100786620010a0520210104224515.jpg", "count", Ftp),
        ("14042100786620010 0520210104224515.jpg", "count", Ftp),
        (
            "140421007866200100\u{ff10}520210104224515.jpg",
            "count",
            Ftp,
        ), // full-width zero
        // Unknown U3 transport states.
        (
            "14042100786610030320210104121546.mp4",
            "transport_state",
            Ftp,
        ),
        (
            "14042100786610039920210104121546.mp4",
            "transport_state",
            Ftp,
        ),
        // Unknown U5 lock codes and states (the name is judged before the channel).
        ("14042100786660000120210104121546.mp4", "lock", Ftp),
        ("14042100786610000320210104121546.mp4", "lock_state", Ftp),
        ("14042100786610000020210104121546.mp4", "lock_state", Ftp),
        // Bad dates and times.
        ("1404210078662001000520210230224515.jpg", "time.day", Ftp),
        ("1404210078662001000520210229224515.jpg", "time.day", Ftp), // 2021 is no leap year
        ("1404210078662001000520210100224515.jpg", "time.day", Ftp),
        ("1404210078662001000520211304224515.jpg", "time.month", Ftp),
        ("1404210078662001000520210004224515.jpg", "time.month", Ftp),
        ("1404210078662001000520210104244515.jpg", "time.hour", Ftp),
        ("1404210078662001000520210104226015.jpg", "time.minute", Ftp),
        ("1404210078662001000520210104224560.jpg", "time.second", Ftp),
        ("1404210078662001000500000104224515.jpg", "time.year", Ftp),
        ("140421007866200420210104x94515.jpg", "time", Ftp),
    ]
    .into_iter()
    .map(|(n, f, v)| (n.to_owned(), f, v))
    .collect();
    // Very long names: longer than any form, and longer than an FTP control line.
    cases.push((format!("{}.jpg", "1".repeat(61)), "length", Via::Ftp));
    cases.push(("9".repeat(10_000), "length", Via::Ftp));
    // The whole name in full-width digits; Arabic-Indic digits in the count.
    cases.push((
        "\u{ff11}\u{ff14}\u{ff10}\u{ff14}\u{ff12}\u{ff11}\u{ff10}\u{ff10}\u{ff17}\u{ff18}\u{ff16}\u{ff16}20010005\
         20210104224515.jpg"
            .to_owned(),
        "mine",
        Via::Ftp,
    ));
    cases.push((
        u1_with(16..20, "\u{0660}\u{0660}\u{0660}\u{0665}"),
        "count",
        Via::Ftp,
    ));
    cases
}

/// What the client sent, as the back-end sees it (libunftp joins it to the working directory `/`).
fn as_stored(name: &str) -> String {
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    }
}

/// Sends one case and returns (reply code, reply text) of the refusal.
async fn send(
    tp: &TestPlatform,
    ftp: &mut Ftp,
    name: &str,
    via: Via,
    bytes: &[u8],
) -> (u32, String) {
    match via {
        Via::Ftp => match suppa_put(ftp, name, bytes).await {
            Ok(n) => panic!("{name:?} was accepted ({n} bytes)"),
            Err(suppaftp::FtpError::UnexpectedResponse(r)) => (
                r.status.code(),
                String::from_utf8_lossy(&r.body).into_owned(),
            ),
            Err(e) => panic!("{name:?}: not an FTP reply: {e}"),
        },
        Via::Ingest => {
            let account = tp
                .platform
                .accounts
                .get(&tp.account(MINE).username)
                .await
                .unwrap()
                .unwrap();
            let r = tp
                .platform
                .ingest
                .accept(Upload {
                    account: &account,
                    channel: Channel::Ftp,
                    name,
                    body: bytes.to_vec().into(),
                    metadata: None,
                })
                .await
                .unwrap_err();
            assert_eq!(r.kind, RefusalKind::Name, "{name:?}: {r:?}");
            (u32::from(r.kind.ftp_code()), r.reason)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_names_are_refused_over_ftp_naming_the_field() {
    let cases = table();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let distinct: std::collections::HashSet<&String> = cases.iter().map(|(n, _, _)| n).collect();
    assert_eq!(distinct.len(), cases.len(), "duplicate case");
    let over_ftp = cases.iter().filter(|c| c.2 == Via::Ftp).count();
    assert!(over_ftp >= 30, "{over_ftp} cases over FTP");

    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    let bytes = jpeg(7);
    for (i, (name, field, via)) in cases.iter().enumerate() {
        let (code, text) = send(&tp, &mut ftp, name, *via, &bytes).await;
        let shown = name.chars().take(60).collect::<String>();
        assert_eq!(
            code,
            u32::from(RefusalKind::Name.ftp_code()),
            "{shown:?}: {code} {text}"
        );
        assert_eq!(code, 553);
        assert!(
            text.contains(&format!("field {field}:")),
            "{shown:?}: the reply {text:?} should name field {field}"
        );

        let violations = tp.platform.ingest.violations().await.unwrap();
        assert_eq!(
            violations.len(),
            i + 1,
            "{shown:?}: one violation per refusal"
        );
        let row = violations.last().unwrap();
        assert_eq!(
            (
                row.kind.as_str(),
                row.field.as_deref(),
                row.channel.as_str()
            ),
            ("name", Some(*field), "ftp"),
            "{shown:?}: {row:?}"
        );
        // the reply and the row say the same: `<clause> field <field>: …`, the clause once
        let clause = row.clause.as_deref().unwrap_or_else(|| panic!("{row:?}"));
        let head = format!("{clause} field {field}:");
        assert!(row.reason.starts_with(&head), "{row:?}");
        assert!(
            text.contains(&head),
            "{shown:?}: {text:?} should say {head:?}"
        );
        assert!(
            !text.trim_end().ends_with(&format!("({clause})")),
            "{shown:?}: {text:?}"
        );
        let sent = match via {
            Via::Ftp => as_stored(name),
            Via::Ingest => name.clone(),
        };
        assert!(
            sent.starts_with(row.name.trim_end_matches('…')),
            "{shown:?}: recorded as {:?}",
            row.name
        );
    }
    // the session is still usable, and a good name is still accepted after all that
    suppa_put(&mut ftp, U1, &bytes).await.unwrap();
    let _ = ftp.quit().await;

    let ingest = &tp.platform.ingest;
    assert_eq!(
        ingest.count_events().await.unwrap(),
        1,
        "only the good name became an event"
    );
    assert_eq!(ingest.count_evidence().await.unwrap(), 1);
    assert_eq!(tp.evidence_files().len(), 1, "{:?}", tp.evidence_files());
    assert!(ingest.event_by_name(U1).await.unwrap().is_some());
}
