//! The core engine end to end over the store: real observations (core's
//! samples), real evaluation and assessment, stored and read back on both
//! backends, events in the outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::{Ctx, ts};
use nis2_core::{
    AccountId, Clock, Engine, Event, Grade, Notifier, NotifyError, Observations, ScanError,
    Scanner, Timestamp, VendorStatus, samples,
};
use nis2_store::{NewVendor, Page};

contract!(engine_scans_store_and_read_back);

/// Returns whatever sample it was last given, or fails.
struct SampleScanner(Mutex<Option<Observations>>);

#[async_trait]
impl Scanner for SampleScanner {
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        self.0
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| ScanError::Resolution {
                domain: domain.to_owned(),
                reason: "NXDOMAIN".into(),
            })
    }
}

struct Recorder(Mutex<Vec<(AccountId, Vec<Event>)>>);

#[async_trait]
impl Notifier for Recorder {
    async fn notify(&self, account: AccountId, events: &[Event]) -> Result<(), NotifyError> {
        self.0.lock().unwrap().push((account, events.to_vec()));
        Ok(())
    }
}

struct FixedClock(Mutex<Timestamp>);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

async fn engine_scans_store_and_read_back(ctx: &Ctx) {
    let store = ctx.store.clone();
    let t1 = ts("2026-06-01T10:00:00Z");
    let t2 = ts("2026-06-08T10:00:00Z");
    let scanner = Arc::new(SampleScanner(Mutex::new(Some(samples::flawless_vendor(
        "vendor.example",
        t1,
    )))));
    let notifier = Arc::new(Recorder(Mutex::new(Vec::new())));
    let clock = Arc::new(FixedClock(Mutex::new(t1)));
    let engine = Engine::new(
        scanner.clone(),
        Arc::new(store.clone()),
        notifier.clone(),
        clock.clone(),
    );

    let account = store.create_account("Acme", None, t1).await.unwrap().id;
    let v = store
        .create_vendor(account, &NewVendor::new("vendor.example", true), t1)
        .await
        .unwrap();

    // A worker's round: claim, scan through the engine, complete.
    store.enqueue_scan(account, v.id, t1).await.unwrap();
    let job = store.claim_job("w", t1).await.unwrap().unwrap();
    let vendor = store.vendor(job.account_id, job.vendor_id).await.unwrap();
    let first = engine.scan_vendor(&vendor).await.unwrap();
    store.complete_job(&job, t1).await.unwrap();
    assert_eq!(first.assessment.grade, Grade::A);
    let after_first = store.vendor(account, v.id).await.unwrap();
    assert_eq!(after_first.status, VendorStatus::Complete);
    assert_eq!(after_first.current_score, Some(first.assessment.score));
    assert_eq!(after_first.current_grade, Some(Grade::A));

    // A weak vendor a week later: the engine reads the previous scan back from the store.
    *scanner.0.lock().unwrap() = Some(samples::weak_vendor("vendor.example", t2));
    *clock.0.lock().unwrap() = t2;
    let second = engine
        .scan_vendor(&store.vendor(account, v.id).await.unwrap())
        .await
        .unwrap();
    assert!(second.assessment.grade > Grade::A);
    assert!(
        second.events.iter().any(|e| e.name() == "grade_changed"),
        "{:?}",
        second.events
    );

    let history = store
        .scan_history(account, v.id, Page::default())
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].id, second.scan_id);
    assert_eq!(
        history[0].assessment, second.assessment,
        "the full assessment round-trips"
    );
    assert_eq!(
        history[0].observations,
        samples::weak_vendor("vendor.example", t2)
    );
    assert_eq!(history[1].assessment, first.assessment);

    // The outbox holds exactly the events the notifier was told about, in order.
    let mut outbox = store.outbox_entries(account, 100).await.unwrap();
    outbox.reverse();
    let told: Vec<String> = notifier
        .0
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, es)| es.iter().map(Event::to_json))
        .collect();
    assert_eq!(
        outbox.iter().map(|e| e.body.clone()).collect::<Vec<_>>(),
        told
    );

    // A scan that fails marks the vendor `error`.
    *scanner.0.lock().unwrap() = None;
    assert!(
        engine
            .scan_vendor(&store.vendor(account, v.id).await.unwrap())
            .await
            .is_err()
    );
    assert_eq!(
        store.vendor(account, v.id).await.unwrap().status,
        VendorStatus::Error
    );
    assert!(
        store
            .vendor_error(account, v.id)
            .await
            .unwrap()
            .unwrap()
            .contains("NXDOMAIN")
    );
}
