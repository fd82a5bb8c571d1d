//! What an external device is told (issue 15, items 2, 3 and 6): the ready file
//! (`--ready-file`, JSON) and the instructions printed for the vendor's engineer. The whole
//! handshake is documented for vendors in `docs/external-device.md`.
//!
//! Key design decision: **a device is installed from the picture, so every camera's counting
//! edge is given in pixels.** `edge_px` is the ground edge's two end points projected with the
//! camera's pose (the simulator's pinhole camera, the same the frames are rendered with), the
//! segment cut to the part in front of the camera and then to the image when an end lies outside
//! it (`edge_px_clipped`); `inside_px` is a point on the inside (shaft or mine site) side, so
//! crossing the line towards it is `down` (`in` at a gate). The calibration (height, tilt, pan,
//! field of view and the intrinsics they imply) is given too, for devices that measure on the
//! ground.

use eseal_simulator::render::Camera;
use eseal_simulator::scenario::{Camera as ScenarioCamera, Edge};
use eseal_simulator::scene::{CameraPose, Vec3};
use serde_json::{Value, json};

/// A counting edge as it appears in the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgePx {
    /// End points (continuous pixels, origin at the top-left corner, y down), in the order of
    /// the scenario's `a → b`.
    pub a: [f64; 2],
    pub b: [f64; 2],
    /// An end was outside the image (or behind the camera) and the segment was cut.
    pub clipped: bool,
    /// A point 1 m to the inside of the edge's middle, projected (`None` if not in front).
    pub inside: Option<[f64; 2]>,
}

fn ground(p: [f64; 2]) -> Vec3 {
    Vec3::new(p[0] as f32, p[1] as f32, 0.0)
}

fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Cuts the segment `p → q` to the rectangle `[0, w] × [0, h]` (Liang–Barsky); `None` if it
/// misses it.
fn clip_to_image(p: [f64; 2], q: [f64; 2], w: f64, h: f64) -> Option<([f64; 2], [f64; 2])> {
    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (den, num) in [(-dx, p[0]), (dx, w - p[0]), (-dy, p[1]), (dy, h - p[1])] {
        if den == 0.0 {
            if num < 0.0 {
                return None;
            }
        } else {
            let t = num / den;
            if den < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then(|| (lerp(p, q, t0), lerp(p, q, t1)))
}

/// The edge in the image of `pose`, or `None` when no part of it is in front of the camera
/// and inside the picture.
pub fn edge_px(pose: &CameraPose, edge: &Edge) -> Option<EdgePx> {
    let cam = Camera::new(pose);
    let seen = |t: f64| cam.project(ground(lerp(edge.a, edge.b, t))).is_some();
    // The part in front of the camera: depth is linear along the segment, so it is one interval
    // [lo, hi] of t; an end behind the camera is moved to the boundary by bisection.
    let boundary = |mut inside: f64, mut outside: f64| {
        for _ in 0..60 {
            let mid = 0.5 * (inside + outside);
            if seen(mid) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        inside
    };
    let (lo, hi) = match (seen(0.0), seen(1.0)) {
        (true, true) => (0.0, 1.0),
        (true, false) => (0.0, boundary(0.0, 1.0)),
        (false, true) => (boundary(1.0, 0.0), 1.0),
        (false, false) => return None,
    };
    let px = |t: f64| {
        cam.project(ground(lerp(edge.a, edge.b, t)))
            .map(|(x, y, _)| [f64::from(x), f64::from(y)])
    };
    let (p, q) = (px(lo)?, px(hi)?);
    let (pc, qc) = clip_to_image(p, q, f64::from(pose.width), f64::from(pose.height))?;
    let moved = |u: [f64; 2], v: [f64; 2]| (u[0] - v[0]).hypot(u[1] - v[1]) > 0.05;
    let clipped = lo > 0.0 || hi < 1.0 || moved(p, pc) || moved(q, qc);
    // The inside is on the left of a → b on the ground (counter-clockwise side).
    let along = edge.along();
    let mid = lerp(edge.a, edge.b, 0.5);
    let inside = cam
        .project(ground([mid[0] - along[1], mid[1] + along[0]]))
        .map(|(x, y, _)| [round1(f64::from(x)), round1(f64::from(y))]);
    Some(EdgePx {
        a: pc.map(round1),
        b: qc.map(round1),
        clipped,
        inside,
    })
}

/// The calibration a device may use: pose as the scenario gives it and the intrinsics it
/// implies (square pixels, principal point at the image centre, no distortion, no roll).
pub fn calibration(pose: &CameraPose) -> Value {
    let deg = |r: f32| (f64::from(r).to_degrees() * 1e4).round() / 1e4;
    let m = |v: f32| (f64::from(v) * 1e4).round() / 1e4;
    let focal = f64::from(Camera::new(pose).focal_px());
    json!({
        "position_m": [m(pose.position.x), m(pose.position.y), m(pose.position.z)],
        "height_m": m(pose.position.z),
        "tilt_deg": deg(pose.tilt),
        "pan_deg": deg(pose.yaw),
        "hfov_deg": deg(pose.hfov),
        "focal_px": (focal * 1e3).round() / 1e3,
        "cx_px": f64::from(pose.width) / 2.0,
        "cy_px": f64::from(pose.height) / 2.0,
        "frame": "ground x/y in metres, z up; pan counter-clockwise from +x; tilt below the horizon",
    })
}

/// One camera's entry in the ready file.
pub fn camera_entry(cam: &ScenarioCamera, rtsp: &str, mjpeg: &str) -> Value {
    let mut v = json!({
        "camera": cam.code.to_string(), "site": format!("{:?}", cam.site), "rtsp": rtsp, "mjpeg": mjpeg,
        "width": cam.pose.width, "height": cam.pose.height, "fps": cam.fps,
        "calibration": calibration(&cam.pose),
        "edge_m": Value::Null, "edge_px": Value::Null, "edge_px_clipped": false, "inside_px": Value::Null,
    });
    if let Some(edge) = &cam.edge {
        v["edge_m"] = json!([edge.a, edge.b]);
        if let Some(e) = edge_px(&cam.pose, edge) {
            v["edge_px"] = json!([e.a, e.b]);
            v["edge_px_clipped"] = json!(e.clipped);
            v["inside_px"] = json!(e.inside);
        }
    }
    v
}

/// The lines printed for one camera of the ready file.
pub fn camera_lines(c: &Value) -> Vec<String> {
    let t = |k: &str| {
        c[k].as_str()
            .map_or_else(|| c[k].to_string(), str::to_owned)
    };
    let mut out = vec![format!(
        "  camera {} ({}, {}x{} @ {} fps): RTSP {}  MJPEG {}",
        t("camera"),
        t("site"),
        t("width"),
        t("height"),
        t("fps"),
        t("rtsp"),
        t("mjpeg")
    )];
    let cal = &c["calibration"];
    out.push(format!(
        "    calibration 标定: height 安装高度 {} m, tilt 俯角 {}°, pan 方位角 {}°, hfov 水平视场角 {}° (focal 焦距 {} px, centre 主点 ({}, {}))",
        cal["height_m"], cal["tilt_deg"], cal["pan_deg"], cal["hfov_deg"], cal["focal_px"], cal["cx_px"], cal["cy_px"]
    ));
    let pt = |v: &Value| format!("({}, {})", v[0], v[1]);
    match c["edge_px"].as_array() {
        Some(e) if e.len() == 2 => {
            let clipped = if c["edge_px_clipped"] == json!(true) {
                " — clipped to the picture 端点超出画面，已裁剪到画面内"
            } else {
                ""
            };
            out.push(format!(
                "    counting edge 计数线 (pixels 像素): {} → {}{clipped}",
                pt(&e[0]),
                pt(&e[1])
            ));
            if !c["inside_px"].is_null() {
                out.push(format!(
                    "    inside 井内/场内 side: towards {} (crossing towards it is down/in 入井/驶入, away from it up/out 出井/驶出)",
                    pt(&c["inside_px"])
                ));
            }
        }
        _ if !c["edge_m"].is_null() => {
            out.push("    counting edge 计数线: not in the picture 不在画面内".to_owned())
        }
        _ => {}
    }
    out
}

/// Everything the ready file holds besides the cameras.
#[derive(Debug, Clone)]
pub struct Handshake<'a> {
    pub mine: &'a str,
    pub mine_name: &'a str,
    /// [`camera_entry`] of every camera.
    pub cameras: Vec<Value>,
    pub ftp: String,
    pub https: String,
    pub ftp_user: &'a str,
    pub ftp_password: &'a str,
    pub token: &'a str,
    /// The platform's certificate (self-signed: it is its own CA), as a path and as PEM text.
    pub cert_path: &'a std::path::Path,
    pub ca_pem: String,
    pub duration_s: f64,
    pub connect_timeout_s: u64,
    /// How long the judge waits after the last frame for what the device still owes.
    pub grace_s: f64,
    /// Where the judge fetches the day report (`--device-report`).
    pub device_report: Option<&'a str>,
}

/// The ready file's JSON (`docs/external-device.md` documents every field).
pub fn ready_json(h: &Handshake<'_>) -> Value {
    json!({
        "mine": h.mine,
        "mine_name": h.mine_name,
        "cameras": h.cameras,
        "ftp": h.ftp, "ftp_user": h.ftp_user, "ftp_password": h.ftp_password,
        "https": h.https, "token": h.token,
        "cert_pem": h.cert_path, "ca_pem": h.ca_pem,
        "duration_s": h.duration_s,
        "connect_timeout_s": h.connect_timeout_s,
        "grace_s": h.grace_s,
        "device_report": h.device_report,
        "stay_up": "until the judge prints the report's path: the U6 streams are checked and the day report fetched after the last frame, and the report again after grace_s",
    })
}

/// The instructions printed for the vendor's engineer, from the ready file's JSON.
pub fn instructions(r: &Value) -> Vec<String> {
    let t = |k: &str| {
        r[k].as_str()
            .map_or_else(|| r[k].to_string(), str::to_owned)
    };
    let mut out = vec![
        "Configure the device under test 请按以下参数配置被测设备:".to_owned(),
        format!(
            "  mine code 矿井编码        {} ({})",
            t("mine"),
            t("mine_name")
        ),
    ];
    for c in r["cameras"].as_array().into_iter().flatten() {
        out.extend(camera_lines(c));
    }
    out.push(format!(
        "  FTP (U1-U4)   {}  user {}  password {}",
        t("ftp"),
        t("ftp_user"),
        t("ftp_password")
    ));
    out.push(format!(
        "  HTTPS (U5/U6) {}  bearer token {}  CA certificate {} (PEM text also in the ready file as ca_pem)",
        t("https"),
        t("token"),
        t("cert_pem")
    ));
    out.push(format!("  U6 (register the device's own MJPEG stream 登记设备自身的视频流): PUT {}/api/v1/mines/{}/cameras/<camera>/stream {{\"mine_code\", \"camera_code\", \"url\"}}", t("https"), t("mine")));
    match r["device_report"].as_str() {
        Some(url) => out.push(format!(
            "  day report 日统计报告 (E3): serve {{\"days\": {{\"YYYY-MM-DD\": {{\"<camera>\": {{\"people_down\": n, \"people_up\": n, \"trucks_out\": n}}}}}}}} at {url}"
        )),
        None => out.push("  day report 日统计报告: none given (--device-report): people coming up (E3 up) cannot be judged 未指定，出井人数无法评判".to_owned()),
    }
    out.push(format!(
        "Streaming starts when every camera has a viewer, RTSP or MJPEG (timeout {} s), and lasts {} s. 每路摄像机的 RTSP 或 MJPEG 流均有设备拉流后开始推流（超时 {} 秒），时长 {} 秒。",
        t("connect_timeout_s"),
        t("duration_s"),
        t("connect_timeout_s"),
        t("duration_s")
    ));
    out.push(format!(
        "Keep the device running until this command prints the report's path: after the last frame the judge checks the registered U6 streams and fetches the day report, then waits {} s for the last uploads and fetches the day report again. 设备须保持运行，直到本命令输出报告路径：最后一帧之后评测检查已登记的 U6 视频流并读取日统计报告，再等待 {} 秒接收最后的上传并再次读取日统计报告。",
        t("grace_s"),
        t("grace_s")
    ));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pose(
        width: u32,
        height: u32,
        position: [f32; 3],
        tilt: f32,
        yaw: f32,
        hfov: f32,
    ) -> CameraPose {
        CameraPose {
            position: Vec3::new(position[0], position[1], position[2]),
            yaw: yaw.to_radians(),
            tilt: tilt.to_radians(),
            hfov: hfov.to_radians(),
            width,
            height,
        }
    }

    /// `scenarios/live/shaft-25s.toml`'s camera: 640×360 at (0, −4, 4.5), tilt 45°, pan 90°,
    /// hfov 70°; edge (−2.5, 0) → (2.5, 0). Worked by hand: focal = 320 / tan 35° = 457.0 px;
    /// the edge's points are 6.010 m deep and 0.354 m below the axis, so y = 180 + 457.0 ·
    /// 0.354 / 6.010 = 206.9 and x = 320 ∓ 457.0 · 2.5 / 6.010 = 129.9 / 510.1.
    #[test]
    fn the_live_shaft_edge_projects_where_worked_by_hand() {
        let p = pose(640, 360, [0.0, -4.0, 4.5], 45.0, 90.0, 70.0);
        let e = edge_px(
            &p,
            &Edge {
                a: [-2.5, 0.0],
                b: [2.5, 0.0],
            },
        )
        .unwrap();
        let near =
            |u: [f64; 2], v: [f64; 2]| (u[0] - v[0]).abs() < 0.2 && (u[1] - v[1]).abs() < 0.2;
        assert!(
            near(e.a, [129.9, 206.9]) && near(e.b, [510.1, 206.9]),
            "{e:?}"
        );
        assert!(!e.clipped);
        // The shaft is on +y (the far side): higher in the picture.
        let inside = e.inside.unwrap();
        assert!(
            (inside[0] - 320.0).abs() < 0.2 && inside[1] < 206.9,
            "{inside:?}"
        );
        let cal = calibration(&p);
        assert_eq!(cal["tilt_deg"], 45.0);
        assert_eq!(cal["pan_deg"], 90.0);
        assert_eq!(cal["height_m"], 4.5);
        assert!(
            (cal["focal_px"].as_f64().unwrap() - 457.0).abs() < 0.1,
            "{cal}"
        );
    }

    #[test]
    fn an_edge_wider_than_the_view_or_behind_the_camera_is_clipped_to_the_picture() {
        let p = pose(640, 360, [0.0, -4.0, 4.5], 45.0, 90.0, 70.0);
        let e = edge_px(
            &p,
            &Edge {
                a: [-20.0, 0.0],
                b: [20.0, 0.0],
            },
        )
        .unwrap();
        assert!(e.clipped);
        assert_eq!((e.a[0], e.b[0]), (0.0, 640.0), "{e:?}");
        assert!(
            (e.a[1] - 206.9).abs() < 0.2 && (e.b[1] - 206.9).abs() < 0.2,
            "{e:?}"
        );
        // From behind the camera (y = −10) to beyond the axis (y = 3): the part in view runs
        // from the bottom of the picture up the middle column.
        let e = edge_px(
            &p,
            &Edge {
                a: [0.0, -10.0],
                b: [0.0, 3.0],
            },
        )
        .unwrap();
        assert!(e.clipped);
        assert!(
            (e.a[0] - 320.0).abs() < 0.2 && (e.a[1] - 360.0).abs() < 0.2,
            "{e:?}"
        );
        assert!((e.b[0] - 320.0).abs() < 0.2 && e.b[1] < 180.0, "{e:?}");
        // Wholly out of view: none.
        assert_eq!(
            edge_px(
                &p,
                &Edge {
                    a: [30.0, 0.0],
                    b: [40.0, 0.0]
                }
            ),
            None
        );
    }
}
