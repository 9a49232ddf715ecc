//! Report rendering throughput: remediation letters, HTML reports and (with
//! the `pdf` feature) PDF reports per second, for the sample weak vendor.
//!
//! `cargo bench -p nis2-core --all-features --bench reports`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use nis2_core::i18n::Lang;
use nis2_core::report::{self, LetterInput, ReportInput, Sender, VendorRef};
use nis2_core::{History, Timestamp, assess, evaluate, samples};

/// What a measurement found.
struct Measured {
    runs: u32,
    /// Wall-clock seconds.
    wall: f64,
    /// CPU seconds this process used meanwhile (all threads), if known: on
    /// a busy machine it shows the work itself, without the waiting.
    cpu: Option<f64>,
}

/// CPU time used by this process so far (Linux `/proc/self/stat`, in clock
/// ticks of 10 ms: fine over runs of seconds).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Runs `f` for at least `min` (and at least `min_iters` times).
fn measure(min: Duration, min_iters: u32, mut f: impl FnMut()) -> Measured {
    f(); // warm-up (fonts, lazy tables)
    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let mut runs = 0;
    while runs < min_iters || start.elapsed() < min {
        f();
        runs += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_start.zip(cpu_seconds()).map(|(a, b)| b - a);
    Measured { runs, wall, cpu }
}

/// Whether the measurement named `what` is to run: all of them, or those
/// whose name contains `NIS2_BENCH_ONLY` (e.g. `new data`, for profiling).
fn selected(what: &str) -> bool {
    std::env::var("NIS2_BENCH_ONLY").map_or(true, |only| what.contains(only.as_str()))
}

/// Measures `f` (see [`measure`]) and prints its line, if selected.
fn bench(what: &str, min: Duration, min_iters: u32, f: impl FnMut()) {
    if selected(what) {
        report_line(what, measure(min, min_iters, f));
    }
}

fn report_line(what: &str, m: Measured) {
    let n = f64::from(m.runs);
    let cpu = m
        .cpu
        .map(|c| format!("{:>8.2} ms CPU each", c * 1000.0 / n))
        .unwrap_or_default();
    println!(
        "{what:<34} {:>9.1}/s {:>9.3} ms each {cpu}  ({} runs)",
        n / m.wall,
        m.wall * 1000.0 / n,
        m.runs
    );
}

fn main() {
    let now = Timestamp::parse("2026-06-27T10:00:00Z").unwrap();
    let obs = samples::weak_vendor("weak-vendor.example", now);
    let a = assess(
        evaluate(&obs, now).unwrap().as_slice(),
        &History::first_scan(now),
    );
    let vendor = VendorRef::named("weak-vendor.example", "Weak Vendor Ltd");
    let sender = Sender {
        name: "Erika Muster",
        organisation: "Beispiel AG",
        contact: Some("security@beispiel.example"),
    };
    let letter_input = LetterInput {
        assessment: &a,
        vendor,
        sender,
        date: now,
    };
    let input = ReportInput::new(&a, vendor, now);
    let min = Duration::from_secs(2);

    println!(
        "nis2-core report bench: weak vendor, {} failing checks",
        a.remediation_steps.len()
    );
    for lang in [Lang::En, Lang::Ar] {
        bench(&format!("letter ({lang})"), min, 100, || {
            black_box(report::letter(black_box(&letter_input), lang));
        });
        bench(&format!("html report ({lang})"), min, 100, || {
            black_box(report::html(black_box(&input), lang));
        });
    }
    #[cfg(feature = "pdf")]
    for lang in [Lang::En, Lang::Ar] {
        // The same input again and again: typst's memoized layout is reused.
        bench(&format!("pdf report ({lang}), same input"), min, 10, || {
            black_box(report::pdf(black_box(&input), lang).unwrap());
        });
        // A new document each time (another report date, so other data),
        // as a server rendering one vendor after another sees it.
        let mut day = 0;
        bench(&format!("pdf report ({lang}), new data"), min, 10, || {
            day += 1;
            let fresh = ReportInput::new(&a, vendor, now.plus_days(day));
            black_box(report::pdf(black_box(&fresh), lang).unwrap());
        });
    }
    #[cfg(feature = "pdf")]
    if selected("resident memory") {
        // Memory after many different documents: typst's cache is evicted
        // after each one, so this stays flat however long a server runs.
        let before = rss_kib();
        for day in 0..200 {
            let fresh = ReportInput::new(&a, vendor, now.plus_days(1000 + day));
            black_box(report::pdf(&fresh, Lang::En).unwrap());
        }
        let mid = rss_kib();
        for day in 0..200 {
            let fresh = ReportInput::new(&a, vendor, now.plus_days(2000 + day));
            black_box(report::pdf(&fresh, Lang::En).unwrap());
        }
        println!(
            "resident memory: {} MiB before, {} MiB after 200 more PDFs, {} MiB after 400",
            before / 1024,
            mid / 1024,
            rss_kib() / 1024
        );
    }
    #[cfg(not(feature = "pdf"))]
    println!("(PDF not measured: build with --features pdf)");
}

/// Resident set size of this process in KiB (Linux; 0 elsewhere).
#[cfg(feature = "pdf")]
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
