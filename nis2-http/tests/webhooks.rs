//! Webhook delivery: per-account endpoints and secrets, retries with
//! back-off until the receiver accepts (same event id every time), and
//! webhook URLs checked by the target policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use nis2_scanner::ResolverOptions;
use nis2_scanner::lab::Lab;
use nis2_store::{OutboxPolicy, OutboxState, StoreOptions};
use reqwest::Method;
use serde_json::{Value, json};

/// One delivery attempt as the receiver saw it.
#[derive(Clone, Debug)]
struct Attempt {
    at: Instant,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A receiver answering `fail_first` attempts per path with 503, then 200.
/// `/moved` answers 307 to `/hook` (redirects must not be followed).
async fn scripted_receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<Attempt>>>) {
    let got: Arc<Mutex<Vec<Attempt>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/{path}",
        axum::routing::post(
            move |axum::extract::Path(path): axum::extract::Path<String>,
                  headers: HeaderMap,
                  body: Bytes| {
                let g = g.clone();
                async move {
                    let mut g = g.lock().unwrap();
                    let seen = g.iter().filter(|a| a.path == path).count();
                    g.push(Attempt {
                        at: Instant::now(),
                        path: path.clone(),
                        headers,
                        body,
                    });
                    if path == "moved" {
                        return (StatusCode::TEMPORARY_REDIRECT, [("location", "/hook")], "");
                    }
                    if seen < fail_first {
                        (StatusCode::SERVICE_UNAVAILABLE, [("x-test", "1")], "")
                    } else {
                        (StatusCode::OK, [("x-test", "1")], "")
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

fn fast_retries() -> StoreOptions {
    StoreOptions {
        outbox: OutboxPolicy {
            retry_base: Duration::from_millis(400),
            ..OutboxPolicy::default()
        },
        ..StoreOptions::default()
    }
}

async fn trigger(base: &str, tok: &str, id: &str) {
    let (s, _, v) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_with_backoff_until_accepted() {
    let (hook_base, got) = scripted_receiver(2).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.store = fast_retries();
    let srv = start_with(cfg, SampleScanner::default()).await;
    let base = srv.base.clone();
    let store = srv.state.store();

    // Two accounts, two endpoints, two secrets; a third account without one.
    let mut accounts = Vec::new();
    for (user, secret) in [("alpha", "secret-alpha"), ("beta", "secret-beta")] {
        let tok = token(user);
        let account = store.account_for_subject(user, user, now()).await.unwrap();
        let url = format!("{hook_base}/{user}");
        store
            .set_webhook_endpoint(account.id, &url, secret, now())
            .await
            .unwrap();
        let id = add_vendor(&base, &tok, &format!("{user}.example")).await;
        accounts.push((user, secret, tok, id));
    }
    let silent = token("gamma");
    let silent_id = add_vendor(&base, &silent, "gamma.example").await;
    trigger(&base, &silent, &silent_id).await;
    for (_, _, tok, id) in &accounts {
        trigger(&base, tok, id).await;
    }

    // Each endpoint: two 503s, then accepted; same body and event id each time.
    let attempts = eventually(60, || async {
        let g = got.lock().unwrap().clone();
        let done = ["alpha", "beta"]
            .iter()
            .all(|p| g.iter().filter(|a| a.path == *p).count() >= 3);
        done.then_some(g)
    })
    .await;
    for (user, secret, _, id) in &accounts {
        let mine: Vec<&Attempt> = attempts.iter().filter(|a| a.path == *user).collect();
        assert_eq!(
            mine.len(),
            3,
            "{user}: one event, two failures, one success"
        );
        let event_id = mine[0].headers["x-nis2-event-id"].to_str().unwrap();
        for a in &mine {
            assert_eq!(a.headers["x-nis2-event-id"], event_id, "same event id");
            assert_eq!(a.body, mine[0].body, "same exact body");
            let sig = a.headers["x-nis2-signature"].to_str().unwrap();
            assert!(python_verify(&a.body, secret, sig));
            let other = if *user == "alpha" {
                "secret-beta"
            } else {
                "secret-alpha"
            };
            assert!(!python_verify(&a.body, other, sig), "per-account secret");
            let v: Value = serde_json::from_slice(&a.body).unwrap();
            assert_eq!(v["event"], "scan_completed");
            assert_eq!(v["vendor_id"], id.as_str(), "only the account's own events");
            assert_eq!(a.headers["x-nis2-event"], "scan_completed");
        }
        // Back-off: 400 ms after the first failure, 800 ms after the second.
        let gap1 = mine[1].at - mine[0].at;
        let gap2 = mine[2].at - mine[1].at;
        assert!(gap1 >= Duration::from_millis(350), "{user}: {gap1:?}");
        assert!(gap2 >= Duration::from_millis(750), "{user}: {gap2:?}");
    }
    // The store records the delivery and the failures before it.
    for (user, _, _, _) in &accounts {
        let account = store.account_by_subject(user).await.unwrap().unwrap();
        let entries = eventually(10, || async {
            let e = store.outbox_entries(account.id, 10).await.unwrap();
            e.iter()
                .all(|e| e.state == OutboxState::Delivered)
                .then_some(e)
        })
        .await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].attempts, 2, "{user}: two failed attempts");
        assert!(entries[0].last_error.as_deref().unwrap().contains("503"));
    }
    // The account without an endpoint got nothing anywhere.
    assert!(
        attempts
            .iter()
            .all(|a| !String::from_utf8_lossy(&a.body).contains(&silent_id))
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_urls_pass_the_target_policy() {
    let (hook_base, got) = scripted_receiver(0).await;
    let port = hook_base.rsplit(':').next().unwrap().to_owned();
    let lab = Lab::builder()
        .targets(&[])
        .dns(|d| {
            d.zone("hooks.nis2.test")
                .a("loop.hooks.nis2.test", Ipv4Addr::new(127, 0, 0, 1))
                .a("private.hooks.nis2.test", Ipv4Addr::new(10, 9, 8, 7))
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.store = fast_retries();
    cfg.webhooks.allow_private = false;
    cfg.resolver = ResolverOptions::default()
        .nameservers([lab.dns_addr()])
        .cache_size(0);
    let srv = start_with(cfg, SampleScanner::default()).await;
    let store = srv.state.store();
    let urls = [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://0x7f000001:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://loop.hooks.nis2.test:{port}/hook"),
        format!("http://private.hooks.nis2.test:{port}/hook"),
    ];
    let mut users = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let user = format!("policy-{i}");
        let tok = token(&user);
        let account = store
            .account_for_subject(&user, &user, now())
            .await
            .unwrap();
        store
            .set_webhook_endpoint(account.id, url, "s", now())
            .await
            .unwrap();
        let id = add_vendor(&srv.base, &tok, &format!("v{i}.example")).await;
        trigger(&srv.base, &tok, &id).await;
        users.push((url.clone(), account.id));
    }
    for (url, account) in &users {
        let entry = eventually(30, || async {
            let e = store.outbox_entries(*account, 10).await.unwrap();
            e.into_iter().find(|e| e.attempts >= 1)
        })
        .await;
        assert_ne!(entry.state, OutboxState::Delivered, "{url}");
        let why = entry.last_error.unwrap();
        eprintln!("{url}: {why}");
        assert!(
            why.contains("not allowed")
                || why.contains("loopback")
                || why.contains("private")
                || why.contains("special-use"),
            "{url}: {why}"
        );
        assert!(!why.contains("scanning"), "worded for deliveries: {why}");
        assert!(
            why.contains("delivering webhooks to private addresses is not allowed")
                || why.contains("delivering webhooks to private names is not allowed"),
            "{url}: {why}"
        );
    }
    assert!(
        got.lock().unwrap().is_empty(),
        "nothing reached the private receiver"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed() {
    let (hook_base, got) = scripted_receiver(0).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.store = fast_retries();
    let srv = start_with(cfg, SampleScanner::default()).await;
    let store = srv.state.store();
    let tok = token("redirected");
    let account = store
        .account_for_subject("redirected", "r", now())
        .await
        .unwrap();
    store
        .set_webhook_endpoint(account.id, &format!("{hook_base}/moved"), "s", now())
        .await
        .unwrap();
    let id = add_vendor(&srv.base, &tok, "moved.example").await;
    trigger(&srv.base, &tok, &id).await;
    let entry = eventually(30, || async {
        let e = store.outbox_entries(account.id, 10).await.unwrap();
        e.into_iter().find(|e| e.attempts >= 1)
    })
    .await;
    assert!(entry.last_error.unwrap().contains("307"));
    let followed = got.lock().unwrap().iter().any(|a| a.path != "moved");
    assert!(!followed, "the redirect was not followed");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_does_not_hold_up_other_accounts() {
    // A receiver that takes the request and never answers.
    let pending: Arc<Mutex<usize>> = Arc::default();
    let p = pending.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let p = p.clone();
            async move {
                *p.lock().unwrap() += 1;
                std::future::pending::<()>().await;
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (live_base, got) = scripted_receiver(0).await;

    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.webhooks.timeout = Duration::from_secs(120);
    let srv = start_with(cfg, SampleScanner::default()).await;
    let store = srv.state.store();
    let mut ids = Vec::new();
    for (user, url) in [("dead", dead), ("live", format!("{live_base}/hook"))] {
        let account = store.account_for_subject(user, user, now()).await.unwrap();
        store
            .set_webhook_endpoint(account.id, &url, "s", now())
            .await
            .unwrap();
        ids.push((
            token(user),
            add_vendor(&srv.base, &token(user), &format!("{user}.example")).await,
        ));
    }
    trigger(&srv.base, &ids[0].0, &ids[0].1).await;
    eventually(30, || async {
        (*pending.lock().unwrap() > 0).then_some(())
    })
    .await;
    // The dead endpoint holds its delivery; the live account's still arrives.
    trigger(&srv.base, &ids[1].0, &ids[1].1).await;
    eventually(30, || async {
        (!got.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        *pending.lock().unwrap(),
        1,
        "the dead delivery is still in flight"
    );
    srv.stop().await;
}
