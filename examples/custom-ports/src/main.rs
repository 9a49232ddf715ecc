//! Runs the nis2 engine over ports you write yourself: a scanner that reads
//! observations other tools gathered (`<dir>/<domain>.json`), an in-memory
//! store, a notifier that prints events, and the system clock. The engine
//! needs no async runtime of its own, so a tiny executor runs it.
//!
//! ```text
//! cargo run -p example-score-json -- --sample weak > /tmp/obs/vendor.example.json
//! cargo run -p example-custom-ports -- /tmp/obs vendor.example
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
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
            writeln!(out, "{}", e.to_json()).map_err(|e| NotifyError {
                message: e.to_string(),
            })?;
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, domains @ ..] = args.as_slice() else {
        eprintln!("usage: custom-ports DIR DOMAIN...");
        return ExitCode::FAILURE;
    };
    let engine = Engine::new(
        Arc::new(FileScanner(PathBuf::from(dir))),
        Arc::new(MemoryStore::default()),
        Arc::new(PrintNotifier),
        Arc::new(SystemClock),
    );
    let account = AccountId(Uuid::nil());
    let now = SystemClock.now();
    let mut failed = false;
    for (i, domain) in domains.iter().enumerate() {
        let vendor = Vendor {
            id: VendorId(Uuid::from_u128(i as u128 + 1)),
            account_id: account,
            domain: domain.clone(),
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
        match futures_executor::block_on(engine.scan_vendor(&vendor)) {
            Ok(outcome) => {
                let a = &outcome.assessment;
                eprintln!(
                    "{domain}: {}/100 grade {} ({} risk)",
                    a.score,
                    a.grade,
                    a.risk_level.as_str()
                );
            }
            Err(e) => {
                eprintln!("{domain}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
