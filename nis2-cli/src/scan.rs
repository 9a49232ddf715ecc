//! `nis2 scan`: targets in, graded vendors out.

use std::collections::HashMap;
use std::future::Future;
use std::io::{IsTerminal, Write as _};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nis2_core::observations::CheckGroup;
use nis2_core::{History, Observations, Timestamp, assess, evaluate};
use nis2_scanner::{
    BatchTarget, DomainScanner, PolicyOptions, ResolverOptions, ScanOptions, ScannerOptions,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::cli::{Progress, ScanArgs, ScannerArgs};
use crate::output::{self, Row};
use crate::{Global, Outcome};

/// Maps the command-line scanner options onto the library's
/// [`ScannerOptions`] builder. The only place where flags meet the scanner;
/// options not given keep the library's defaults.
pub(crate) fn scanner_options(args: &ScannerArgs) -> anyhow::Result<ScannerOptions> {
    let secs = |name: &str, v: Option<f64>| -> anyhow::Result<Option<Duration>> {
        let Some(v) = v else { return Ok(None) };
        if v.is_nan() || v <= 0.0 {
            bail!("--{name} must be a positive number of seconds, not {v}");
        }
        Duration::try_from_secs_f64(v)
            .map(Some)
            .with_context(|| format!("--{name} {v}"))
    };
    let mut o = ScannerOptions::new()
        .groups(select_groups(&args.checks, &args.skip)?)
        .allow_private(args.allow_private);
    if let Some(p) = args.port {
        o = o.https_port(p);
    }
    if let Some(p) = args.http_port {
        o = o.http_port(p);
    }
    if let Some(p) = args.dns_port {
        o = o.dns_port(p);
    }
    let connect = secs("connect-timeout", args.connect_timeout)?;
    let handshake = secs("handshake-timeout", args.handshake_timeout)?;
    if let Some(t) = connect {
        o = o.connect_timeout(t);
    }
    if connect.is_some() || handshake.is_some() {
        let tls = ScanOptions::default();
        let (c, h) = (
            connect.unwrap_or(tls.connect_timeout),
            handshake.unwrap_or(tls.handshake_timeout),
        );
        o = o.tls(ScanOptions::new().timeouts(c, h));
    }
    if let Some(t) = secs("request-timeout", args.request_timeout)? {
        o = o.request_timeout(t);
    }
    if let Some(t) = secs("timeout", args.timeout)? {
        for g in CheckGroup::ALL {
            o = o.group_timeout(g, t);
        }
    }
    if !args.resolver.is_empty() || args.dnssec_trust_anchors.is_some() {
        let mut r = ResolverOptions::default();
        if !args.resolver.is_empty() {
            // A private resolver is usually a lab whose zone changes per run.
            r = r.nameservers(args.resolver.iter().copied()).cache_size(0);
        }
        if let Some(path) = &args.dnssec_trust_anchors {
            r = r.dnssec_trust_anchors(read_anchors(path)?);
        }
        o = o.resolver(r);
    }
    for path in &args.extra_root {
        for root in read_roots(path)? {
            o = o.extra_root(root);
        }
    }
    Ok(o)
}

fn read_roots(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read --extra-root {}", path.display()))?;
    let roots = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow::anyhow!(
                "--extra-root {}: not PEM certificates ({e})",
                path.display()
            )
        })?;
    if roots.is_empty() {
        bail!(
            "--extra-root {}: no certificate in the file",
            path.display()
        );
    }
    Ok(roots)
}

/// Zone-file DNSKEY lines; the scanner checks them when it is built.
fn read_anchors(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --dnssec-trust-anchors {}", path.display()))?;
    if text.trim().is_empty() {
        bail!(
            "--dnssec-trust-anchors {}: no trust anchor in the file",
            path.display()
        );
    }
    Ok(text)
}

fn parse_group(name: &str) -> anyhow::Result<CheckGroup> {
    let name = name.trim().to_ascii_lowercase();
    CheckGroup::ALL
        .iter()
        .copied()
        .find(|g| g.as_str() == name)
        .with_context(|| {
            let all: Vec<_> = CheckGroup::ALL.iter().map(|g| g.as_str()).collect();
            format!(
                "unknown check group `{name}`; known groups: {}",
                all.join(", ")
            )
        })
}

fn select_groups(checks: &[String], skip: &[String]) -> anyhow::Result<Vec<CheckGroup>> {
    let mut groups = Vec::new();
    for c in checks.iter().filter(|c| !c.trim().is_empty()) {
        groups.push(parse_group(c)?);
    }
    if groups.is_empty() {
        groups = CheckGroup::ALL.to_vec();
    }
    for s in skip.iter().filter(|s| !s.trim().is_empty()) {
        let s = parse_group(s)?;
        groups.retain(|g| *g != s);
    }
    groups.sort();
    groups.dedup();
    if groups.is_empty() {
        bail!("no check group left to run");
    }
    Ok(groups)
}

/// Builds the full domain scanner.
pub(crate) fn build_scanner(options: ScannerOptions) -> anyhow::Result<DomainScanner> {
    DomainScanner::new(options).context("configuring the scanner")
}

/// Scans one target: its domain and, if given, its own HTTPS port.
pub(crate) type ScanFn = Arc<
    dyn Fn(BatchTarget) -> Pin<Box<dyn Future<Output = Result<Observations, String>> + Send>>
        + Send
        + Sync,
>;

/// A [`ScanFn`] over the full scanner; targets with their own port get a
/// scanner for that port (made once per port).
pub(crate) fn domain_scan_fn(
    options: &ScannerOptions,
    targets: &[BatchTarget],
) -> anyhow::Result<ScanFn> {
    let default = build_scanner(options.clone())?;
    let mut by_port: HashMap<u16, DomainScanner> = HashMap::new();
    for p in targets.iter().filter_map(|t| t.port) {
        if p != options.https_port && !by_port.contains_key(&p) {
            by_port.insert(p, build_scanner(options.clone().https_port(p))?);
        }
    }
    let by_port = Arc::new(by_port);
    Ok(Arc::new(move |t: BatchTarget| {
        let scanner = t
            .port
            .and_then(|p| by_port.get(&p).cloned())
            .unwrap_or_else(|| default.clone());
        Box::pin(async move {
            scanner
                .scan(&t.domain)
                .await
                .map_err(|e| crate::one_line(&e.to_string()))
        })
    }))
}

/// Parses `domain`, `domain:port` or `[v6]:port`, checking the name's syntax.
pub(crate) fn parse_target(input: &str, policy: &PolicyOptions) -> anyhow::Result<BatchTarget> {
    let input = input.trim();
    let (host, port) =
        split_port(input).with_context(|| format!("invalid target `{input}`: bad port"))?;
    nis2_scanner::policy::parse_host(host, policy).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(match port {
        Some(p) => BatchTarget::with_port(host, p),
        None => BatchTarget::new(host),
    })
}

fn split_port(input: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = input.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(p) => Some((host, Some(p.parse().ok().filter(|p| *p > 0)?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match input.split_once(':') {
        Some((host, port)) if !port.contains(':') => {
            Some((host, Some(port.parse().ok().filter(|p| *p > 0)?)))
        }
        _ => Some((input, None)),
    }
}

/// Reads targets from a text file (one a line, `#` comments) or a CSV file
/// (the `domain` column when the first row is a header, else the first).
pub(crate) fn read_target_file(path: &Path) -> anyhow::Result<Vec<(usize, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    // Spreadsheets often write a byte-order mark first.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let out = if is_csv {
        read_csv(path, text)?
    } else {
        text.lines()
            .enumerate()
            .map(|(n, line)| (n + 1, line.trim()))
            .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
            .map(|(n, line)| (n, line.to_owned()))
            .collect()
    };
    if out.is_empty() {
        bail!("{}: no targets in the file", path.display());
    }
    Ok(out)
}

/// The targets of a CSV file (RFC 4180 quoting, `#` comment lines).
fn read_csv(path: &Path, text: &str) -> anyhow::Result<Vec<(usize, String)>> {
    const HEADERS: [&str; 5] = ["domain", "vendor", "host", "hostname", "website"];
    // `#` lines blanked (not removed) so that offsets still give line numbers.
    let uncommented: String = text
        .split_inclusive('\n')
        .map(|l| {
            if l.trim_start().starts_with('#') {
                if l.ends_with('\n') { "\n" } else { "" }
            } else {
                l
            }
        })
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(uncommented.as_bytes());
    let mut out = Vec::new();
    let mut column = 0usize;
    let mut first = true;
    for record in reader.records() {
        // The reader's line count skips comment lines; count from the byte offset.
        let line_at = |p: Option<&csv::Position>| {
            let at = p.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
            // A record's position is where the reader started, before blank lines.
            let at = uncommented.get(at..).map_or(at, |rest| {
                at + (rest.len() - rest.trim_start_matches(['\r', '\n']).len())
            });
            uncommented.get(..at).map_or(0, |t| t.matches('\n').count()) + 1
        };
        let record = record.map_err(|e| {
            let line = line_at(e.position());
            anyhow::anyhow!("{}:{line}: not valid CSV ({e})", path.display())
        })?;
        let line = line_at(record.position());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if std::mem::take(&mut first)
            && let Some(i) = record
                .iter()
                .position(|f| HEADERS.contains(&f.to_ascii_lowercase().as_str()))
        {
            column = i;
            continue;
        }
        match record.get(column) {
            Some(f) if !f.is_empty() => out.push((line, f.to_owned())),
            _ => bail!(
                "{}:{line}: no domain in column {}",
                path.display(),
                column + 1
            ),
        }
    }
    Ok(out)
}

/// Grades observations as of `now`.
pub(crate) fn grade(domain: &str, observations: &Observations, now: Timestamp) -> Row {
    match evaluate(observations, now) {
        Ok(findings) => Row::Graded {
            domain: domain.to_owned(),
            assessment: Box::new(assess(findings, &History::first_scan(now))),
        },
        Err(e) => Row::Failed {
            domain: domain.to_owned(),
            error: crate::one_line(&e.to_string()),
        },
    }
}

/// Scans targets, at most `concurrency` at once, showing progress on
/// stderr; rows come back in input order.
pub(crate) async fn scan_targets(
    scan: ScanFn,
    targets: Vec<BatchTarget>,
    concurrency: usize,
    progress: Progress,
    now: impl Fn() -> Timestamp,
) -> Vec<Row> {
    let total = targets.len();
    let names: Vec<String> = targets
        .iter()
        .map(|t| match t.port {
            Some(p) => format!("{}:{p}", t.domain),
            None => t.domain.clone(),
        })
        .collect();
    let terminal = std::io::stderr().is_terminal();
    let bar = if progress != Progress::Never && terminal {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    let lines = progress == Progress::Always && !terminal;
    let started = Instant::now();
    let slots = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut running = tokio::task::JoinSet::new();
    for (index, target) in targets.into_iter().enumerate() {
        let (scan, slots) = (scan.clone(), slots.clone());
        running.spawn(async move {
            let _permit = slots.acquire_owned().await;
            (index, scan(target).await)
        });
    }
    let mut rows: Vec<Option<Row>> = (0..total).map(|_| None).collect();
    let mut done = 0usize;
    while let Some(joined) = running.join_next().await {
        let Ok((index, result)) = joined else {
            continue;
        };
        let name = names.get(index).cloned().unwrap_or_default();
        let row = match result {
            Ok(obs) => grade(&name, &obs, now()),
            Err(error) => Row::Failed {
                domain: name.clone(),
                error,
            },
        };
        done += 1;
        let status = match &row {
            Row::Graded { assessment, .. } => {
                format!("{:?} {}", assessment.grade, assessment.score)
            }
            Row::Failed { .. } => "not scanned".to_owned(),
        };
        if let Some(bar) = &bar {
            bar.set_message(format!("{name} {status}"));
            bar.inc(1);
        } else if lines {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "[{done}/{total}] {name} {status}");
        }
        if let Some(slot) = rows.get_mut(index) {
            *slot = Some(row);
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if bar.is_some() || lines {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "scanned {done} target(s) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    rows.into_iter()
        .zip(names)
        .map(|(row, name)| {
            row.unwrap_or(Row::Failed {
                domain: name,
                error: "the scan of this target stopped unexpectedly".to_owned(),
            })
        })
        .collect()
}

/// `nis2 scan`.
pub(crate) async fn run(global: &Global, args: &ScanArgs) -> anyhow::Result<Outcome> {
    let lang = output::lang(&args.output.lang)?;
    let threshold = args
        .output
        .fail_under
        .as_deref()
        .map(output::grade)
        .transpose()?;
    let options = scanner_options(&args.scanner)?;

    let mut targets = Vec::new();
    for d in &args.domains {
        targets.push(parse_target(d, &options.policy)?);
    }
    if let Some(path) = &args.file {
        for (line, d) in read_target_file(path)? {
            targets.push(
                parse_target(&d, &options.policy)
                    .with_context(|| format!("{}:{line}", path.display()))?,
            );
        }
    }

    let scan = domain_scan_fn(&options, &targets)?;
    let rows = scan_targets(
        scan,
        targets,
        usize::from(args.concurrency),
        args.progress,
        || global.now(),
    )
    .await;
    finish(global, &rows, args.output.format, lang, threshold)
}

/// Writes rows, then decides the exit: an error when a target could not be
/// scanned, code 1 when a vendor is below the threshold.
pub(crate) fn finish(
    global: &Global,
    rows: &[Row],
    format: crate::cli::ScanFormat,
    lang: nis2_core::i18n::Lang,
    threshold: Option<nis2_core::Grade>,
) -> anyhow::Result<Outcome> {
    let bytes = output::render(rows, format, lang, global.now(), global.color)?;
    output::write_stdout(&bytes)?;
    let failed: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r, Row::Failed { .. }))
        .collect();
    if let Some(Row::Failed { domain, error }) = failed.first() {
        if failed.len() == 1 {
            bail!("{domain}: {error}");
        }
        bail!(
            "{} of {} targets could not be scanned; first: {domain}: {error}",
            failed.len(),
            rows.len()
        );
    }
    if let Some(t) = threshold {
        let below = rows.iter().any(|r| match r {
            Row::Graded { assessment, .. } => assessment.grade > t,
            Row::Failed { .. } => true,
        });
        if below {
            return Ok(Outcome::BelowThreshold);
        }
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn scanner_args(args: &[&str]) -> ScannerArgs {
        let cli = Cli::try_parse_from(["nis2", "scan", "x.example"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Scan(s) => s.scanner,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unset_flags_keep_the_library_defaults() {
        let o = scanner_options(&scanner_args(&[])).unwrap();
        let d = ScannerOptions::default();
        assert_eq!(o.groups, d.groups);
        assert_eq!(
            (o.https_port, o.http_port, o.dns_port),
            (d.https_port, d.http_port, d.dns_port)
        );
        assert_eq!(o.connect_timeout, d.connect_timeout);
        assert_eq!(o.request_timeout, d.request_timeout);
        assert_eq!(o.tls.handshake_timeout, d.tls.handshake_timeout);
        assert_eq!(o.tls_timeout, d.tls_timeout);
        assert_eq!(o.resolver.nameservers, d.resolver.nameservers);
        assert_eq!(o.resolver.dnssec_trust_anchors, "");
        assert!(!o.policy.allow_private && o.extra_roots.is_empty());
    }

    #[test]
    fn flags_reach_the_scanner_options() {
        let dir = tempfile::tempdir().unwrap();
        let anchors = dir.path().join("anchors.txt");
        std::fs::write(&anchors, "lab. 3600 IN DNSKEY 257 3 13 AAAA\n").unwrap();
        let a = anchors.display().to_string();
        let o = scanner_options(&scanner_args(&[
            "--checks",
            "tls,email,dns",
            "--skip",
            "dns",
            "--https-port",
            "8443",
            "--http-port",
            "8080",
            "--dns-port",
            "5353",
            "--connect-timeout",
            "1.5",
            "--handshake-timeout",
            "2",
            "--request-timeout",
            "4",
            "--timeout",
            "7",
            "--resolver",
            "127.0.0.1:5353",
            "--resolver",
            "[::1]:53",
            "--dnssec-trust-anchors",
            &a,
            "--allow-private",
        ]))
        .unwrap();
        assert_eq!(o.groups, [CheckGroup::Tls, CheckGroup::Email]);
        assert_eq!((o.https_port, o.http_port, o.dns_port), (8443, 8080, 5353));
        let s = Duration::from_secs_f64;
        assert_eq!(o.connect_timeout, s(1.5));
        assert_eq!(o.tls.connect_timeout, s(1.5));
        assert_eq!(o.tls.handshake_timeout, s(2.0));
        assert_eq!(o.request_timeout, s(4.0));
        for t in [
            o.tls_timeout,
            o.http_timeout,
            o.dns_timeout,
            o.email_timeout,
            o.ports_timeout,
        ] {
            assert_eq!(t, s(7.0));
        }
        assert_eq!(
            o.resolver.nameservers,
            [
                "127.0.0.1:5353".parse::<std::net::SocketAddr>().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        assert_eq!(o.resolver.cache_size, 0);
        assert!(o.resolver.dnssec_trust_anchors.contains("DNSKEY 257"));
        assert!(o.policy.allow_private);
    }

    #[test]
    fn bad_scanner_flags_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "\n").unwrap();
        for (args, wanted) in [
            (
                vec!["--skip", "tls,http,dns,email,ports"],
                "no check group left",
            ),
            (vec!["--checks", "smtp"], "unknown check group `smtp`"),
            (vec!["--timeout=-1"], "positive number"),
            (vec!["--connect-timeout", "NaN"], "positive number"),
            (vec!["--request-timeout", "1e300"], "--request-timeout"),
            (
                vec!["--dnssec-trust-anchors", empty.to_str().unwrap()],
                "no trust anchor",
            ),
            (
                vec!["--extra-root", empty.to_str().unwrap()],
                "no certificate",
            ),
        ] {
            let e = scanner_options(&scanner_args(&args)).unwrap_err();
            assert!(format!("{e:#}").contains(wanted), "{args:?}: {e:#}");
        }
    }

    #[test]
    fn targets_with_ports() {
        let p = PolicyOptions::new();
        let t = parse_target("Example.COM:8443", &p).unwrap();
        assert_eq!((t.domain.as_str(), t.port), ("Example.COM", Some(8443)));
        assert_eq!(parse_target(" example.com ", &p).unwrap().port, None);
        for bad in [
            "example.com:0",
            "example.com:99999",
            "example.com:x",
            "[::1",
            "exa mple.com",
            "",
        ] {
            assert!(parse_target(bad, &p).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn target_files_txt_and_csv() {
        let dir = tempfile::tempdir().unwrap();
        let txt = dir.path().join("v.txt");
        std::fs::write(&txt, "\u{feff}# vendors\na.example\n\n  b.example:8443  \n").unwrap();
        assert_eq!(
            read_target_file(&txt).unwrap(),
            [
                (2, "a.example".to_owned()),
                (4, "b.example:8443".to_owned())
            ]
        );
        // A header picks the column; quoted fields may hold commas.
        let csv = dir.path().join("v.csv");
        std::fs::write(
            &csv,
            "\u{feff}Name,Website,Tier\n\"Acme, Inc.\",acme.example,1\n# paused\n\"Beta \"\"B\"\"\", beta.example ,2\n",
        )
        .unwrap();
        assert_eq!(
            read_target_file(&csv).unwrap(),
            [
                (2, "acme.example".to_owned()),
                (4, "beta.example".to_owned())
            ]
        );
        // No header: the first column.
        let plain = dir.path().join("p.CSV");
        std::fs::write(&plain, "a.example,x\nb.example\n").unwrap();
        assert_eq!(
            read_target_file(&plain).unwrap(),
            [(1, "a.example".to_owned()), (2, "b.example".to_owned())]
        );
        let holes = dir.path().join("h.csv");
        std::fs::write(&holes, "name,domain\nAcme,acme.example\nBeta,\n").unwrap();
        let e = read_target_file(&holes).unwrap_err().to_string();
        assert!(e.ends_with("h.csv:3: no domain in column 2"), "{e}");
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, b"domain\n\xff\xfe.example\n").unwrap();
        assert!(read_target_file(&bad).is_err());
        let empty = dir.path().join("e.csv");
        std::fs::write(&empty, "domain\n").unwrap();
        assert!(
            read_target_file(&empty)
                .unwrap_err()
                .to_string()
                .contains("no targets")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_concurrency_targets_at_once_and_input_order_kept() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (r, p) = (running.clone(), peak.clone());
        let scan: ScanFn = Arc::new(move |t: BatchTarget| {
            let (r, p) = (r.clone(), p.clone());
            Box::pin(async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                // Later targets finish first.
                let n: u64 = t.domain.trim_end_matches(".example").parse().unwrap();
                tokio::time::sleep(Duration::from_millis(5 + (20 - n) * 2)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                Err(format!("fake {}", t.domain))
            })
        });
        let targets: Vec<BatchTarget> = (0..20)
            .map(|n| BatchTarget::new(format!("{n}.example")))
            .collect();
        let rows = scan_targets(scan, targets, 3, Progress::Never, || Timestamp::UNIX_EPOCH).await;
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(running.load(Ordering::SeqCst), 0);
        let names: Vec<&str> = rows.iter().map(Row::domain).collect();
        let wanted: Vec<String> = (0..20).map(|n| format!("{n}.example")).collect();
        assert_eq!(names, wanted);
        assert!(matches!(&rows[7], Row::Failed { error, .. } if error == "fake 7.example"));
    }
}
