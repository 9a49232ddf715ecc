//! `evaluate + assess` on a realistic observation set: 16 failing and 25
//! passing or earned checks (the weak sample vendor with its DNS, e-mail
//! transport, sensitive paths and ports put right; see
//! `nis2_benches::realistic`). Target: at least 500,000 per second on one
//! core (≤ 2 µs each). The result is dropped inside the timed loop, as a
//! caller would drop it.
//!
//! `cargo bench -p nis2-benches --bench scoring`; for instruction counts,
//! which stay comparable on a busy machine, see the `scoring-loop` binary.

#![allow(clippy::expect_used)] // a bench with bad fixtures should stop loudly

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nis2_benches::realistic;
use nis2_core::{History, Timestamp, assess, evaluate};

fn bench(c: &mut Criterion) {
    let now = Timestamp::parse("2026-06-27T10:00:00Z").expect("valid time");
    let obs = realistic(now);
    let findings = evaluate(&obs, now).expect("valid observations");
    let failing = findings.iter().filter(|f| f.failed()).count();
    eprintln!(
        "observation set: {failing} failing, {} passing or earned",
        findings.len() - failing
    );

    let mut g = c.benchmark_group("scoring");
    g.throughput(Throughput::Elements(1));
    g.bench_function("evaluate+assess", |b| {
        b.iter(|| {
            let f = evaluate(black_box(&obs), now).expect("valid");
            black_box(assess(f, &History::first_scan(now)))
        })
    });
    g.bench_function("evaluate", |b| {
        b.iter(|| black_box(evaluate(black_box(&obs), now).expect("valid")))
    });
    g.bench_function("assess", |b| {
        b.iter(|| black_box(assess(black_box(&findings), &History::first_scan(now))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
