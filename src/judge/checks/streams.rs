//! U6: every camera's live stream registered as an mjpeg-streamer style HTTP address that serves
//! `multipart/x-mixed-replace` JPEG frames — and the address is the device's own: registering
//! one of the judge's camera URLs (what the device pulls) proves nothing.

use eseal_simulator::scenario::Camera;

use super::{Ctx, Out, Req, StreamSeen, base, pass_if, stable_url};
use crate::judge::verdict::Check;

const U6: Req = Req {
    clause: "U6",
    zh: "实时视频流地址",
    en: "Live stream addresses",
    text: "For every camera an mjpeg-streamer style HTTP URL of its live stream is registered, and registered again whenever it changes.",
};

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
    let serving = s.iter().any(|s| {
        s.status == Some(200)
            && s.content_type.starts_with("multipart/x-mixed-replace")
            && s.jpeg
            && !borrowed(&s.url)
    });
    let mut findings = Vec::new();
    for x in &s {
        if borrowed(&x.url) {
            findings.push(format!(
                "{} is the judge's own camera stream, not the device's",
                stable_url(&x.url)
            ));
        }
    }
    let actual = match s.last() {
        None => "no address registered".to_owned(),
        Some(s) => format!(
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
        ),
    };
    out.checks.push(Check {
        expected:
            "the device's own registered HTTP address serving multipart/x-mixed-replace JPEG frames"
                .into(),
        actual,
        findings,
        ..base(&U6, format!("U6.stream.{code}"), pass_if(serving))
    });
}
