//! Generated requests against the router in process (no socket): any
//! method, path, credentials, content type and body. Never a 5xx, never a
//! panic; every error answers the seed's shape `{detail, code, timestamp}`
//! as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Request, header};
use common::*;
use nis2_core::Scanner;
use nis2_http::{AppState, RateLimits};
use nis2_scanner::ResolverOptions;
use nis2_scanner::lab::Lab;
use nis2_store::SqlStore;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use tower::ServiceExt;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        Just(Value::from("00000000-0000-0000-0000-000000000000")),
        Just(Value::from("public.lab.nis2.test")),
        Just(Value::from("de")),
    ];
    let key = prop_oneof![
        Just("domain".to_owned()),
        Just("consent_given".to_owned()),
        Just("vendor_id".to_owned()),
        Just("vendor_name".to_owned()),
        Just("notes".to_owned()),
        Just("language".to_owned()),
        ".{0,8}",
    ];
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn path() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        Just("00000000-0000-0000-0000-000000000000".to_owned()),
        Just("not-a-uuid".to_owned()),
        Just("%00".to_owned()),
        "[a-zA-Z0-9%._~-]{0,40}",
    ];
    let query = prop_oneof![
        Just(String::new()),
        "\\?[a-z]{0,8}=[a-zA-Z0-9%-]{0,24}",
        Just("?limit=0&offset=18446744073709551615".to_owned()),
        Just("?format=pdf&lang=xx".to_owned()),
        Just("?format=sarif&lang=ar".to_owned()),
    ];
    let known = prop_oneof![
        Just("/health".to_owned()),
        Just("/vendors".to_owned()),
        id.clone().prop_map(|i| format!("/vendors/{i}")),
        Just("/scans/trigger".to_owned()),
        id.clone().prop_map(|i| format!("/scans/history/{i}")),
        Just("/dashboard/summary".to_owned()),
        Just("/reports/letter".to_owned()),
        id.prop_map(|i| format!("/reports/{i}")),
        Just("/scan/demo".to_owned()),
        Just("/openapi.json".to_owned()),
        Just("/docs".to_owned()),
        "/[a-zA-Z0-9/%._~-]{0,40}",
    ];
    (known, query).prop_map(|(p, q)| format!("{p}{q}"))
}

#[derive(Clone, Debug)]
enum Payload {
    None,
    Json(Value),
    Bytes(Vec<u8>),
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        Just(Payload::None),
        json_value().prop_map(Payload::Json),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(Payload::Bytes),
    ]
}

#[test]
fn generated_requests_never_get_a_5xx_and_errors_have_the_shape() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (router, _lab) = rt.block_on(async {
        let lab = Lab::builder().targets(&[]).start().await.unwrap();
        let mut cfg = config(&dir.path().join("nis2.db"));
        cfg.resolver = ResolverOptions::default()
            .nameservers([lab.dns_addr()])
            .cache_size(0)
            .timeout(Duration::from_secs(1));
        let mut limits = RateLimits::default();
        limits.demo = u32::MAX;
        limits.trigger = u32::MAX;
        limits.letter = u32::MAX;
        limits.get = u32::MAX;
        cfg.rate_limits = limits;
        let store = SqlStore::open(&cfg.database).await.unwrap();
        let scanner: Arc<dyn Scanner> = Arc::new(SampleScanner::default());
        let state = AppState::new(&cfg, store, scanner).await.unwrap();
        (nis2_http::app(state), lab)
    });
    let good = token("fuzz-user");
    let credentials = prop_oneof![
        Just(None),
        Just(Some(format!("Bearer {good}"))),
        Just(Some("Bearer nis2_0000".to_owned())),
        Just(Some("Basic Zm9vOmJhcg==".to_owned())),
        "[ -~]{0,60}".prop_map(Some),
    ];
    let content_type = prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("application/json; charset=utf-8")),
        Just(Some("text/plain")),
        Just(Some("application/x-www-form-urlencoded")),
    ];
    let method = prop_oneof![
        Just("GET"),
        Just("POST"),
        Just("DELETE"),
        Just("PUT"),
        Just("PATCH"),
        Just("HEAD"),
        Just("OPTIONS"),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(method, path(), credentials, content_type, payload()),
            |(method, path, auth, ct, body)| {
                let mut req = Request::builder().method(method).uri(&path);
                if let Some(a) = &auth
                    && axum::http::HeaderValue::from_str(a).is_ok()
                {
                    req = req.header(header::AUTHORIZATION, a);
                }
                if let Some(ct) = ct {
                    req = req.header(header::CONTENT_TYPE, ct);
                }
                let body = match &body {
                    Payload::None => Body::empty(),
                    Payload::Json(v) => Body::from(serde_json::to_vec(v).unwrap()),
                    Payload::Bytes(b) => Body::from(b.clone()),
                };
                let Ok(req) = req.body(body) else {
                    return Ok(());
                };
                let (status, ct, bytes) = rt.block_on(async {
                    let res = router.clone().oneshot(req).await.unwrap();
                    let status = res.status();
                    let ct = res
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let bytes = to_bytes(res.into_body(), 16 << 20).await.unwrap();
                    (status, ct, bytes)
                });
                prop_assert!(
                    !status.is_server_error(),
                    "{method} {path}: {status} {}",
                    String::from_utf8_lossy(&bytes)
                );
                if status.is_client_error() && method != "HEAD" {
                    prop_assert!(ct.starts_with("application/json"), "{method} {path}: {ct}");
                    let v: Value = serde_json::from_slice(&bytes).unwrap();
                    let o = v.as_object().unwrap();
                    prop_assert_eq!(o.len(), 3, "{} {}: {}", method, path, v);
                    prop_assert!(o["detail"].is_string() && o["code"].is_string());
                    prop_assert!(
                        nis2_core::Timestamp::parse(o["timestamp"].as_str().unwrap()).is_ok()
                    );
                }
                Ok(())
            },
        )
        .unwrap();
}
