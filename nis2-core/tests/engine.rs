//! The engine against in-memory fakes of its four ports.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_executor::block_on;
use nis2_core::samples::{flawless_vendor, weak_vendor};
use nis2_core::{
    AccountId, Clock, Engine, EngineError, Event, Grade, NewScan, Notifier, NotifyError,
    Observations, PastScan, ScanError, Scanner, Store, StoreError, Timestamp, Vendor, VendorId,
    VendorStatus,
};
use uuid::Uuid;

struct FakeScanner {
    next: Mutex<Vec<Result<Observations, ScanError>>>,
}

#[async_trait]
impl Scanner for FakeScanner {
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        let mut r = self.next.lock().unwrap().remove(0)?;
        r.domain = domain.to_owned();
        Ok(r)
    }
}

#[derive(Default)]
struct Stored {
    scans: Vec<(AccountId, VendorId, PastScan, usize)>,
    outbox: Vec<(AccountId, String)>,
    failures: Vec<(VendorId, String)>,
    vendor_status: Option<VendorStatus>,
}

#[derive(Default)]
struct MemStore {
    s: Mutex<Stored>,
    fail_writes: bool,
}

#[async_trait]
impl Store for MemStore {
    async fn previous_scans(
        &self,
        account: AccountId,
        vendor: VendorId,
        limit: usize,
    ) -> Result<Vec<PastScan>, StoreError> {
        let s = self.s.lock().unwrap();
        // Newest first; scans of the same instant, last stored first (the
        // store's contract): reversed, then a stable sort.
        let mut v: Vec<PastScan> = s
            .scans
            .iter()
            .rev()
            .filter(|(a, v, ..)| *a == account && *v == vendor)
            .map(|(.., p, _)| p.clone())
            .collect();
        v.sort_by_key(|p| std::cmp::Reverse(p.scanned_at));
        v.truncate(limit);
        Ok(v)
    }

    async fn record_scan(&self, scan: NewScan<'_>) -> Result<(), StoreError> {
        if self.fail_writes {
            return Err(StoreError::Backend {
                message: "disk full".into(),
            });
        }
        let mut s = self.s.lock().unwrap();
        let past = PastScan {
            scan_id: scan.scan_id,
            scanned_at: scan.assessment.assessed_at,
            score: scan.assessment.score,
            grade: scan.assessment.grade,
            failing: scan.assessment.failing().map(|f| f.check_id).collect(),
        };
        s.scans.push((
            scan.account_id,
            scan.vendor_id,
            past,
            scan.observations.errors.len(),
        ));
        for e in scan.events {
            s.outbox.push((scan.account_id, e.to_json()));
        }
        s.vendor_status = Some(VendorStatus::Complete);
        Ok(())
    }

    async fn record_scan_failure(
        &self,
        _: AccountId,
        vendor: VendorId,
        message: &str,
    ) -> Result<(), StoreError> {
        let mut s = self.s.lock().unwrap();
        s.failures.push((vendor, message.to_owned()));
        s.vendor_status = Some(VendorStatus::Error);
        Ok(())
    }
}

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(AccountId, Vec<String>)>>,
    broken: bool,
}

#[async_trait]
impl Notifier for Recorder {
    async fn notify(&self, account: AccountId, events: &[Event]) -> Result<(), NotifyError> {
        if self.broken {
            return Err(NotifyError::new("dispatcher gone"));
        }
        self.seen.lock().unwrap().push((
            account,
            events.iter().map(|e| e.name().to_owned()).collect(),
        ));
        Ok(())
    }
}

struct StepClock(Mutex<Timestamp>);

impl Clock for StepClock {
    fn now(&self) -> Timestamp {
        let mut t = self.0.lock().unwrap();
        let now = *t;
        *t = now.plus_days(20);
        now
    }
}

fn vendor() -> Vendor {
    let t0 = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    Vendor {
        id: VendorId(Uuid::from_u128(7)),
        account_id: AccountId(Uuid::from_u128(1)),
        domain: "vendor.example".into(),
        vendor_name: Some("Vendor Ltd".into()),
        notes: None,
        consent_given: true,
        consent_timestamp: t0,
        status: VendorStatus::Pending,
        current_score: None,
        current_grade: None,
        risk_level: None,
        last_scanned_at: None,
        created_at: t0,
    }
}

fn t0() -> Timestamp {
    Timestamp::parse("2026-06-01T00:00:00Z").unwrap()
}

#[test]
fn scans_assesses_stores_and_notifies_with_history() {
    let scanner = Arc::new(FakeScanner {
        next: Mutex::new(vec![
            Ok(flawless_vendor("vendor.example", t0())),
            Ok(weak_vendor("vendor.example", t0().plus_days(20))),
            Ok(weak_vendor("vendor.example", t0().plus_days(40))),
        ]),
    });
    let store = Arc::new(MemStore::default());
    let notifier = Arc::new(Recorder::default());
    let clock = Arc::new(StepClock(Mutex::new(t0())));
    let engine = Engine::new(scanner, store.clone(), notifier.clone(), clock).with_report_link(
        Arc::new(|v, s| format!("http://localhost:8000/reports/{v}/{s}.pdf")),
    );
    let v = vendor();

    let first = block_on(engine.scan_vendor(&v)).unwrap();
    assert_eq!(
        (first.assessment.score, first.assessment.grade),
        (100, Grade::A)
    );
    assert_eq!(first.events.len(), 1);
    match &first.events[0] {
        Event::ScanCompleted {
            pdf_url: Some(url),
            vendor_id,
            ..
        } => {
            assert!(url.ends_with(&format!("{}.pdf", first.scan_id)));
            assert_eq!(*vendor_id, v.id);
        }
        e => panic!("{e:?}"),
    }

    let second = block_on(engine.scan_vendor(&v)).unwrap();
    assert_eq!(second.assessment.grade, Grade::F);
    let names: Vec<&str> = second.events.iter().map(Event::name).collect();
    assert_eq!(names, ["scan_completed", "grade_changed", "critical_alert"]);
    assert_eq!(
        second.assessment.nis2_mapping.article_21_2f,
        nis2_core::MappingStatus::Compliant
    );

    // Third scan, 20 days later: the high findings from the second scan are
    // now past their 14-day deadline, so (f) turns non-compliant; no new alert.
    let third = block_on(engine.scan_vendor(&v)).unwrap();
    assert_eq!(
        third.assessment.nis2_mapping.article_21_2f,
        nis2_core::MappingStatus::NonCompliant
    );
    assert_eq!(
        third.events.iter().map(Event::name).collect::<Vec<_>>(),
        ["scan_completed"]
    );

    let s = store.s.lock().unwrap();
    assert_eq!(s.scans.len(), 3);
    assert_eq!(s.outbox.len(), 5);
    assert!(s.outbox.iter().all(|(a, _)| *a == v.account_id));
    assert_eq!(notifier.seen.lock().unwrap().len(), 3);
}

struct FixedClock(Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[test]
fn scans_in_the_same_second_compare_with_the_last_one() {
    // The clock is cut to whole seconds, so quick rescans share an instant:
    // the previous scan is the one stored last, not any of its second.
    let scanner = Arc::new(FakeScanner {
        next: Mutex::new(vec![
            Ok(flawless_vendor("vendor.example", t0())),
            Ok(weak_vendor("vendor.example", t0())),
            Ok(weak_vendor("vendor.example", t0())),
            Ok(flawless_vendor("vendor.example", t0())),
        ]),
    });
    let store = Arc::new(MemStore::default());
    let engine = Engine::new(
        scanner,
        store,
        Arc::new(Recorder::default()),
        Arc::new(FixedClock(t0())),
    );
    let v = vendor();
    let names = |o: &nis2_core::ScanOutcome| -> Vec<&'static str> {
        o.events.iter().map(Event::name).collect()
    };
    let first = block_on(engine.scan_vendor(&v)).unwrap();
    assert_eq!(names(&first), ["scan_completed"]);
    let second = block_on(engine.scan_vendor(&v)).unwrap();
    assert_eq!(
        names(&second),
        ["scan_completed", "grade_changed", "critical_alert"]
    );
    // F again after F: nothing changed, although an A scan shares the second.
    let third = block_on(engine.scan_vendor(&v)).unwrap();
    assert_eq!(names(&third), ["scan_completed"]);
    let fourth = block_on(engine.scan_vendor(&v)).unwrap();
    match &fourth.events[1] {
        Event::GradeChanged {
            previous_grade,
            new_grade,
            ..
        } => assert_eq!((*previous_grade, *new_grade), (Grade::F, Grade::A)),
        e => panic!("{e:?}"),
    }
}

#[test]
fn scan_failure_marks_vendor_error_and_stores_nothing() {
    let scanner = Arc::new(FakeScanner {
        next: Mutex::new(vec![Err(ScanError::TargetRefused {
            domain: "vendor.example".into(),
            reason: "10.0.0.1 is a private address; scanning private addresses is not allowed"
                .into(),
        })]),
    });
    let store = Arc::new(MemStore::default());
    let notifier = Arc::new(Recorder::default());
    let engine = Engine::new(
        scanner,
        store.clone(),
        notifier.clone(),
        Arc::new(StepClock(Mutex::new(t0()))),
    );
    let err = block_on(engine.scan_vendor(&vendor())).unwrap_err();
    assert!(matches!(
        err,
        EngineError::Scan(ScanError::TargetRefused { .. })
    ));
    assert!(err.to_string().contains("private"));
    let s = store.s.lock().unwrap();
    assert!(s.scans.is_empty() && s.outbox.is_empty());
    assert_eq!(s.vendor_status, Some(VendorStatus::Error));
    assert!(s.failures[0].1.contains("10.0.0.1"));
    assert!(notifier.seen.lock().unwrap().is_empty());
}

#[test]
fn invalid_observations_from_a_scanner_are_an_error_not_a_panic() {
    let mut bad = flawless_vendor("vendor.example", t0());
    bad.tls
        .as_mut()
        .unwrap()
        .certificate
        .as_mut()
        .unwrap()
        .chain[0]
        .key
        .bits = 0;
    let scanner = Arc::new(FakeScanner {
        next: Mutex::new(vec![Ok(bad)]),
    });
    let store = Arc::new(MemStore::default());
    let engine = Engine::new(
        scanner,
        store.clone(),
        Arc::new(Recorder::default()),
        Arc::new(StepClock(Mutex::new(t0()))),
    );
    let err = block_on(engine.scan_vendor(&vendor())).unwrap_err();
    assert!(matches!(err, EngineError::Observations(_)), "{err}");
    assert_eq!(
        store.s.lock().unwrap().vendor_status,
        Some(VendorStatus::Error)
    );
}

#[test]
fn store_failure_is_returned_and_nobody_is_notified() {
    let scanner = Arc::new(FakeScanner {
        next: Mutex::new(vec![Ok(flawless_vendor("vendor.example", t0()))]),
    });
    let store = Arc::new(MemStore {
        fail_writes: true,
        ..Default::default()
    });
    let notifier = Arc::new(Recorder::default());
    let engine = Engine::new(
        scanner,
        store,
        notifier.clone(),
        Arc::new(StepClock(Mutex::new(t0()))),
    );
    let err = block_on(engine.scan_vendor(&vendor())).unwrap_err();
    assert!(matches!(
        err,
        EngineError::Store(StoreError::Backend { .. })
    ));
    assert!(notifier.seen.lock().unwrap().is_empty());
}

#[test]
fn notifier_failure_does_not_lose_the_scan() {
    let scanner = Arc::new(FakeScanner {
        next: Mutex::new(vec![Ok(flawless_vendor("vendor.example", t0()))]),
    });
    let store = Arc::new(MemStore::default());
    let notifier = Arc::new(Recorder {
        broken: true,
        ..Default::default()
    });
    let engine = Engine::new(
        scanner,
        store.clone(),
        notifier,
        Arc::new(StepClock(Mutex::new(t0()))),
    );
    let out = block_on(engine.scan_vendor(&vendor())).unwrap();
    assert!(out.notify_error.is_some());
    assert_eq!(
        store.s.lock().unwrap().outbox.len(),
        1,
        "the event is in the outbox for the dispatcher"
    );
}

/// A clock with sub-second precision (a real one): the seed API speaks in
/// whole seconds, so the assessment, the stored scan and every event carry
/// the instant truncated to the second.
#[test]
fn timestamps_are_whole_seconds_like_the_seed() {
    struct PreciseClock;
    impl Clock for PreciseClock {
        fn now(&self) -> Timestamp {
            Timestamp::parse("2026-06-27T10:00:00.987654321Z").unwrap()
        }
    }
    let scanner = Arc::new(FakeScanner {
        next: Mutex::new(vec![Ok(weak_vendor("vendor.example", t0()))]),
    });
    let store = Arc::new(MemStore::default());
    let engine = Engine::new(
        scanner,
        store.clone(),
        Arc::new(Recorder::default()),
        Arc::new(PreciseClock),
    );
    let out = block_on(engine.scan_vendor(&vendor())).unwrap();
    let whole = Timestamp::parse("2026-06-27T10:00:00Z").unwrap();
    assert_eq!(out.assessment.assessed_at, whole);
    assert!(
        out.assessment
            .remediation_steps
            .iter()
            .all(|s| s.due.unix() % 86_400 == whole.unix() % 86_400)
    );
    let s = store.s.lock().unwrap();
    assert_eq!(s.scans[0].2.scanned_at, whole);
    assert_eq!(s.outbox.len(), 2, "scan_completed and critical_alert");
    for (_, body) in &s.outbox {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["timestamp"], "2026-06-27T10:00:00Z", "{body}");
    }
}
