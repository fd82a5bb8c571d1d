//! The render bench's scene, shared with `examples/profile_render.rs` (included by `#[path]`):
//! ten people walking on the spot round a shaft mouth's counting edge, day colour or night IR.

use eseal_simulator::scene::{
    Actor, ActorKind, Atmosphere, CameraPose, ColourMode, Equipment, Exposure, Lighting,
    PersonLook, RenderScene, RenderStyle, SiteKind, Vec2, Vec3,
};

pub fn scene(w: u32, h: u32, ir: bool, style: RenderStyle) -> RenderScene {
    let (height, tilt) = (4.5f32, 0.96f32);
    let ex = height / tilt.tan();
    let actors = (0..10u32)
        .map(|i| Actor {
            id: i + 1,
            position: Vec3::new(
                ex - 1.5 + (i / 5) as f32 * 2.2 + 0.3 * (i % 5) as f32,
                -2.4 + (i % 5) as f32 * 1.2,
                0.0,
            ),
            heading: if i.is_multiple_of(2) {
                0.0
            } else {
                std::f32::consts::PI
            },
            kind: ActorKind::Person(PersonLook {
                height_m: 1.7,
                helmet: [240, 200, 20],
                vest: [250, 120, 20],
                clothes: [40, 50, 75],
                carrying_tool: i.is_multiple_of(3),
                lamp_on: true,
                gait_phase: i as f32 * 0.1,
                walking: true,
                speed_mps: 1.3,
                gait_hz: 1.3 / 1.5,
            }),
        })
        .collect();
    RenderScene {
        frame_index: 0,
        time_ns: 0,
        camera: CameraPose {
            position: Vec3::new(0.0, 0.0, height),
            yaw: 0.0,
            tilt,
            hfov: 80f32.to_radians(),
            width: w,
            height: h,
        },
        site: SiteKind::ShaftMouth,
        counting_edge: Some((Vec2::new(ex, -3.0), Vec2::new(ex, 3.0))),
        lighting: if ir {
            Lighting {
                mode: ColourMode::InfraredMono,
                ambient: 0.0,
                dusk: 0.0,
                lamp: 1.0,
            }
        } else {
            Lighting {
                mode: ColourMode::Colour,
                ambient: 0.9,
                dusk: 0.0,
                lamp: 1.0,
            }
        },
        atmosphere: Atmosphere {
            noise_sigma: 2.5,
            haze: 0.1,
        },
        tamper: None,
        actors,
        equipment: Equipment {
            belt: None,
            skip: None,
        },
        noise_seed: 1,
        style,
        // What the automatic exposure picks: a short shutter by day, the frame time at night
        // (so the realistic IR figure includes the motion blur).
        exposure: Exposure {
            shutter_s: if ir { 0.04 } else { 0.002 },
            lag_gain: 1.0,
        },
    }
}
