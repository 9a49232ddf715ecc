//! The OpenAPI document lists every route the router serves, every `$ref`
//! resolves, and it is served at /openapi.json; /docs is self-contained.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::Method;
use serde_json::Value;

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_lists_every_route_and_matches_the_server() {
    let srv = start().await;
    let (s, _, doc) = call(
        Method::GET,
        &format!("{}/openapi.json", srv.base),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(doc, nis2_http::openapi_document());
    assert_eq!(doc["openapi"], "3.1.0");
    let routes = [
        ("get", "/health"),
        ("get", "/vendors"),
        ("post", "/vendors"),
        ("delete", "/vendors/{id}"),
        ("post", "/scans/trigger"),
        ("get", "/scans/history/{vendor_id}"),
        ("get", "/dashboard/summary"),
        ("post", "/reports/letter"),
        ("get", "/reports/{scan_id}"),
        ("post", "/scan/demo"),
        ("get", "/openapi.json"),
        ("get", "/docs"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        routes.len(),
        "no undocumented or phantom operations"
    );
    for (method, path) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} documented");
        assert!(op["responses"]["200"].is_object() || op["responses"]["201"].is_object());
        // And the server really has it: a request never answers 404-for-route or 405.
        let url = format!(
            "{}{}",
            srv.base,
            path.replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{vendor_id}", "00000000-0000-0000-0000-000000000000")
                .replace("{scan_id}", "00000000-0000-0000-0000-000000000000")
        );
        let (s, _, v) = call(
            method.to_uppercase().parse().unwrap(),
            &url,
            Some(&token("doc")),
            None,
        )
        .await;
        assert_ne!(s, 405, "{method} {path}");
        if s == 404 {
            assert_ne!(v["detail"], "No such route", "{method} {path}");
        }
        // Every status answered is documented.
        assert!(
            op["responses"][s.to_string()].is_object(),
            "{method} {path} answered undocumented {s}: {v}"
        );
        let security = op.get("security").is_some();
        let public = matches!(path, "/health" | "/scan/demo" | "/openapi.json" | "/docs");
        assert_eq!(security, !public, "{path} security");
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
    let docs = client()
        .get(format!("{}/docs", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("openapi.json"));
    assert!(!html.contains("https://"), "no external assets");
    srv.stop().await;
}
