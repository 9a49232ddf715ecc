//! The server with the real domain scanner against the scanner's lab
//! vendors (loopback only): a good vendor grades A, an exposed one F with a
//! critical alert delivered to a local webhook receiver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use nis2_core::Scanner;
use nis2_http::Server;
use nis2_scanner::DomainScanner;
use nis2_scanner::lab::{LabVendors, VendorKind};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_vendors_are_scanned_for_real() {
    let lab = LabVendors::start().await.unwrap();
    let scanner: Arc<dyn Scanner> = Arc::new(DomainScanner::new(lab.scanner_options()).unwrap());
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
        .set_webhook_endpoint(account.id, &hook.url, "lab-secret", now())
        .await
        .unwrap();

    let good = add_vendor(&base, &tok, &VendorKind::Good.domain()).await;
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
    }
    let (g, e) = eventually(120, || async {
        let g = vendor_status(&base, &tok, &good).await?;
        let e = vendor_status(&base, &tok, &exposed).await?;
        (g["status"] != "scanning" && e["status"] != "scanning").then_some((g, e))
    })
    .await;
    assert_eq!(g["status"], "complete", "{g}");
    assert_eq!(g["current_grade"], "A", "{g}");
    assert_eq!(e["status"], "complete", "{e}");
    assert_eq!(e["current_grade"], "F", "{e}");
    assert_eq!(e["risk_level"], "Critical");

    let alert = eventually(60, || async {
        hook.got.lock().unwrap().iter().find_map(|d| {
            let v: Value = serde_json::from_slice(&d.body).unwrap();
            (v["event"] == "critical_alert").then(|| (d.clone(), v))
        })
    })
    .await;
    assert_eq!(alert.1["domain"], VendorKind::Exposed.domain());
    assert!(!alert.1["critical_findings"].as_array().unwrap().is_empty());
    let sig = alert.0.headers["x-nis2-signature"].to_str().unwrap();
    assert!(python_verify(&alert.0.body, "lab-secret", sig));

    let (_, _, d) = call(
        Method::GET,
        &format!("{base}/dashboard/summary"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(d["total_vendors"], 2);
    assert_eq!(d["critical_risks"], 1);
    assert_eq!(d["grade_distribution"]["A"], 1);
    assert_eq!(d["grade_distribution"]["F"], 1);
    let _ = tx.send(());
    handle.await.unwrap().unwrap();
}
