//! The whole flow on the real server over loopback with the real domain
//! scanner against the scanner's lab vendors: add vendor → trigger → poll →
//! history with score data → report link → dashboard totals → signed webhooks
//! verified by the seed's Python `verify` → the vendor gets worse (its
//! infrastructure becomes the lab's exposed vendor) → grade change and
//! critical alert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::*;
use nis2_core::{Observations, ScanError, Scanner};
use nis2_http::Server;
use nis2_scanner::DomainScanner;
use nis2_scanner::lab::{LabVendors, VendorKind};
use reqwest::Method;
use serde_json::{Value, json};

const HOOK_SECRET: &str = "lab-webhook-secret";

/// The real scanner, with a switch: a vendor domain can be pointed at
/// another lab vendor's servers (the vendor "moved" to worse hosting). The
/// scan is real; only the name in the observations is the vendor's.
struct Hosting {
    scanner: DomainScanner,
    moved: Mutex<HashMap<String, String>>,
}

#[async_trait]
impl Scanner for Hosting {
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        let target = self.moved.lock().unwrap().get(domain).cloned();
        let real: &dyn Scanner = &self.scanner;
        match target {
            None => real.scan(domain).await,
            Some(other) => {
                let mut o = real.scan(&other).await?;
                o.domain = domain.to_owned();
                Ok(o)
            }
        }
    }
}

fn events(hook: &Receiver) -> Vec<(Delivery, Value)> {
    hook.got
        .lock()
        .unwrap()
        .iter()
        .map(|d| (d.clone(), serde_json::from_slice(&d.body).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_vendor_is_scanned_scored_and_alerts_when_it_gets_worse() {
    let lab = LabVendors::start().await.unwrap();
    let hosting = Arc::new(Hosting {
        scanner: DomainScanner::new(lab.scanner_options()).unwrap(),
        moved: Mutex::default(),
    });
    let scanner: Arc<dyn Scanner> = hosting.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    // Lab vendors live on 127.0.0.x: only this test allows private vendor domains.
    cfg.allow_private_vendors = true;
    let server = Server::bind(cfg, scanner.clone(), scanner).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let state = server.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    let tok = token("lab-user");
    let hook = receiver().await;
    let account = state
        .store()
        .account_for_subject("lab-user", "lab", now())
        .await
        .unwrap();
    state
        .store()
        .set_webhook_endpoint(account.id, &hook.url, HOOK_SECRET, now())
        .await
        .unwrap();

    let good_domain = VendorKind::Good.domain();
    let good = add_vendor(&base, &tok, &good_domain).await;
    let exposed = add_vendor(&base, &tok, &VendorKind::Exposed.domain()).await;
    for id in [&good, &exposed] {
        let (s, _, v) = call(
            Method::POST,
            &format!("{base}/scans/trigger"),
            Some(&tok),
            Some(json!({"vendor_id": id})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "scanning");
    }
    let (g, e) = eventually(120, || async {
        let g = vendor_status(&base, &tok, &good).await?;
        let e = vendor_status(&base, &tok, &exposed).await?;
        (g["status"] != "scanning" && e["status"] != "scanning").then_some((g, e))
    })
    .await;
    assert_eq!(g["status"], "complete", "{g}");
    assert_eq!(g["current_grade"], "A", "{g}");
    assert_eq!(g["risk_level"], "Low", "{g}");
    assert_eq!(e["status"], "complete", "{e}");
    assert_eq!(e["current_grade"], "F", "{e}");
    assert_eq!(e["risk_level"], "Critical");

    // History with the seed's score data, and a report link to this server.
    let (s, _, h) = call(
        Method::GET,
        &format!("{base}/scans/history/{exposed}"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 200, "{h}");
    let scan = &h["scans"][0];
    assert_eq!(scan["grade"], "F");
    assert_eq!(scan["score"], e["current_score"]);
    let data = &scan["score_data"];
    assert!(!data["deductions"].as_array().unwrap().is_empty(), "{data}");
    assert!(data["deductions"][0]["reason"].is_string());
    assert!(data["deductions"][0]["penalty"].is_i64());
    assert!(data["bonuses"].is_array());
    assert!(data["nis2_mapping"]["article_21_2a"].is_string(), "{data}");
    assert!(!data["critical_risks"].as_array().unwrap().is_empty());
    assert!(!data["remediation_steps"].as_array().unwrap().is_empty());
    assert!(data["technical_summary"].is_string());
    assert!(data["executive_summary"].is_string());
    let pdf_url = scan["pdf_url"].as_str().unwrap();
    assert!(
        pdf_url.starts_with(&format!("{base}/reports/")),
        "{pdf_url}"
    );
    let r = client()
        .get(pdf_url)
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Dashboard totals.
    let (_, _, d) = call(
        Method::GET,
        &format!("{base}/dashboard/summary"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(d["total_vendors"], 2);
    assert_eq!(d["scanned_this_month"], 2);
    assert_eq!(d["critical_risks"], 1);
    assert_eq!(d["grade_distribution"]["A"], 1);
    assert_eq!(d["grade_distribution"]["F"], 1);

    // scan_completed for both, and the exposed vendor's critical alert, signed.
    let first = eventually(60, || async {
        let got = events(&hook);
        let completed = got
            .iter()
            .filter(|(_, v)| v["event"] == "scan_completed")
            .count();
        let alert = got.iter().any(|(_, v)| v["event"] == "critical_alert");
        (completed == 2 && alert).then_some(got)
    })
    .await;
    for (d, v) in &first {
        let sig = d.headers["x-nis2-signature"].to_str().unwrap();
        assert!(python_verify(&d.body, HOOK_SECRET, sig), "{v}");
        if v["event"] == "critical_alert" {
            assert_eq!(v["domain"], VendorKind::Exposed.domain());
            assert_eq!(v["grade"], "F");
            assert!(!v["critical_findings"].as_array().unwrap().is_empty());
        }
    }
    assert!(
        !first.iter().any(|(_, v)| v["event"] == "grade_changed"),
        "a first scan has no grade to change from"
    );

    // The good vendor moves to the exposed vendor's servers and is scanned again.
    hosting
        .moved
        .lock()
        .unwrap()
        .insert(good_domain.clone(), VendorKind::Exposed.domain());
    let (s, _, v) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": good})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let all = eventually(120, || async {
        let got = events(&hook);
        let of_good = |name: &str| {
            got.iter()
                .any(|(_, v)| v["event"] == name && v["vendor_id"] == good.as_str())
        };
        (of_good("grade_changed") && of_good("critical_alert")).then_some(got)
    })
    .await;
    let good_scan = vendor_status(&base, &tok, &good).await.unwrap();
    assert_eq!(good_scan["current_grade"], "F", "{good_scan}");
    for (d, v) in &all {
        let sig = d.headers["x-nis2-signature"].to_str().unwrap();
        assert!(python_verify(&d.body, HOOK_SECRET, sig), "{v}");
        assert!(!python_verify(&d.body, "not-the-secret", sig));
        if v["vendor_id"] != good.as_str() {
            continue;
        }
        match v["event"].as_str().unwrap() {
            "grade_changed" => {
                assert_eq!(v["domain"], good_domain.as_str());
                assert_eq!(v["previous_grade"], "A");
                assert_eq!(v["new_grade"], "F");
                assert!(v["score_change"].as_i64().unwrap() < -30, "{v}");
            }
            "critical_alert" => {
                assert_eq!(v["grade"], "F");
                assert_eq!(v["score"], good_scan["current_score"]);
                assert!(!v["critical_findings"].as_array().unwrap().is_empty());
            }
            "scan_completed" => {
                assert!(v["pdf_url"].as_str().unwrap().starts_with(&base));
            }
            other => panic!("unexpected event {other}"),
        }
    }
    // History newest first; the dashboard shows the drop.
    let (_, _, h) = call(
        Method::GET,
        &format!("{base}/scans/history/{good}"),
        Some(&tok),
        None,
    )
    .await;
    let scans = h["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[0]["grade"], "F");
    assert_eq!(scans[1]["grade"], "A");
    let (_, _, d) = call(
        Method::GET,
        &format!("{base}/dashboard/summary"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(d["critical_risks"], 2, "{d}");
    assert_eq!(d["grade_distribution"]["A"], 0);
    assert_eq!(d["grade_distribution"]["F"], 2);
    let _ = tx.send(());
    handle.await.unwrap().unwrap();
}
