//! Property-based API testing against a real server on loopback: the
//! document at /openapi.json validates as OpenAPI 3.1
//! (openapi-spec-validator), and schemathesis, with every check it has, finds
//! no 5xx and no response that breaks the document (status code, content
//! type, headers, body schema, Allow on 405, auth enforced, deleted vendors
//! gone, schema-valid input never refused as invalid, invalid input refused).
//!
//! Needs schemathesis and openapi-spec-validator from pip: run it with
//! `nis2-http/tests/schemathesis.sh`, which installs them into a venv under
//! `target/` and sets `SCHEMATHESIS`. Any problem found fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use nis2_http::RateLimits;
use nis2_scanner::ResolverOptions;
use nis2_scanner::lab::Lab;

/// Checks tuned for this API, and real ids to draw from.
///
/// `positive_data_acceptance` also expects 400: the API refuses some
/// schema-valid input for reasons a schema cannot state (a domain that
/// resolves to a private address, a vendor that exists already, a letter for
/// a vendor not scanned yet), always with 400 and the error shape; a 422 for
/// schema-valid input still fails the run.
///
/// Vendor ids are drawn from a scanned vendor's most of the time, and the
/// scan id is that vendor's scan, so the operations on them get past 404
/// (reports in every format and language, history pages, letters,
/// triggers); demo scans often name a public lab domain, so they get past
/// the target policy. (404s for unknown ids are tested in tests/errors.rs.)
fn config_toml(vendor: &str, scan: &str) -> String {
    format!(
        r#"
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "429"]

[dictionaries.vendors]
values = ["{vendor}"]

[dictionaries.scans]
values = ["{scan}"]

[parameters]
"path.vendor_id" = {{ dictionary = "vendors", probability = 0.7 }}
"body.vendor_id" = {{ dictionary = "vendors", probability = 0.7 }}
"path.scan_id" = "{scan}"

[dictionaries.public]
values = ["public.lab.nis2.test"]

[[operations]]
include-name = "POST /scan/demo"
parameters = {{ "body.domain" = {{ dictionary = "public", probability = 0.5 }} }}
"#
    )
}

fn run(program: &PathBuf, args: &[&str], cwd: &std::path::Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
}

fn show(out: &Output) {
    eprintln!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis (pip); run nis2-http/tests/schemathesis.sh"]
async fn schemathesis_finds_no_5xx_and_no_schema_violation() {
    let program = PathBuf::from(
        std::env::var("SCHEMATHESIS").expect("SCHEMATHESIS names the schemathesis program"),
    );
    let validator = program.with_file_name("openapi-spec-validator");
    let work = tempfile::tempdir().unwrap();

    // The document validates as OpenAPI 3.1.
    let doc = work.path().join("openapi.json");
    std::fs::write(
        &doc,
        serde_json::to_vec_pretty(&nis2_http::openapi_document()).unwrap(),
    )
    .unwrap();
    let out = run(&validator, &[doc.to_str().unwrap()], work.path());
    show(&out);
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document"
    );

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
    // Some real data: a scanned vendor, so history, report and letter
    // links lead somewhere.
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
    eventually(30, || async {
        let v = vendor_status(&srv.base, &tok, &id).await?;
        (v["status"] == "complete").then_some(())
    })
    .await;

    let scans = srv
        .state
        .store()
        .scan_history(account.id, id.parse().unwrap(), nis2_store::Page::first(1))
        .await
        .unwrap();
    let config = work.path().join("schemathesis.toml");
    std::fs::write(&config, config_toml(&id, &scans[0].id.to_string())).unwrap();
    let args: Vec<String> = [
        "--config-file",
        config.to_str().unwrap(),
        "run",
        &format!("{}/openapi.json", srv.base),
        "--url",
        &srv.base,
        "-H",
        &format!("Authorization: Bearer {tok}"),
        "--checks",
        "all",
        "--max-examples",
        "60",
        "--generation-deterministic",
        "--request-timeout",
        "20",
        "--workers",
        "2",
    ]
    .map(str::to_owned)
    .into();
    let mut attempt = 1;
    let out = loop {
        let (program, args, cwd) = (program.clone(), args.clone(), work.path().to_owned());
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&program, &args, &cwd)
        })
        .await
        .unwrap();
        // CPython 3.11 up to 3.11.7 can fail `ast.parse` with this
        // SystemError once an earlier parse in the process failed
        // (python/cpython#106905); hypothesis parses lambdas' sources to
        // describe them, so the tool itself crashes now and then. That
        // crash, and only that one, is run once more.
        let tool_crash = [&out.stdout, &out.stderr].iter().any(|o| {
            String::from_utf8_lossy(o)
                .contains("SystemError: AST constructor recursion depth mismatch")
        });
        if out.status.success() || !tool_crash || attempt == 2 {
            break out;
        }
        show(&out);
        eprintln!("schemathesis crashed inside CPython (python/cpython#106905); running it again");
        attempt += 1;
    };
    show(&out);
    assert!(out.status.success(), "schemathesis found problems");
    srv.stop().await;
}
