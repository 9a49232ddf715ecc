//! Runs `evaluate + assess` on the realistic observation set N times (first
//! argument, default 10 000) and prints the figures it checks. Meant for
//! instruction counting, which stays repeatable on a busy machine:
//!
//! ```text
//! cargo build --release -p nis2-benches --bin scoring-loop
//! valgrind --tool=callgrind target/release/scoring-loop 1
//! valgrind --tool=callgrind target/release/scoring-loop 10001
//! ```
//!
//! The difference of the two totals divided by 10 000 is the instruction
//! count of one `evaluate + assess`.

#![allow(clippy::print_stdout)] // a bench binary reports on stdout

use std::hint::black_box;
use std::process::ExitCode;

use nis2_core::{History, Timestamp, assess, evaluate};

/// Nanoseconds this thread has run on a CPU, from `/proc/thread-self/schedstat`.
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() -> ExitCode {
    let n: u64 = match std::env::args().nth(1).map(|s| s.parse()) {
        None => 10_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("usage: scoring-loop [ITERATIONS]: {e}");
            return ExitCode::from(2);
        }
    };
    let now = match Timestamp::parse("2026-06-27T10:00:00Z") {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let obs = nis2_benches::realistic(now);
    let mut last = None;
    let start = std::time::Instant::now();
    let cpu_start = on_cpu_ns();
    for _ in 0..n {
        match evaluate(black_box(&obs), now) {
            Ok(f) => last = Some(black_box(assess(f, &History::first_scan(now)))),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let elapsed = start.elapsed();
    // Time on the CPU (Linux schedstat) leaves out time spent waiting for
    // the CPU on a busy machine; wall clock where it is not available.
    let (secs, clock) = match (cpu_start, on_cpu_ns()) {
        (Some(a), Some(b)) if b > a => ((b - a) as f64 / 1e9, "on-CPU time"),
        _ => (elapsed.as_secs_f64(), "wall clock"),
    };
    if let Some(a) = last {
        let failing = a.findings.iter().filter(|f| f.failed()).count();
        let each = secs / n as f64;
        println!(
            "{n} runs; score {} grade {} ({failing} failing, {} passing or earned); \
             {:.3} µs each, {:.0} per second ({clock})",
            a.score,
            a.grade,
            a.findings.len() - failing,
            each * 1e6,
            1.0 / each
        );
    }
    ExitCode::SUCCESS
}
