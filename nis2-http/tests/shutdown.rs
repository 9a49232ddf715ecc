//! Graceful shutdown: in-flight requests and scans finish within the grace
//! period; a scan that outlives it is given back (queued again, the attempt
//! not counted, the vendor still `scanning` — even on its only attempt) and
//! runs after the next start; no new connection is accepted once stopped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::*;
use nis2_core::VendorStatus;
use nis2_scanner::ResolverOptions;
use nis2_scanner::lab::Lab;
use nis2_store::{JobPolicy, JobState, SqlStore, StoreOptions};
use reqwest::Method;
use serde_json::json;

/// One attempt per job: a job given back on shutdown must not use it up.
fn single_attempt() -> StoreOptions {
    StoreOptions {
        jobs: JobPolicy {
            max_attempts: 1,
            ..JobPolicy::default()
        },
        ..StoreOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_requests_and_scans() {
    let lab = Lab::builder()
        .targets(&[])
        .dns(|d| {
            d.zone("stop.nis2.test")
                .a("public.stop.nis2.test", Ipv4Addr::new(8, 8, 8, 8))
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nis2.db");
    let mut cfg = config(&db);
    cfg.shutdown_grace = Duration::from_secs(20);
    cfg.resolver = ResolverOptions::default()
        .nameservers([lab.dns_addr()])
        .cache_size(0);
    cfg.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
    let scanner = SampleScanner::default();
    *scanner.delay.lock().unwrap() = Duration::from_millis(1_500);
    let srv = start_with(cfg, scanner.clone()).await;
    let base = srv.base.clone();
    let tok = token("stopper");
    let id = add_vendor(&base, &tok, "inflight.example").await;
    let (s, _, _) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200);
    eventually(10, || async {
        (!scanner.calls.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    // A slow request in flight too (a demo scan, same slow scanner).
    let demo = tokio::spawn({
        let base = base.clone();
        async move {
            client()
                .post(format!("{base}/scan/demo"))
                .header("x-forwarded-for", "203.0.113.50")
                .json(&json!({"domain": "public.stop.nis2.test"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    eventually(10, || async {
        (scanner.calls.lock().unwrap().len() >= 2).then_some(())
    })
    .await;
    srv.stop().await;
    assert_eq!(
        demo.await.unwrap(),
        200,
        "the in-flight request was answered"
    );
    // The port is closed.
    assert!(
        client().get(format!("{base}/health")).send().await.is_err(),
        "no new connections after shutdown"
    );
    // The in-flight scan finished and was stored.
    let store = SqlStore::open(&db.display().to_string()).await.unwrap();
    let account = store.account_by_subject("stopper").await.unwrap().unwrap();
    let vendor = store.vendor(account.id, id.parse().unwrap()).await.unwrap();
    assert_eq!(vendor.status, VendorStatus::Complete);
    let jobs = store.vendor_jobs(account.id, vendor.id).await.unwrap();
    assert_eq!(jobs[0].state, JobState::Done);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_outliving_the_grace_period_is_given_back_and_runs_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nis2.db");
    let mut cfg = config(&db);
    cfg.store = single_attempt();
    cfg.shutdown_grace = Duration::from_millis(500);
    let slow = SampleScanner::default();
    *slow.delay.lock().unwrap() = Duration::from_secs(600);
    let srv = start_with(cfg.clone(), slow.clone()).await;
    let tok = token("impatient");
    let id = add_vendor(&srv.base, &tok, "slow.example").await;
    let (s, _, _) = call(
        Method::POST,
        &format!("{}/scans/trigger", srv.base),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200);
    eventually(10, || async {
        (!slow.calls.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    let stopping = tokio::time::Instant::now();
    srv.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(60),
        "shutdown did not wait for the 10-minute scan"
    );
    {
        let store = SqlStore::open(&db.display().to_string()).await.unwrap();
        let account = store
            .account_by_subject("impatient")
            .await
            .unwrap()
            .unwrap();
        let vendor = id.parse().unwrap();
        let jobs = store.vendor_jobs(account.id, vendor).await.unwrap();
        assert_eq!(jobs.len(), 1);
        // Given back (not failed): queued, claimable at once, the attempt
        // not counted, the vendor still `scanning`, no error recorded.
        assert_eq!(
            (
                jobs[0].state,
                jobs[0].attempts,
                jobs[0].lease_until,
                jobs[0].last_error.as_deref()
            ),
            (JobState::Queued, 0, None, None),
            "given back: {:?}",
            jobs[0]
        );
        assert!(jobs[0].run_after <= now(), "{:?}", jobs[0]);
        let v = store.vendor(account.id, vendor).await.unwrap();
        assert_eq!(v.status, VendorStatus::Scanning);
        assert_eq!(store.vendor_error(account.id, vendor).await.unwrap(), None);
        assert!(
            store
                .scan_history(account.id, vendor, nis2_store::Page::first(10))
                .await
                .unwrap()
                .is_empty(),
            "nothing half-written"
        );
        store.close().await;
    }
    // The next start runs it.
    let srv = start_with(cfg, SampleScanner::default()).await;
    let done = eventually(30, || async {
        let v = vendor_status(&srv.base, &tok, &id).await?;
        (v["status"] == "complete").then_some(v)
    })
    .await;
    assert_eq!(done["current_grade"], "A");
    srv.stop().await;
}
