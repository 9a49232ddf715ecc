//! The short-lived answer cache of `GET /vendors` and `GET
//! /dashboard/summary` never hides a write made through the server
//! (handlers or its worker), even with a long time to live; writes made
//! behind its back show once the time to live is over; zero turns it off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use nis2_store::NewVendor;
use reqwest::Method;
use serde_json::{Value, json};

async fn get(base: &str, tok: &str, path: &str) -> Value {
    let (s, _, v) = call(Method::GET, &format!("{base}{path}"), Some(tok), None).await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_writes_show_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    // Long enough that any write the cache missed would show as stale.
    cfg.response_cache_ttl = Duration::from_secs(3_600);
    let scanner = SampleScanner::default();
    *scanner.delay.lock().unwrap() = Duration::from_millis(500);
    let srv = start_with(cfg, scanner.clone()).await;
    let (base, tok) = (srv.base.clone(), token("cached"));
    let other = token("cached-other");

    assert_eq!(get(&base, &tok, "/vendors").await["total"], 0);
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        0
    );
    let id = add_vendor(&base, &tok, "cached.example").await;
    assert_eq!(
        get(&base, &tok, "/vendors").await["total"],
        1,
        "create shows"
    );
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        1
    );
    // Another account's writes do not touch this account's answers, nor leak.
    add_vendor(&base, &other, "other.example").await;
    assert_eq!(get(&base, &tok, "/vendors").await["total"], 1);
    assert_eq!(get(&base, &other, "/vendors").await["total"], 1);

    let (s, _, _) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        get(&base, &tok, "/vendors").await["vendors"][0]["status"],
        "scanning",
        "the trigger shows"
    );
    // The worker's result shows (polling: the scan takes 500 ms).
    let done = eventually(30, || async {
        let v = get(&base, &tok, "/vendors").await;
        (v["vendors"][0]["status"] == "complete").then_some(v)
    })
    .await;
    assert_eq!(done["vendors"][0]["current_grade"], "A");
    let d = get(&base, &tok, "/dashboard/summary").await;
    assert_eq!(d["grade_distribution"]["A"], 1, "{d}");
    assert_eq!(d["average_score"], 100);

    let (s, _, _) = call(
        Method::DELETE,
        &format!("{base}/vendors/{id}"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        get(&base, &tok, "/vendors").await["total"],
        0,
        "delete shows"
    );
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        0
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_behind_the_servers_back_show_after_the_ttl() {
    for ttl in [Duration::from_millis(300), Duration::ZERO] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(&dir.path().join("nis2.db"));
        cfg.response_cache_ttl = ttl;
        let srv = start_with(cfg, SampleScanner::default()).await;
        let (base, tok) = (srv.base.clone(), token("behind"));
        assert_eq!(get(&base, &tok, "/vendors").await["total"], 0);
        // Another process (here: another handle on the same database) adds one.
        let store = nis2_store::SqlStore::open(&dir.path().join("nis2.db").display().to_string())
            .await
            .unwrap();
        let account = store.account_by_subject("behind").await.unwrap().unwrap();
        store
            .create_vendor(account.id, &NewVendor::new("behind.example", true), now())
            .await
            .unwrap();
        if ttl.is_zero() {
            assert_eq!(get(&base, &tok, "/vendors").await["total"], 1, "no cache");
        } else {
            eventually(10, || async {
                (get(&base, &tok, "/vendors").await["total"] == 1).then_some(())
            })
            .await;
        }
        store.close().await;
        srv.stop().await;
    }
}
