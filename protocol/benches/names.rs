//! Parse and format throughput of evidence names, per form and for a mixed
//! batch. Run: `cargo bench -p eseal-protocol --bench names`.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eseal_protocol::EvidenceName;

/// One name per form (U1, U2, U3-30, U3-32, U4 04/05, U5 mp4/jpg).
const FORMS: [(&str, &str); 8] = [
    ("u1_people", "1404210078662001000520210104224515.jpg"),
    ("u2_truck", "1404210078663002001020210105200820.jpg"),
    ("u3_rule_30", "140421007866100320210104121546.mp4"),
    ("u3_example_32", "14042100786610030120210104121546.mp4"),
    ("u4_occlusion", "140421007866200420210104094515.jpg"),
    ("u4_angle_moved", "140421007866210520210104094515.jpg"),
    ("u5_lock_mp4", "14042100786610000120210104121546.mp4"),
    ("u5_lock_jpg", "14042100786650000220210104121546.jpg"),
];

/// Malformed names mixed into the batch: the error path costs too.
const BAD: [&str; 4] = [
    "14042100786620010a0520210104224515.jpg",
    "1404210078662001000520210230224515.jpg",
    "../x.jpg",
    "1404210078662001000520210104224515.JPG",
];

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    for (id, name) in FORMS {
        g.bench_function(id, |b| b.iter(|| EvidenceName::parse(black_box(name))));
    }
    g.finish();
}

fn format(c: &mut Criterion) {
    let mut g = c.benchmark_group("format");
    g.throughput(Throughput::Elements(1));
    for (id, name) in FORMS {
        let typed = EvidenceName::parse(name).unwrap().name;
        let mut out = String::with_capacity(64);
        g.bench_function(id, |b| {
            b.iter(|| {
                out.clear();
                write!(out, "{}", black_box(&typed)).unwrap();
                out.len()
            })
        });
    }
    g.finish();
}

fn mixed(c: &mut Criterion) {
    // 3 rounds of the 8 forms + the 4 malformed names: 28 names, 1 in 7 bad.
    let batch: Vec<&str> = (0..3)
        .flat_map(|_| FORMS.iter().map(|(_, n)| *n))
        .chain(BAD)
        .collect();
    let typed: Vec<EvidenceName> = batch
        .iter()
        .filter_map(|n| EvidenceName::parse(n).ok().map(|p| p.name))
        .collect();
    let mut g = c.benchmark_group("mixed");
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.bench_function("parse_batch", |b| {
        b.iter(|| {
            black_box(&batch)
                .iter()
                .filter(|n| EvidenceName::parse(n).is_ok())
                .count()
        })
    });
    g.throughput(Throughput::Elements(typed.len() as u64));
    let mut out = String::with_capacity(64);
    g.bench_function("parse_format_round_trip", |b| {
        b.iter(|| {
            let mut total = 0;
            for n in black_box(&typed) {
                out.clear();
                write!(out, "{n}").unwrap();
                total += EvidenceName::parse(&out).map_or(0, |p| p.findings.len());
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, parse, format, mixed);
criterion_main!(benches);
