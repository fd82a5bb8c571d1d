//! Truck counting of the reference device (issue 4: exact on the public truck scenario; E5, U2).

use eseal::edge::trucks::score_trucks;

#[test]
fn gate_trucks_are_counted_exactly() {
    for file in ["scenarios/gate-trucks.toml", "scenarios/midnight-reset.toml"] {
        let (scenario, _) = eseal_simulator::check(std::path::Path::new(file)).unwrap();
        for s in score_trucks(&scenario, 5.0) {
            println!(
                "{file} camera {}: out {}/{} (matched {}), in {}/{} (matched {})",
                s.camera, s.device_out, s.true_out, s.matched_out, s.device_in, s.true_in, s.matched_in
            );
            for d in &s.details {
                println!("    {d}");
            }
            assert_eq!((s.device_out, s.matched_out), (s.true_out, s.true_out), "{file}: trucks out");
            assert_eq!((s.device_in, s.matched_in), (s.true_in, s.true_in), "{file}: trucks in");
        }
    }
}
