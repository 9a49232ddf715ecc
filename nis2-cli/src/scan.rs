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
        .concurrency(usize::from(args.concurrency))
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
    if !args.resolver.is_empty() {
        o = o.resolver(
            ResolverOptions::default()
                .nameservers(args.resolver.iter().copied())
                // A private resolver is usually a lab whose zone changes per run.
                .cache_size(0),
        );
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
/// (the `domain` column, else the first).
pub(crate) fn read_target_file(path: &Path) -> anyhow::Result<Vec<(usize, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut out = Vec::new();
    let mut column = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if is_csv {
            let fields: Vec<String> = line
                .split(',')
                .map(|f| f.trim().trim_matches('"').trim().to_owned())
                .collect();
            if out.is_empty()
                && column == 0
                && let Some(i) = fields.iter().position(|f| {
                    matches!(
                        f.to_ascii_lowercase().as_str(),
                        "domain" | "vendor" | "host" | "hostname" | "website"
                    )
                })
            {
                column = i;
                continue;
            }
            match fields.get(column) {
                Some(f) if !f.is_empty() => out.push((n + 1, f.clone())),
                _ => bail!(
                    "{}:{}: no domain in column {}",
                    path.display(),
                    n + 1,
                    column + 1
                ),
            }
        } else {
            out.push((n + 1, line.to_owned()));
        }
    }
    if out.is_empty() {
        bail!("{}: no targets in the file", path.display());
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
        usize::from(args.scanner.concurrency),
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
