//! `nis2 lab`: the scanner's lab vendors, started locally and scanned.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context;
use nis2_core::i18n::Lang;
use nis2_core::report::{self, VendorRef};
use nis2_scanner::lab::{Lab, LabVendors};
use nis2_scanner::{BatchTarget, TlsScanner};

use crate::cli::{LabArgs, LabFormat, Progress, ScanFormat};
use crate::output::{self, Row, paint_grade, write_stdout};
use crate::scan::{ScanFn, domain_scan_fn, scan_targets};
use crate::{Global, Outcome};

/// Both labs: whole vendors for the full scanner, and TLS-only targets
/// (old protocols, broken certificates, misbehaving servers).
struct Labs {
    vendors: LabVendors,
    /// `None` where they cannot start (they need `openssl s_server` for the
    /// legacy targets); the vendors run anyway.
    tls: Option<Lab>,
}

async fn start() -> anyhow::Result<Labs> {
    let (vendors, tls) = tokio::join!(LabVendors::start(), Lab::start());
    Ok(Labs {
        vendors: vendors.context("starting the lab vendors")?,
        tls: match tls {
            Ok(lab) => Some(lab),
            Err(e) => {
                let mut err = std::io::stderr().lock();
                let _ = std::io::Write::write_all(
                    &mut err,
                    format!(
                        "note: the lab's TLS targets did not start ({}); lab vendors only\n",
                        crate::one_line(&e.to_string())
                    )
                    .as_bytes(),
                );
                None
            }
        },
    })
}

/// `nis2 lab [--serve]`.
pub(crate) async fn run(global: &Global, args: &LabArgs) -> anyhow::Result<Outcome> {
    let lang = output::lang(&args.lang)?;
    let labs = start().await?;
    if args.serve {
        return serve(&labs, args).await;
    }

    // Full scans of the lab vendors (every check group).
    let vendor_targets: Vec<BatchTarget> = labs
        .vendors
        .vendors()
        .iter()
        .map(|v| BatchTarget::new(v.domain.clone()))
        .collect();
    let full = domain_scan_fn(&labs.vendors.scanner_options(), &vendor_targets)?;
    // TLS scans of the TLS targets, each on its own port.
    let (tls_rows, tls_kinds) = match &labs.tls {
        Some(lab) => {
            let tls_scanner =
                TlsScanner::new(lab.scan_options()).context("configuring the TLS scanner")?;
            let tls: ScanFn = Arc::new(move |t: BatchTarget| {
                let scanner = tls_scanner.clone();
                Box::pin(async move {
                    scanner
                        .scan_port(&t.domain, t.port.unwrap_or(443))
                        .await
                        .map_err(|e| crate::one_line(&e.to_string()))
                })
            });
            let targets: Vec<BatchTarget> = lab
                .targets()
                .iter()
                .map(|t| BatchTarget::with_port(t.name.clone(), t.addr.port()))
                .collect();
            let kinds: Vec<String> = lab
                .targets()
                .iter()
                .map(|t| format!("{:?}", t.kind))
                .collect();
            (Some((tls, targets)), kinds)
        }
        None => (None, Vec::new()),
    };
    let (vendor_rows, tls_rows) = tokio::join!(
        scan_targets(full, vendor_targets, 16, Progress::Auto, || global.now()),
        async {
            match tls_rows {
                Some((tls, targets)) => {
                    scan_targets(tls, targets, 16, Progress::Never, || global.now()).await
                }
                None => Vec::new(),
            }
        },
    );
    let vendor_kinds: Vec<String> = labs
        .vendors
        .vendors()
        .iter()
        .map(|v| format!("{:?}", v.kind))
        .collect();
    let now = global.now();
    let mut out = Vec::new();
    let sections = [
        (
            "Lab vendors: full scans (TLS, HTTP, DNS, e-mail, exposed ports)",
            &vendor_rows,
            &vendor_kinds,
        ),
        ("Lab TLS targets: TLS checks only", &tls_rows, &tls_kinds),
    ];
    for (title, rows, kinds) in sections {
        if rows.is_empty() {
            continue;
        }
        let body = match args.format {
            LabFormat::Table => output::render(rows, ScanFormat::Table, lang, now, global.color)?,
            LabFormat::Markdown => {
                output::render(rows, ScanFormat::Markdown, lang, now, global.color)?
            }
            LabFormat::Jsonl => output::render(rows, ScanFormat::Jsonl, lang, now, global.color)?,
            LabFormat::Report => brief(rows, kinds, lang, global.color).into_bytes(),
        };
        if args.format != LabFormat::Jsonl {
            out.extend_from_slice(format!("# {title}\n\n").as_bytes());
        }
        out.extend_from_slice(&body);
        if args.format != LabFormat::Jsonl {
            out.push(b'\n');
        }
    }
    if args.format == LabFormat::Report {
        out.extend_from_slice(
            format!(
                "{} lab vendors and {} TLS targets graded. Keep them running with `nis2 lab --serve`.\n",
                vendor_rows.len(),
                tls_rows.len()
            )
            .as_bytes(),
        );
    }
    write_stdout(&out)?;
    Ok(Outcome::Ok)
}

/// A short graded report per vendor: grade line, executive summary, failing checks.
fn brief(rows: &[Row], kinds: &[String], lang: Lang, color: bool) -> String {
    let t = lang.texts();
    let mut out = String::new();
    for (row, kind) in rows.iter().zip(kinds) {
        match row {
            Row::Graded { domain, assessment } => {
                let sums = report::summaries(assessment, VendorRef::new(domain), lang);
                let _ = writeln!(
                    out,
                    "== {domain} ({kind}) — grade {}, score {}/100, risk {:?}",
                    paint_grade(assessment.grade, color),
                    assessment.score,
                    assessment.risk_level
                );
                let _ = writeln!(out, "   {}", crate::one_line(&sums.executive));
                let mut failing: Vec<_> = assessment.failing().collect();
                failing.sort_by_key(|f| (f.severity, std::cmp::Reverse(f.penalty)));
                for f in failing {
                    let _ = writeln!(
                        out,
                        "   - [{}] {} (−{}): {}",
                        t.severity(f.severity),
                        t.check(f.check_id).failure,
                        f.penalty,
                        crate::one_line(&f.evidence)
                    );
                }
                out.push('\n');
            }
            Row::Failed { domain, error } => {
                let _ = writeln!(out, "== {domain} ({kind}) — not scanned: {error}\n");
            }
        }
    }
    out
}

async fn serve(labs: &Labs, args: &LabArgs) -> anyhow::Result<Outcome> {
    let (dir, _tmp) = match &args.ca_out {
        Some(p) => {
            std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
            (p.clone(), None)
        }
        None => {
            // Removed on drop, also after Ctrl-C or SIGTERM (see `shutdown_signal`).
            let tmp = tempfile::Builder::new()
                .prefix("nis2-lab-")
                .tempdir()
                .context("creating a temporary directory for the lab's files")?;
            (tmp.path().to_path_buf(), Some(tmp))
        }
    };
    let vendor_ca = dir.join("nis2-lab-vendors-ca.pem");
    let tls_ca = dir.join("nis2-lab-tls-ca.pem");
    let anchors_path = dir.join("nis2-lab-vendors-dnssec.txt");
    // Everything printed below comes from the options the lab itself scans with.
    let options = labs.vendors.scanner_options();
    let anchors = options.resolver.dnssec_trust_anchors.clone();
    let mut files = vec![
        (&vendor_ca, labs.vendors.root_ca_pem()),
        (&anchors_path, anchors.as_str()),
    ];
    if let Some(tls) = &labs.tls {
        files.push((&tls_ca, tls.root_ca_pem()));
    }
    for (path, text) in files {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let v = &labs.vendors;
    let mut out = String::new();
    let _ = writeln!(out, "nis2 lab running; Ctrl-C stops it.");
    let _ = writeln!(out);
    let _ = writeln!(out, "Lab vendors (full scans):");
    let resolver = options
        .resolver
        .nameservers
        .first()
        .copied()
        .unwrap_or_else(|| v.dns_addr());
    let _ = writeln!(out, "resolver: {resolver}");
    let _ = writeln!(out, "https-port: {}", options.https_port);
    let _ = writeln!(out, "http-port: {}", options.http_port);
    let _ = writeln!(out, "dns-port: {}", options.dns_port);
    let _ = writeln!(out, "root-ca: {}", vendor_ca.display());
    let _ = writeln!(out, "dnssec-trust-anchors: {}", anchors_path.display());
    let _ = writeln!(out, "vendors:");
    for vendor in v.vendors() {
        let _ = writeln!(out, "  {}  {:?}  {}", vendor.domain, vendor.kind, vendor.ip);
    }
    let first = v
        .vendors()
        .first()
        .map(|x| x.domain.clone())
        .unwrap_or_default();
    let _ = writeln!(out, "scan them with:");
    let _ = writeln!(
        out,
        "  nis2 scan {first} --resolver {resolver} --https-port {} --http-port {} --dns-port {} --extra-root {} --dnssec-trust-anchors {} --allow-private",
        options.https_port,
        options.http_port,
        options.dns_port,
        vendor_ca.display(),
        anchors_path.display()
    );
    let _ = writeln!(out);
    if let Some(t) = &labs.tls {
        let _ = writeln!(out, "Lab TLS targets (TLS checks; each NAME:PORT):");
        let _ = writeln!(out, "tls-resolver: {}", t.dns_addr());
        let _ = writeln!(out, "tls-root-ca: {}", tls_ca.display());
        let _ = writeln!(out, "targets:");
        for target in t.targets() {
            let _ = writeln!(
                out,
                "  {}:{}  {:?}  {}",
                target.name,
                target.addr.port(),
                target.kind,
                target.addr
            );
        }
        let first = t
            .targets()
            .first()
            .map(|x| format!("{}:{}", x.name, x.addr.port()))
            .unwrap_or_default();
        let _ = writeln!(out, "scan them with:");
        let _ = writeln!(
            out,
            "  nis2 scan {first} --checks tls --resolver {} --extra-root {} --allow-private",
            t.dns_addr(),
            tls_ca.display()
        );
    }
    write_stdout(out.as_bytes())?;
    shutdown_signal().await?;
    Ok(Outcome::Ok)
}

/// Ctrl-C, or SIGTERM on Unix (so the temporary CA directory is removed).
pub(crate) async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
