//! U6: every camera's live stream registered as an mjpeg-streamer style HTTP address that serves
//! `multipart/x-mixed-replace` JPEG frames — and the address is the device's own: it answers
//! from the IP address the registration came from, and it is not one of the judge's camera URLs
//! (what the device pulls). Registering someone else's stream proves nothing.

use std::net::IpAddr;

use eseal_simulator::scenario::Camera;

use super::{Ctx, Out, Req, StreamSeen, base, pass_if, stable_url};
use crate::judge::verdict::{Check, Verdict};

const U6: Req = Req {
    clause: "U6",
    zh: "实时视频流地址",
    en: "Live stream addresses",
    text: "For every camera an mjpeg-streamer style HTTP URL of its live stream is registered, and registered again whenever it changes.",
};

/// What the lab supplies when the platform did not record where a registration came from.
const SUPPLY_PEER: &str = "平台记录的视频流地址注册来源 IP / the IP address each stream registration came from (GET /api/v1/streams `peer`; the reference platform records it)";

/// Whether a stream answered from the address its registration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Same IP address (or both loopback: the same machine).
    Device,
    /// A different address answered.
    Elsewhere,
    /// The platform did not record where the registration came from.
    Unknown,
    /// Nothing answered, so no address to compare.
    NoAnswer,
}

fn origin(s: &StreamSeen) -> Origin {
    let parse = |a: &Option<String>| a.as_deref().and_then(|x| x.parse::<IpAddr>().ok());
    match (parse(&s.registered_from), parse(&s.answered_from)) {
        (None, _) => Origin::Unknown,
        (Some(_), None) => Origin::NoAnswer,
        (Some(r), Some(a)) => {
            let (r, a) = (r.to_canonical(), a.to_canonical());
            if r == a || (r.is_loopback() && a.is_loopback()) {
                Origin::Device
            } else {
                Origin::Elsewhere
            }
        }
    }
}

fn serves_mjpeg(s: &StreamSeen) -> bool {
    s.status == Some(200) && s.content_type.starts_with("multipart/x-mixed-replace") && s.jpeg
}

fn describe(s: &StreamSeen) -> String {
    format!(
        "{} → {}{}",
        stable_url(&s.url),
        s.status.map_or("no answer".to_owned(), |c| format!(
            "HTTP {c} {}",
            s.content_type
        )),
        if let Some(e) = &s.error {
            format!(" ({e})")
        } else if s.jpeg {
            ", JPEG frames".to_owned()
        } else {
            ", no JPEG".to_owned()
        }
    )
}

pub(super) fn check(ctx: &Ctx<'_>, cam: &Camera, out: &mut Out) {
    let code = cam.code.to_string();
    let s: Vec<&StreamSeen> = ctx
        .seen
        .streams
        .iter()
        .filter(|s| s.camera == code)
        .collect();
    let borrowed = |url: &str| {
        ctx.seen
            .judge_stream_prefixes
            .iter()
            .any(|p| url.starts_with(p.as_str()))
    };
    let mut findings = Vec::new();
    for x in &s {
        if borrowed(&x.url) {
            findings.push(format!(
                "{} is the judge's own camera stream, not the device's",
                stable_url(&x.url)
            ));
        }
        if origin(x) == Origin::Elsewhere {
            findings.push(format!(
                "{} answers from {}, but was registered from {}: not the device's stream",
                stable_url(&x.url),
                x.answered_from.as_deref().unwrap_or("?"),
                x.registered_from.as_deref().unwrap_or("?"),
            ));
        }
    }
    let good = |x: &&&StreamSeen| serves_mjpeg(x) && !borrowed(&x.url);
    let verdict = if s.iter().any(|x| good(&x) && origin(x) == Origin::Device) {
        Verdict::Pass
    } else if s.iter().any(|x| good(&x) && origin(x) == Origin::Unknown) {
        findings.push(
            "the platform did not record where the registration came from, so the judge \
             cannot tell whether the device serves this stream"
                .to_owned(),
        );
        Verdict::Inconclusive
    } else {
        pass_if(false)
    };
    let actual = match s.last() {
        None => "no address registered".to_owned(),
        Some(s) => {
            let from = match (&s.answered_from, &s.registered_from) {
                (Some(a), Some(r)) => format!("; answered from {a}, registered from {r}"),
                (None, Some(r)) => format!("; registered from {r}"),
                (_, None) => "; registration address not recorded".to_owned(),
            };
            format!("{}{from}", describe(s))
        }
    };
    out.checks.push(Check {
        expected: "the device's own registered HTTP address (answering from the address it was \
                   registered from) serving multipart/x-mixed-replace JPEG frames"
            .into(),
        actual,
        findings,
        supply: (verdict == Verdict::Inconclusive).then(|| SUPPLY_PEER.to_owned()),
        ..base(&U6, format!("U6.stream.{code}"), verdict)
    });
}
