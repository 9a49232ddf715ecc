//! More than one machine on PostgreSQL: an API-only `nis2 serve` and two
//! `nis2 worker` processes (here: [`nis2_http::run_worker`] tasks) share one
//! database. Triggered scans are claimed once each (SKIP LOCKED leases), run
//! by the workers, shown by the API, and their webhooks delivered, signed.
//!
//! Uses the PostgreSQL server at `NIS2_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and a fresh database of its
//! own, dropped at the end. Like the store's PostgreSQL tests: when the
//! server cannot be reached it says NOT RUN on stderr, and fails instead
//! with `NIS2_REQUIRE_POSTGRES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use nis2_core::Scanner;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_and_two_workers_share_postgresql() {
    let Some((url, name)) = pg_fresh_database("server and workers").await else {
        return;
    };
    let hook = receiver().await;
    let dir = tempfile::tempdir().unwrap();

    // The API machine: no worker, no dispatcher.
    let mut api = config(&dir.path().join("unused.db"));
    api.database = url.clone();
    api.worker.enabled = false;
    api.webhooks.enabled = false;
    let srv = start_with(api, SampleScanner::default()).await;

    // Two worker machines, each with the scan worker and the dispatcher.
    let scanner = SampleScanner::default();
    *scanner.delay.lock().unwrap() = Duration::from_millis(200);
    let mut workers = Vec::new();
    for i in 0..2 {
        let mut cfg = config(&dir.path().join("unused.db"));
        cfg.database = url.clone();
        cfg.worker.name = format!("pg-worker-{i}");
        cfg.worker.concurrency = 2;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s: Arc<dyn Scanner> = Arc::new(scanner.clone());
        let task = tokio::spawn(nis2_http::run_worker(cfg, s, async move {
            let _ = rx.await;
        }));
        workers.push((tx, task));
    }

    let base = srv.base.clone();
    let tok = token("pg-user");
    let account = srv
        .state
        .store()
        .account_for_subject("pg-user", "pg", now())
        .await
        .unwrap();
    srv.state
        .store()
        .set_webhook_endpoint(account.id, &hook.url, "pg-secret", now())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = add_vendor(&base, &tok, &format!("pg{i}.example")).await;
        let (s, _, v) = call(
            Method::POST,
            &format!("{base}/scans/trigger"),
            Some(&tok),
            Some(json!({"vendor_id": id})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        ids.push(id);
    }
    // The API shows the workers' results.
    eventually(60, || async {
        let (_, _, v) = call(Method::GET, &format!("{base}/vendors"), Some(&tok), None).await;
        v["vendors"]
            .as_array()?
            .iter()
            .all(|v| v["status"] == "complete" && v["current_grade"] == "A")
            .then_some(())
    })
    .await;
    // Each scan ran once, though two workers (four loops) were claiming.
    let mut per_domain: HashMap<String, usize> = HashMap::new();
    for d in scanner.calls.lock().unwrap().iter() {
        *per_domain.entry(d.clone()).or_default() += 1;
    }
    assert_eq!(per_domain.len(), 5, "{per_domain:?}");
    assert!(per_domain.values().all(|n| *n == 1), "{per_domain:?}");
    // Every event delivered, signed, once per event id.
    let got = eventually(60, || async {
        let got = hook.got.lock().unwrap().clone();
        (got.len() >= 5).then_some(got)
    })
    .await;
    let mut event_ids = std::collections::HashSet::new();
    for d in &got {
        let sig = d.headers["x-nis2-signature"].to_str().unwrap();
        assert!(python_verify(&d.body, "pg-secret", sig));
        let v: Value = serde_json::from_slice(&d.body).unwrap();
        assert_eq!(v["event"], "scan_completed");
        event_ids.insert(d.headers["x-nis2-event-id"].to_str().unwrap().to_owned());
    }
    assert_eq!(event_ids.len(), 5, "five distinct events");
    for id in &ids {
        let (s, _, h) = call(
            Method::GET,
            &format!("{base}/scans/history/{id}"),
            Some(&tok),
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(h["scans"].as_array().unwrap().len(), 1);
    }

    for (tx, task) in workers {
        let _ = tx.send(());
        task.await.unwrap().unwrap();
    }
    srv.stop().await;
    pg_drop_database(&name).await;
}
