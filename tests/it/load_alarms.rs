//! `eseal load alarms` at a tiny size: every alarm an upload must raise reaches the live feed,
//! and the report's counts agree with each other and with the supervision worker's.

use eseal::load_alarms::{AlarmLoadArgs, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_alarm_load_gets_every_expected_alarm_to_the_feed() {
    let args = AlarmLoadArgs::new(20, 10.0, 3.0);
    let r = run(&args).await.unwrap();
    assert!(r.failures.is_empty(), "seed {}: {:?}", r.seed, r.failures);
    assert_eq!((r.mix.uploads, r.uploads_ok, r.uploads_failed), (30, 30, 0));
    assert_eq!(r.mix.by_clause.values().sum::<usize>(), 30);
    assert!(
        r.mix.alarming_uploads * 2 > r.mix.uploads,
        "most uploads alarm: {:?}",
        r.mix
    );
    assert_eq!(
        (r.alarms_missing, r.alarms_unexpected, r.feed_lagged),
        (0, 0, 0)
    );
    assert_eq!(r.alarms_received, r.mix.alarms_expected);
    assert_eq!(r.alarm_ms.n, r.alarms_received);
    assert_eq!(
        r.mix.alarms_by_kind.values().sum::<usize>(),
        r.mix.alarms_expected
    );
    // The worker evaluated every upload and raised exactly what the plan expected.
    assert_eq!(r.worker_evaluated as usize, r.mix.uploads);
    assert_eq!(r.worker_raised as usize, r.mix.alarms_expected);
    assert_eq!(r.worker_skipped, 0);
    assert_eq!(r.seeded.mines, 20);
    assert!(r.alarm_ms.median.is_finite() && r.ack_ms.p99.is_finite());
}
