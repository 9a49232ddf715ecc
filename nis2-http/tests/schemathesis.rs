//! Property-based API testing with schemathesis against a real server on
//! loopback: no 5xx, and every response conforms to /openapi.json (status
//! code, content type, headers, body schema). Needs schemathesis (pip); run
//! through `tests/schemathesis.sh`, which sets `SCHEMATHESIS`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use nis2_http::RateLimits;
use nis2_scanner::ResolverOptions;
use nis2_scanner::lab::Lab;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis (pip); run tests/schemathesis.sh"]
async fn schemathesis_finds_no_5xx_and_no_schema_violation() {
    let program = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".to_owned());
    // The lab DNS answers demo lookups at once (no internet here).
    let lab = Lab::builder().targets(&[]).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.resolver = ResolverOptions::default()
        .nameservers([lab.dns_addr()])
        .cache_size(0)
        .timeout(Duration::from_secs(1));
    let mut limits = RateLimits::default();
    // Let it explore instead of hitting 429 after a few requests (429 is
    // documented and checked all the same).
    limits.demo = 10_000;
    limits.trigger = 10_000;
    limits.letter = 10_000;
    limits.get = 100_000;
    cfg.rate_limits = limits;
    let srv = start_with(cfg, SampleScanner::default()).await;
    let tok = token("schemathesis");
    // Some real data so ids can be found.
    let id = add_vendor(&srv.base, &tok, "seed.example").await;
    let account = srv
        .state
        .store()
        .account_for_subject("schemathesis", "s", now())
        .await
        .unwrap();
    srv.state
        .store()
        .enqueue_scan(account.id, id.parse().unwrap(), now())
        .await
        .unwrap();

    let base = srv.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(program)
            .args([
                "run",
                &format!("{base}/openapi.json"),
                "--url",
                &base,
                "-H",
                &format!("Authorization: Bearer {tok}"),
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
                "--max-examples",
                "60",
                "--generation-deterministic",
                "--request-timeout",
                "20",
            ])
            .output()
            .expect("schemathesis runs (set SCHEMATHESIS to its path)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(out.status.success(), "schemathesis found problems");
    srv.stop().await;
}
