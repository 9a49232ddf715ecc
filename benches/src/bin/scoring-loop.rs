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
    for _ in 0..n {
        match evaluate(black_box(&obs), now) {
            Ok(f) => last = Some(black_box(assess(f, &History::first_scan(now)))),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(a) = last {
        let failing = a.findings.iter().filter(|f| f.failed()).count();
        println!(
            "{n} runs; score {} grade {} ({failing} failing, {} passing or earned)",
            a.score,
            a.grade,
            a.findings.len() - failing
        );
    }
    ExitCode::SUCCESS
}
