//! Report rendering throughput: remediation letters, HTML reports and (with
//! the `pdf` feature) PDF reports per second, for the sample weak vendor.
//!
//! `cargo bench -p nis2-core --bench reports --features pdf`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use nis2_core::i18n::Lang;
use nis2_core::report::{self, LetterInput, ReportInput, Sender, VendorRef};
use nis2_core::{History, Timestamp, assess, evaluate, samples};

/// Runs `f` for at least `min` (and at least `min_iters` times); returns
/// (iterations, seconds).
fn measure(min: Duration, min_iters: u32, mut f: impl FnMut()) -> (u32, f64) {
    f(); // warm-up (fonts, lazy tables)
    let start = Instant::now();
    let mut n = 0;
    while n < min_iters || start.elapsed() < min {
        f();
        n += 1;
    }
    (n, start.elapsed().as_secs_f64())
}

fn report_line(what: &str, (n, secs): (u32, f64)) {
    println!(
        "{what:<34} {:>10.1}/s   {:>9.3} ms each   ({n} runs)",
        f64::from(n) / secs,
        secs * 1000.0 / f64::from(n)
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
        report_line(
            &format!("letter ({lang})"),
            measure(min, 100, || {
                black_box(report::letter(black_box(&letter_input), lang));
            }),
        );
        report_line(
            &format!("html report ({lang})"),
            measure(min, 100, || {
                black_box(report::html(black_box(&input), lang));
            }),
        );
    }
    #[cfg(feature = "pdf")]
    for lang in [Lang::En, Lang::Ar] {
        report_line(
            &format!("pdf report ({lang})"),
            measure(min, 10, || {
                black_box(report::pdf(black_box(&input), lang).unwrap());
            }),
        );
    }
    #[cfg(not(feature = "pdf"))]
    println!("(PDF not measured: build with --features pdf)");
}
