//! Webhook signatures agree with the seed's Python `verify` function, run by python3.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::io::Write;
use std::process::{Command, Stdio};

use nis2_core::events::{Subject, events};
use nis2_core::samples::weak_vendor;
use nis2_core::signing::{sign, verify};
use nis2_core::{History, Timestamp, VendorId, assess, evaluate};

/// The seed's function, verbatim, plus a driver: reads secret, body and our
/// signature (hex-encoded, one per line) and prints Python's digest and verdict.
const PY: &str = r#"
import hmac, hashlib, sys
def verify(payload, secret, signature):
    expected = hmac.new(
        secret.encode(),
        payload,
        hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature)
for line in sys.stdin:
    secret_hex, body_hex, sig = line.rstrip("\n").split(" ")
    secret = bytes.fromhex(secret_hex).decode("utf-8")
    body = bytes.fromhex(body_hex)
    print(hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(), verify(body, secret, sig), verify(body, secret + "x", sig))
"#;

#[test]
fn python_hmac_agrees_on_test_vectors_and_real_events() {
    let now = Timestamp::parse("2026-06-27T10:00:00Z").unwrap();
    let a = assess(
        evaluate(&weak_vendor("vendor.example", now), now).unwrap(),
        &History::first_scan(now),
    );
    let subject = Subject {
        vendor_id: VendorId(uuid::Uuid::nil()),
        domain: "vendor.example",
        pdf_url: None,
    };
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("whsec_test".into(), b"{}".to_vec()),
        ("".into(), b"".to_vec()),
        (
            "s\u{e9}cr\u{e8}t \u{1f511}".into(),
            "{\"domain\":\"m\u{fc}ller.example\"}".as_bytes().to_vec(),
        ),
        ("k".repeat(200), vec![0, 1, 2, 255, 254]),
    ];
    for e in events(None, &a, subject) {
        cases.push(("whsec_live".into(), e.to_json().into_bytes()));
    }
    let mut input = String::new();
    for (secret, body) in &cases {
        let sig = sign(secret.as_bytes(), body);
        input.push_str(&format!(
            "{} {} {}\n",
            hex::encode(secret),
            hex::encode(body),
            sig
        ));
    }
    let mut child = Command::new("python3")
        .args(["-c", PY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required for this test (it runs the seed's verify function)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len());
    for ((secret, body), line) in cases.iter().zip(lines) {
        let ours = sign(secret.as_bytes(), body);
        assert_eq!(line, format!("{ours} True False"), "secret {secret:?}");
        assert!(verify(secret.as_bytes(), body, &ours).unwrap());
    }
}
