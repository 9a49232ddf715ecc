//! The main flow against a real server on loopback: add vendor → trigger →
//! poll → history → dashboard → signed webhooks verified by the seed's
//! Python `verify` → grade change and critical alert on a vendor that gets worse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const HOOK_SECRET: &str = "whsec-flow-test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_gets_scanned_scored_and_webhooks_are_signed() {
    let srv = start().await;
    let base = srv.base.clone();
    let tok = token("user-flow");
    let hook = receiver().await;

    // The account exists from the first request; its webhook is configured in the store.
    let (s, _, health) = call(Method::GET, &format!("{base}/health"), None, None).await;
    assert_eq!(s, 200);
    assert_eq!(health["status"], "healthy");
    let account = srv
        .state
        .store()
        .account_for_subject("user-flow", "user-flow", now())
        .await
        .unwrap();
    srv.state
        .store()
        .set_webhook_endpoint(account.id, &hook.url, HOOK_SECRET, now())
        .await
        .unwrap();

    let id = add_vendor(&base, &tok, "Good-Vendor.example.").await;
    let v = vendor_status(&base, &tok, &id).await.unwrap();
    assert_eq!(v["domain"], "good-vendor.example");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["consent_given"], true);
    assert!(v["consent_timestamp"].is_string());

    // Trigger: async, answers `scanning`.
    let (s, _, t) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        t,
        json!({"message": "Scan queued", "vendor_id": id, "status": "scanning"})
    );

    // Poll until complete.
    let done = eventually(30, || async {
        let v = vendor_status(&base, &tok, &id).await?;
        (v["status"] == "complete").then_some(v)
    })
    .await;
    assert_eq!(done["current_score"], 100);
    assert_eq!(done["current_grade"], "A");
    assert_eq!(done["risk_level"], "Low");
    assert!(done["last_scanned_at"].is_string());

    // History with score data and a report link to this server.
    let (s, _, h) = call(
        Method::GET,
        &format!("{base}/scans/history/{id}"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 200, "{h}");
    let scans = h["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 1);
    let first = &scans[0];
    assert_eq!(first["score"], 100);
    assert_eq!(first["grade"], "A");
    for key in [
        "deductions",
        "bonuses",
        "nis2_mapping",
        "remediation_steps",
        "critical_risks",
    ] {
        assert!(!first["score_data"][key].is_null(), "score_data.{key}");
    }
    let pdf_url = first["pdf_url"].as_str().unwrap();
    assert!(
        pdf_url.starts_with(&format!("{base}/reports/")),
        "{pdf_url}"
    );

    // The report link serves the report (HTML without the pdf feature), only to the owner.
    let r = client()
        .get(pdf_url)
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    let text = r.text().await.unwrap();
    if ct.starts_with("text/html") {
        assert!(text.contains("good-vendor.example"));
    } else {
        assert!(ct.starts_with("application/pdf"), "{ct}");
    }
    let (s, _, e) = call(Method::GET, pdf_url, Some(&token("someone-else")), None).await;
    assert_eq!(s, 404);
    assert_error_shape(&e);

    // Dashboard totals.
    let second = add_vendor(&base, &tok, "unscanned.example").await;
    let (s, _, d) = call(
        Method::GET,
        &format!("{base}/dashboard/summary"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["total_vendors"], 2);
    assert_eq!(d["scanned_this_month"], 1);
    assert_eq!(d["critical_risks"], 0);
    assert_eq!(d["average_score"], 100);
    assert_eq!(
        d["grade_distribution"],
        json!({"A": 1, "B": 0, "C": 0, "D": 0, "F": 0})
    );

    // scan_completed arrives, signed.
    let first_events = eventually(30, || async {
        let got = hook.got.lock().unwrap().clone();
        (!got.is_empty()).then_some(got)
    })
    .await;
    let ev: Value = serde_json::from_slice(&first_events[0].body).unwrap();
    assert_eq!(ev["event"], "scan_completed");
    assert_eq!(ev["vendor_id"], id.as_str());
    assert_eq!(ev["domain"], "good-vendor.example");
    assert_eq!(ev["grade"], "A");
    assert!(
        ev["pdf_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}/reports/"))
    );

    // The vendor gets worse: grade change and critical alert.
    srv.scanner.set("good-vendor.example", Quality::Weak);
    let (s, _, _) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200);
    let all = eventually(30, || async {
        let got = hook.got.lock().unwrap().clone();
        let names: Vec<String> = got
            .iter()
            .map(|d| {
                serde_json::from_slice::<Value>(&d.body).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        (names.contains(&"grade_changed".to_owned())
            && names.contains(&"critical_alert".to_owned()))
        .then_some(got)
    })
    .await;
    let mut ids = std::collections::HashSet::new();
    for d in &all {
        let sig = d.headers["x-nis2-signature"].to_str().unwrap();
        assert!(
            python_verify(&d.body, HOOK_SECRET, sig),
            "signature verifies in Python"
        );
        assert!(!python_verify(&d.body, "wrong-secret", sig));
        assert_eq!(d.headers["content-type"], "application/json");
        ids.insert(d.headers["x-nis2-event-id"].to_str().unwrap().to_owned());
        let v: Value = serde_json::from_slice(&d.body).unwrap();
        assert_eq!(
            d.headers["x-nis2-event"].to_str().unwrap(),
            v["event"].as_str().unwrap()
        );
        match v["event"].as_str().unwrap() {
            "grade_changed" => {
                assert_eq!(v["previous_grade"], "A");
                assert_ne!(v["new_grade"], "A");
                assert!(v["score_change"].as_i64().unwrap() < 0);
            }
            "critical_alert" => {
                assert!(["D", "F"].contains(&v["grade"].as_str().unwrap()));
                assert!(!v["critical_findings"].as_array().unwrap().is_empty());
            }
            _ => {}
        }
    }
    assert_eq!(ids.len(), all.len(), "event ids are unique per event");

    // History newest first; dashboard reflects the drop.
    let (_, _, h) = call(
        Method::GET,
        &format!("{base}/scans/history/{id}"),
        Some(&tok),
        None,
    )
    .await;
    let scans = h["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2);
    assert!(scans[0]["score"].as_u64().unwrap() < 100);
    let (_, _, d) = call(
        Method::GET,
        &format!("{base}/dashboard/summary"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(d["grade_distribution"]["A"], 0);

    // Letters: English and German, from the latest scan; unscanned vendor refused.
    for lang in ["en", "de", "fr", "es", "ar"] {
        let (s, _, l) = call(
            Method::POST,
            &format!("{base}/reports/letter"),
            Some(&tok),
            Some(json!({"vendor_id": id, "language": lang})),
        )
        .await;
        assert_eq!(s, 200, "{l}");
        assert_eq!(l["vendor"], "good-vendor.example");
        assert_eq!(l["language"], lang);
        assert!(l["letter"].as_str().unwrap().len() > 200);
        assert!(l["generated_at"].is_string());
    }
    let (s, _, e) = call(
        Method::POST,
        &format!("{base}/reports/letter"),
        Some(&tok),
        Some(json!({"vendor_id": second})),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(e["code"], "NOT_SCANNED");

    // Delete.
    let (s, _, m) = call(
        Method::DELETE,
        &format!("{base}/vendors/{second}"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(m, json!({"message": "Vendor deleted successfully"}));
    let (s, _, _) = call(
        Method::DELETE,
        &format!("{base}/vendors/{second}"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 404);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_answers_at_once_and_the_vendor_shows_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let scanner = SampleScanner::default();
    *scanner.delay.lock().unwrap() = Duration::from_secs(3);
    let srv = start_with(config(&dir.path().join("nis2.db")), scanner.clone()).await;
    let base = srv.base.clone();
    let tok = token("user-async");
    let id = add_vendor(&base, &tok, "slow.example").await;
    let (s, _, t) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["status"], "scanning");
    // The answer came before the scan could have finished.
    assert!(
        srv.state
            .store()
            .scan_history(
                srv.state
                    .store()
                    .account_by_subject("user-async")
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                id.parse().unwrap(),
                nis2_store::Page::first(5)
            )
            .await
            .unwrap()
            .is_empty()
    );
    let v = vendor_status(&base, &tok, &id).await.unwrap();
    assert_eq!(v["status"], "scanning", "{v}");
    // Triggering again while it runs queues nothing new.
    eventually(10, || async {
        (!scanner.calls.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    let (s, _, t) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let done = eventually(30, || async {
        let v = vendor_status(&base, &tok, &id).await?;
        (v["status"] == "complete").then_some(v)
    })
    .await;
    assert_eq!(done["current_grade"], "A");
    assert_eq!(
        scanner.calls.lock().unwrap().len(),
        1,
        "one scan for two triggers"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_scan_sets_the_vendor_to_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.store = nis2_store::StoreOptions {
        jobs: nis2_store::JobPolicy {
            max_attempts: 2,
            retry_base: Duration::from_millis(100),
            ..nis2_store::JobPolicy::default()
        },
        ..nis2_store::StoreOptions::default()
    };
    let scanner = SampleScanner::default();
    scanner.set("broken.example", Quality::Fail);
    let srv = start_with(cfg, scanner.clone()).await;
    let tok = token("user-error");
    let id = add_vendor(&srv.base, &tok, "broken.example").await;
    call(
        Method::POST,
        &format!("{}/scans/trigger", srv.base),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    // Retried once (two attempts), then the job fails for good.
    let store = srv.state.store();
    let account = store
        .account_by_subject("user-error")
        .await
        .unwrap()
        .unwrap();
    let vendor: nis2_core::VendorId = id.parse().unwrap();
    eventually(30, || async {
        let jobs = store.vendor_jobs(account.id, vendor).await.unwrap();
        (jobs[0].state == nis2_store::JobState::Failed).then_some(())
    })
    .await;
    let v = vendor_status(&srv.base, &tok, &id).await.unwrap();
    assert_eq!(v["status"], "error", "{v}");
    assert!(v["current_grade"].is_null(), "{v}");
    assert_eq!(
        scanner.calls.lock().unwrap().len(),
        2,
        "retried, then gave up"
    );
    srv.stop().await;
}
