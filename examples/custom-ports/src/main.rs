//! Runs the nis2 engine over ports you write yourself: a scanner that reads
//! observations other tools gathered (`<dir>/<domain>.json`), an in-memory
//! store, a notifier that prints events, and the system clock. The engine
//! needs no async runtime of its own, so a tiny executor runs it.
//!
//! ```text
//! cargo run -p example-custom-ports                    # a demonstration (below)
//! cargo run -p example-score-json -- --sample weak > /tmp/obs/vendor.example.json
//! cargo run -p example-custom-ports -- /tmp/obs vendor.example
//! ```
//!
//! Without arguments it writes the sample observations of a flawless and a
//! weak vendor into a temporary directory and scans both; then the flawless
//! one's observations turn weak and it is scanned again (`grade_changed` and
//! `critical_alert` follow); then it removes the directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use nis2_core::samples::{flawless_vendor, weak_vendor};
use nis2_core::{
    AccountId, Clock, Engine, Event, NewScan, Notifier, NotifyError, Observations, PastScan,
    ScanError, Scanner, Store, StoreError, Timestamp, Vendor, VendorId, VendorStatus,
};
use uuid::Uuid;

/// Reads `<dir>/<domain>.json` (observations gathered by another tool).
struct FileScanner(PathBuf);

#[async_trait]
impl Scanner for FileScanner {
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        let path = self.0.join(format!("{domain}.json"));
        let text = std::fs::read_to_string(&path).map_err(|e| ScanError::Failed {
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        let mut obs: Observations = serde_json::from_str(&text).map_err(|e| ScanError::Failed {
            message: format!("{}: {e}", path.display()),
        })?;
        obs.domain = domain.to_owned();
        Ok(obs)
    }
}

/// Keeps scans in memory.
#[derive(Default)]
struct MemoryStore(Mutex<Vec<(VendorId, PastScan)>>);

#[async_trait]
impl Store for MemoryStore {
    async fn previous_scans(
        &self,
        _: AccountId,
        vendor: VendorId,
        limit: usize,
    ) -> Result<Vec<PastScan>, StoreError> {
        let scans = self.0.lock().map_err(|e| StoreError::Backend {
            message: e.to_string(),
        })?;
        Ok(scans
            .iter()
            .rev()
            .filter(|(v, _)| *v == vendor)
            .take(limit)
            .map(|(_, p)| p.clone())
            .collect())
    }

    async fn record_scan(&self, scan: NewScan<'_>) -> Result<(), StoreError> {
        let past = PastScan {
            scan_id: scan.scan_id,
            scanned_at: scan.assessment.assessed_at,
            score: scan.assessment.score,
            grade: scan.assessment.grade,
            failing: scan.assessment.failing().map(|f| f.check_id).collect(),
        };
        self.0
            .lock()
            .map_err(|e| StoreError::Backend {
                message: e.to_string(),
            })?
            .push((scan.vendor_id, past));
        Ok(())
    }

    async fn record_scan_failure(
        &self,
        _: AccountId,
        _: VendorId,
        message: &str,
    ) -> Result<(), StoreError> {
        eprintln!("(store) vendor marked as failed: {message}");
        Ok(())
    }
}

/// Prints each event as the JSON body a webhook would receive.
struct PrintNotifier;

#[async_trait]
impl Notifier for PrintNotifier {
    async fn notify(&self, _: AccountId, events: &[Event]) -> Result<(), NotifyError> {
        let mut out = std::io::stdout().lock();
        for e in events {
            writeln!(out, "{}", e.to_json()).map_err(|e| NotifyError::new(e.to_string()))?;
        }
        Ok(())
    }
}

struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp::from_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// One engine over the ports, and the vendors it has seen (one per domain,
/// so a domain scanned twice is compared with its earlier scan).
struct Run {
    engine: Engine,
    vendors: Vec<String>,
}

impl Run {
    fn new(dir: &Path) -> Run {
        Run {
            engine: Engine::new(
                Arc::new(FileScanner(dir.to_path_buf())),
                Arc::new(MemoryStore::default()),
                Arc::new(PrintNotifier),
                Arc::new(SystemClock),
            ),
            vendors: Vec::new(),
        }
    }

    /// Scans `domain` end to end; a line saying what came of it.
    fn scan(&mut self, domain: &str) -> Result<String, String> {
        let i = match self.vendors.iter().position(|d| d == domain) {
            Some(i) => i,
            None => {
                self.vendors.push(domain.to_owned());
                self.vendors.len() - 1
            }
        };
        let now = SystemClock.now();
        let vendor = Vendor {
            id: VendorId(Uuid::from_u128(i as u128 + 1)),
            account_id: AccountId(Uuid::nil()),
            domain: domain.to_owned(),
            vendor_name: None,
            notes: None,
            consent_given: true,
            consent_timestamp: now,
            status: VendorStatus::Pending,
            current_score: None,
            current_grade: None,
            risk_level: None,
            last_scanned_at: None,
            created_at: now,
        };
        let outcome = futures_executor::block_on(self.engine.scan_vendor(&vendor))
            .map_err(|e| format!("{domain}: {e}"))?;
        let a = &outcome.assessment;
        let events: Vec<&str> = outcome.events.iter().map(Event::name).collect();
        Ok(format!(
            "{domain}: {}/100 grade {} ({} risk); events: {}",
            a.score,
            a.grade,
            a.risk_level.as_str(),
            events.join(", ")
        ))
    }
}

/// The demonstration run without arguments, in a temporary directory.
fn demonstration() -> Result<Vec<String>, String> {
    let dir = std::env::temp_dir().join(format!("example-custom-ports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |domain: &str, obs: &Observations| {
        let path = dir.join(format!("{domain}.json"));
        let text = serde_json::to_string_pretty(obs).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let now = SystemClock.now();
    let result = (|| {
        let mut run = Run::new(&dir);
        write("good.example", &flawless_vendor("good.example", now))?;
        write("weak.example", &weak_vendor("weak.example", now))?;
        let mut lines = vec![run.scan("good.example")?, run.scan("weak.example")?];
        // The good vendor slips: its next scan finds it weak.
        write("good.example", &weak_vendor("good.example", now))?;
        lines.push(run.scan("good.example")?);
        Ok(lines)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => demonstration(),
        [dir, domains @ ..] if !domains.is_empty() => {
            let mut run = Run::new(Path::new(dir));
            domains.iter().map(|d| run.scan(d)).collect()
        }
        _ => {
            eprintln!("usage: custom-ports [DIR DOMAIN...]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(lines) => {
            for line in lines {
                eprintln!("{line}");
            }
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
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_demonstration_scans_compares_and_alerts() {
        let lines = demonstration().unwrap();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].contains("100/100 grade A") && lines[0].ends_with("events: scan_completed")
        );
        assert!(lines[1].contains("grade F") && lines[1].contains("critical_alert"));
        assert!(
            lines[2].contains("grade F")
                && lines[2].contains("grade_changed")
                && lines[2].contains("critical_alert"),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let dir =
            std::env::temp_dir().join(format!("example-custom-ports-none-{}", std::process::id()));
        let e = Run::new(&dir).scan("absent.example").unwrap_err();
        assert!(
            e.contains("cannot read") && e.contains("absent.example.json"),
            "{e}"
        );
    }
}
