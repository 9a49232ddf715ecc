//! The orchestration: scan a vendor, assess, store, notify — written only
//! against the ports, so it never spawns tasks, sleeps or reads the clock.

use std::sync::Arc;

use uuid::Uuid;

use crate::assess::{History, assess};
use crate::assessment::Assessment;
use crate::evaluate::evaluate;
use crate::events::{Event, Previous, Subject, events};
use crate::ports::{
    Clock, NewScan, Notifier, NotifyError, ScanError, ScanId, Scanner, Store, StoreError, Vendor,
    VendorId,
};

/// How many earlier scans feed the effectiveness point (f) and the events.
pub const HISTORY_DEPTH: usize = 20;

/// Builds the report link sent in `scan_completed` events.
pub type ReportLink = dyn Fn(VendorId, ScanId) -> String + Send + Sync;

/// Why a vendor scan failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The scanner could not scan the domain (recorded on the vendor as `error`).
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// The scanner returned facts that do not validate (recorded as `error`).
    #[error(transparent)]
    Observations(#[from] crate::Error),
    /// The store failed; nothing of this scan was stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one vendor scan produced.
#[derive(Debug)]
pub struct ScanOutcome {
    /// The stored scan's id.
    pub scan_id: ScanId,
    /// The assessment.
    pub assessment: Assessment,
    /// The events written to the outbox.
    pub events: Vec<Event>,
    /// Set when the notifier could not be told; the events are in the outbox
    /// all the same and will be delivered by the dispatcher.
    pub notify_error: Option<NotifyError>,
}

/// Scans, assesses, stores and notifies through the ports.
#[derive(Clone)]
pub struct Engine {
    scanner: Arc<dyn Scanner>,
    store: Arc<dyn Store>,
    notifier: Arc<dyn Notifier>,
    clock: Arc<dyn Clock>,
    report_link: Option<Arc<ReportLink>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over the four ports.
    pub fn new(
        scanner: Arc<dyn Scanner>,
        store: Arc<dyn Store>,
        notifier: Arc<dyn Notifier>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Engine {
            scanner,
            store,
            notifier,
            clock,
            report_link: None,
        }
    }

    /// Sets how `pdf_url` links in events are made.
    pub fn with_report_link(mut self, link: Arc<ReportLink>) -> Self {
        self.report_link = Some(link);
        self
    }

    /// Scans one vendor end to end. On a scan failure the vendor is marked
    /// `error` in the store and the error returned; on success the scan and its
    /// events are stored in one transaction and the notifier is told.
    ///
    /// The clock is read once, and truncated to whole seconds as the seed API
    /// writes times: that instant is the assessment's, the stored scan's and
    /// every event's.
    pub async fn scan_vendor(&self, vendor: &Vendor) -> Result<ScanOutcome, EngineError> {
        // The seed API speaks in whole seconds (`2026-06-27T10:00:00Z`): the
        // assessment, the stored scan and the events all carry this instant.
        let now = self.clock.now().trunc_seconds();
        let observations = match self.scanner.scan(&vendor.domain).await {
            Ok(o) => o,
            Err(e) => {
                self.store
                    .record_scan_failure(vendor.account_id, vendor.id, &e.to_string())
                    .await?;
                return Err(e.into());
            }
        };
        let findings = match evaluate(&observations, now) {
            Ok(f) => f,
            Err(e) => {
                self.store
                    .record_scan_failure(vendor.account_id, vendor.id, &e.to_string())
                    .await?;
                return Err(e.into());
            }
        };
        let previous = self
            .store
            .previous_scans(vendor.account_id, vendor.id, HISTORY_DEPTH)
            .await?;
        let assessment = assess(findings, &History::new(now, &previous));
        let scan_id = ScanId(Uuid::new_v4());
        let pdf_url = self.report_link.as_ref().map(|f| f(vendor.id, scan_id));
        // The newest earlier scan. The store lists them newest first, and
        // scans of the same second in the reverse order they were stored;
        // `max_by_key` keeps the last of equals, so walking the list
        // backwards keeps the front one of a tie.
        let prev = previous
            .iter()
            .rev()
            .max_by_key(|p| p.scanned_at)
            .map(|p| Previous {
                score: p.score,
                grade: p.grade,
            });
        let events = events(
            prev,
            &assessment,
            Subject {
                vendor_id: vendor.id,
                domain: &vendor.domain,
                pdf_url: pdf_url.as_deref(),
            },
        );
        self.store
            .record_scan(NewScan {
                scan_id,
                account_id: vendor.account_id,
                vendor_id: vendor.id,
                observations: &observations,
                assessment: &assessment,
                events: &events,
            })
            .await?;
        let notify_error = self.notifier.notify(vendor.account_id, &events).await.err();
        Ok(ScanOutcome {
            scan_id,
            assessment,
            events,
            notify_error,
        })
    }
}
