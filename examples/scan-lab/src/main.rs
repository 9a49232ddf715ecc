//! Starts the scanner's lab — local vendors on loopback addresses with their
//! own DNS server and CA — scans them as a real vendor would be scanned, and
//! prints each one's grade and findings. Nothing leaves the loopback
//! interface.
//!
//! ```text
//! cargo run -p example-scan-lab                     # every lab vendor
//! cargo run -p example-scan-lab -- good exposed     # some of them
//! ```
//!
//! The vendor names are the labels of [`VendorKind`]: good, weakmail,
//! spflookups, spfdouble, mtastsblocked, baresite, exposed, soft404,
//! redirectblocked, partial.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::SystemTime;

use nis2_core::{Assessment, History, Timestamp, assess, evaluate};
use nis2_scanner::DomainScanner;
use nis2_scanner::lab::{LabVendors, VendorKind};

fn now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The vendors named on the command line (all when none is).
fn chosen(args: &[String]) -> Result<Vec<VendorKind>, String> {
    if args.is_empty() {
        return Ok(VendorKind::ALL.to_vec());
    }
    args.iter()
        .map(|a| {
            VendorKind::ALL
                .into_iter()
                .find(|k| k.label() == a)
                .ok_or_else(|| {
                    let known: Vec<&str> = VendorKind::ALL.iter().map(|k| k.label()).collect();
                    format!("unknown lab vendor `{a}` (one of: {})", known.join(", "))
                })
        })
        .collect()
}

/// Scans one lab vendor and grades it.
async fn scan(scanner: &DomainScanner, kind: VendorKind) -> Result<Assessment, String> {
    let domain = kind.domain();
    let observations = scanner
        .scan(&domain)
        .await
        .map_err(|e| format!("{domain}: {e}"))?;
    let now = now();
    let findings = evaluate(&observations, now).map_err(|e| format!("{domain}: {e}"))?;
    Ok(assess(findings, &History::first_scan(now)))
}

/// The grade and the failing findings, most severe first, with evidence.
fn describe(domain: &str, a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{domain}: {}/100, grade {}, {} risk",
        a.score,
        a.grade,
        a.risk_level.as_str()
    );
    let mut failing: Vec<_> = a.failing().collect();
    failing.sort_by_key(|f| (f.severity, f.check_id));
    for f in failing {
        let _ = writeln!(
            s,
            "  {:<8} {:<30} {}",
            f.severity.as_str(),
            f.check_id.as_str(),
            f.evidence
        );
    }
    if a.failing().next().is_none() {
        let _ = writeln!(s, "  no failing check");
    }
    for p in &a.positive_findings {
        let _ = writeln!(s, "  +        {p}");
    }
    s
}

async fn run(kinds: &[VendorKind]) -> Result<String, String> {
    let lab = LabVendors::start()
        .await
        .map_err(|e| format!("cannot start the lab: {e}"))?;
    let scanner = DomainScanner::new(lab.scanner_options())
        .map_err(|e| format!("cannot build the scanner: {e}"))?;
    let mut out = String::new();
    for kind in kinds {
        let a = scan(&scanner, *kind).await?;
        out.push_str(&describe(&kind.domain(), &a));
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kinds = match chosen(&args) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // The lab needs a multi-threaded runtime.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&kinds)) {
        Ok(text) => {
            use std::io::Write as _;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = write!(std::io::stdout().lock(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use nis2_core::{CheckId, Grade};

    use super::*;

    #[test]
    fn vendors_are_chosen_by_label() {
        assert_eq!(chosen(&[]).unwrap().len(), VendorKind::ALL.len());
        assert_eq!(chosen(&["exposed".into()]).unwrap(), [VendorKind::Exposed]);
        let e = chosen(&["nope".into()]).unwrap_err();
        assert!(e.contains("nope") && e.contains("good"), "{e}");
    }

    /// The example's path through the lab: the good vendor grades A and the
    /// exposed one shows its open database and remote-admin ports.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scans_the_lab() {
        let lab = LabVendors::start().await.unwrap();
        let scanner = DomainScanner::new(lab.scanner_options()).unwrap();
        let good = scan(&scanner, VendorKind::Good).await.unwrap();
        assert_eq!(good.grade, Grade::A, "{}", describe("good", &good));
        let exposed = scan(&scanner, VendorKind::Exposed).await.unwrap();
        let failing: Vec<CheckId> = exposed.failing().map(|f| f.check_id).collect();
        assert!(failing.contains(&CheckId::ExposureDatabase), "{failing:?}");
        assert!(
            failing.contains(&CheckId::HttpSensitivePathExposed),
            "{failing:?}"
        );
        let text = describe(&VendorKind::Exposed.domain(), &exposed);
        assert!(
            text.contains("exposure.database") && text.contains("3306"),
            "{text}"
        );
    }
}
