//! Full scans (every check group) of the lab vendors: throughput at
//! concurrency 1 and 64, p50/p99 latency, and the process's peak RSS.
//!
//! `cargo bench -p nis2-scanner --features lab --bench full_lab`
//!
//! One scan = target policy and resolution (lab DNS, no cache); the TLS
//! group (certificate handshake, every version probe, hybrid PQ probe,
//! cipher classes, x509 + webpki); the HTTP group (plain and HTTPS
//! exchanges with redirects, five path probes); the DNS group (NS and their
//! answers, CAA climbing, DS/DNSKEY/RRSIG); the e-mail group (MX, SPF with
//! its chain walked, DMARC, nine DKIM selectors, MTA-STS record and policy
//! fetch, TLS-RPT); the exposure group (15 TCP connects). Domains rotate
//! over the nine lab vendors. The lab's servers run in the same process, so
//! the CPU and the peak RSS reported include them.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // a bench binary reports on stdout

use std::time::{Duration, Instant};

use nis2_core::observations::CheckGroup;
use nis2_scanner::lab::{LabVendors, VendorKind};
use nis2_scanner::{DomainScanner, ScanOptions};

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of the whole process so far (user + system), from /proc/self/stat.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(
    lab: &LabVendors,
    concurrency: usize,
    count: usize,
) -> (f64, Duration, Duration, usize) {
    let options = lab.scanner_options().concurrency(concurrency).tls(
        ScanOptions::new()
            .timeouts(Duration::from_secs(2), Duration::from_secs(3))
            .per_host_connections(4096)
            .probe_concurrency(8),
    );
    // NIS2_BENCH_GROUPS=tls,http,... times some groups only (to see where time goes).
    let options = match std::env::var("NIS2_BENCH_GROUPS") {
        Ok(list) => options.groups(
            CheckGroup::ALL
                .into_iter()
                .filter(|g| list.split(',').any(|n| n == g.as_str())),
        ),
        Err(_) => options,
    };
    let all = options.groups.len() == CheckGroup::ALL.len();
    let scanner = DomainScanner::new(options).expect("scanner");
    let domains: Vec<String> = (0..count)
        .map(|i| VendorKind::ALL[i % VendorKind::ALL.len()].domain())
        .collect();
    let start = Instant::now();
    let cpu_start = cpu_time();
    let mut rx = scanner.scan_many(domains);
    let mut latencies = Vec::with_capacity(count);
    let mut incomplete = 0;
    while let Some(r) = rx.recv().await {
        match r.result {
            Ok(obs)
                if (!all
                    || obs.tls.as_ref().is_some_and(|t| t.reachable)
                        && obs.http.is_some()
                        && obs.dns.is_some()
                        && obs.email.is_some()
                        && obs.ports.is_some())
                    && !obs.errors.iter().any(|e| {
                        e.message.contains("deadline") || e.message.contains("timed out")
                    }) => {}
            _ => incomplete += 1,
        }
        latencies.push(r.elapsed);
    }
    let wall = start.elapsed();
    if let (Some(a), Some(b)) = (cpu_start, cpu_time()) {
        println!(
            "  CPU per scan (scanner + in-process lab servers): {:.2} ms",
            (b - a).as_secs_f64() * 1e3 / count as f64
        );
    }
    latencies.sort();
    (
        count as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        incomplete,
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let lab = LabVendors::start().await.expect("lab");
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!("full_lab: {cores} cores; domains rotate over {} lab vendors", VendorKind::ALL.len());
        let _ = run(&lab, 8, 27).await; // warm-up
        for (concurrency, count) in [(1usize, 200usize), (64, 1500)] {
            let (rate, p50, p99, incomplete) = run(&lab, concurrency, count).await;
            println!(
                "concurrency {concurrency:>3}: {count:>5} full scans, {rate:>7.1} scans/s, p50 {:>7.2} ms, p99 {:>7.2} ms, {incomplete} incomplete",
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
