//! Full TLS + certificate analyses against the lab: throughput at
//! concurrency 1 and 64, p50/p99 latency, and the process's peak RSS after
//! a batch of 1,000.
//!
//! `cargo bench -p nis2-scanner --features lab --bench tls_lab`
//!
//! One analysis = policy check and DNS lookup (lab DNS, no cache), the
//! rustls certificate handshake, every version probe (SSLv2 … TLS 1.3),
//! the hybrid post-quantum probe, the cipher-class probes on each accepted
//! version ≤ 1.2, x509 parsing and webpki verification. Targets rotate over
//! the lab's in-process servers (good, expired, self-signed, wrong host,
//! SHA-1, ancient); the `openssl s_server` targets are left out because
//! `s_server` handles one connection at a time and would measure itself.
//! The lab's servers run in the same process, so the CPU and the peak RSS
//! reported include them.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // a bench binary reports on stdout

use std::time::{Duration, Instant};

use nis2_scanner::lab::{Lab, TargetKind};
use nis2_scanner::{BatchTarget, TlsScanner};

const KINDS: [TargetKind; 6] = [
    TargetKind::Good,
    TargetKind::Expired,
    TargetKind::SelfSigned,
    TargetKind::WrongHost,
    TargetKind::Sha1,
    TargetKind::Ancient,
];

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(lab: &Lab, concurrency: usize, count: usize) -> (f64, Duration, Duration, usize) {
    let options = lab
        .scan_options()
        .batch_concurrency(concurrency)
        .per_host_connections(4096)
        .probe_concurrency(8);
    let scanner = TlsScanner::new(options).expect("scanner");
    let targets: Vec<BatchTarget> = (0..count)
        .map(|i| {
            let t = lab.target(KINDS[i % KINDS.len()]).expect("target");
            BatchTarget::with_port(&t.name, t.addr.port())
        })
        .collect();
    let start = Instant::now();
    let mut rx = scanner.batch(targets);
    let mut latencies = Vec::with_capacity(count);
    let mut failures = 0;
    while let Some(r) = rx.recv().await {
        match r.result {
            Ok(obs)
                if obs
                    .tls
                    .as_ref()
                    .is_some_and(|t| t.reachable && t.certificate.is_some()) => {}
            _ => failures += 1,
        }
        latencies.push(r.elapsed);
    }
    let wall = start.elapsed();
    latencies.sort();
    let rate = count as f64 / wall.as_secs_f64();
    (
        rate,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        failures,
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let lab = Lab::builder().targets(&KINDS).start().await.expect("lab");
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!("tls_lab: {cores} cores; targets rotate over {} lab servers", KINDS.len());
        // Warm-up (connection setup paths, allocator).
        let _ = run(&lab, 8, 24).await;
        for (concurrency, count) in [(1usize, 150usize), (64, 1000)] {
            let (rate, p50, p99, failures) = run(&lab, concurrency, count).await;
            println!(
                "concurrency {concurrency:>3}: {count:>5} analyses, {rate:>7.1} analyses/s, p50 {:>7.2} ms, p99 {:>7.2} ms, {failures} incomplete",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3,
            );
        }
        match vm_hwm_kib() {
            Some(kib) => println!("peak RSS (VmHWM, whole process incl. lab servers): {:.1} MB", kib as f64 / 1024.0),
            None => println!("peak RSS: /proc/self/status unavailable"),
        }
    });
}
