//! Every error status of the seed (and the HTTP layer's), each with the
//! error shape; token attacks refused; accounts isolated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use nis2_http::JwksSource;
use reqwest::Method;
use serde_json::{Value, json};

fn openssl_key(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn rsa_key() -> Vec<u8> {
    openssl_key(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
    ])
}

fn ec_key() -> Vec<u8> {
    openssl_key(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
    ])
}

fn public_pem(private: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["pkey", "-pubout"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(private).unwrap();
    let out = child.wait_with_output().unwrap();
    out.stdout
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut j = Jwk::from_encoding_key(key, alg).unwrap();
    j.common.key_id = Some(kid.to_owned());
    j
}

fn signed(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut h = Header::new(alg);
    h.kid = kid.map(str::to_owned);
    encode(&h, claims, key).unwrap()
}

fn b64(v: &Value) -> String {
    use std::fmt::Write;
    // base64url without padding, by hand (no extra dependency).
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = serde_json::to_vec(v).unwrap();
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let _ = write!(s, "{}", T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    s
}

async fn expect(
    status: u16,
    method: Method,
    url: &str,
    tok: Option<&str>,
    body: Option<Value>,
) -> Value {
    let (s, h, v) = call(method.clone(), url, tok, body).await;
    assert_eq!(s, status, "{method} {url}: {v}");
    assert_error_shape(&v);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_attacks_are_refused() {
    let rsa = rsa_key();
    let ec = ec_key();
    let rsa_enc = EncodingKey::from_rsa_pem(&rsa).unwrap();
    let ec_enc = EncodingKey::from_ec_pem(&ec).unwrap();
    let jwks = JwkSet {
        keys: vec![
            jwk(&rsa_enc, Algorithm::RS256, "rsa1"),
            jwk(&ec_enc, Algorithm::ES256, "ec1"),
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, serde_json::to_string(&jwks).unwrap()).unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.auth.jwks = Some(JwksSource::File(jwks_path));
    cfg.auth.issuers = vec!["https://auth.example/auth/v1".into()];
    let srv = start_with(cfg, SampleScanner::default()).await;
    let url = format!("{}/vendors", srv.base);
    let iss = "https://auth.example/auth/v1";
    let good = |sub: &str| json!({"sub": sub, "aud": "authenticated", "iss": iss, "exp": now().unix() + 3600});

    // Accepted: HS256, RS256 and ES256 (Supabase-style claims).
    for t in [
        hs256(good("u1")),
        signed(Algorithm::RS256, Some("rsa1"), &rsa_enc, &good("u1")),
        signed(Algorithm::ES256, Some("ec1"), &ec_enc, &good("u1")),
    ] {
        let (s, _, v) = call(Method::GET, &url, Some(&t), None).await;
        assert_eq!(s, 200, "{v}");
    }

    let other_rsa = EncodingKey::from_rsa_pem(&rsa_key()).unwrap();
    let rsa_public_as_secret = EncodingKey::from_secret(&public_pem(&rsa));
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good("u1"))
    );
    let none_upper = format!(
        "{}.{}.",
        b64(&json!({"alg": "None", "typ": "JWT"})),
        b64(&good("u1"))
    );
    let attacks: Vec<(&str, String)> = vec![
        (
            "expired",
            hs256(
                json!({"sub": "u1", "aud": "authenticated", "iss": iss, "exp": now().unix() - 3600}),
            ),
        ),
        (
            "not yet valid",
            hs256(
                json!({"sub": "u1", "aud": "authenticated", "iss": iss, "exp": now().unix() + 7200, "nbf": now().unix() + 3600}),
            ),
        ),
        (
            "wrong HS256 secret",
            encode(
                &Header::new(Algorithm::HS256),
                &good("u1"),
                &EncodingKey::from_secret(b"another secret"),
            )
            .unwrap(),
        ),
        (
            "wrong RSA key, known kid",
            signed(Algorithm::RS256, Some("rsa1"), &other_rsa, &good("u1")),
        ),
        (
            "unknown kid",
            signed(Algorithm::RS256, Some("nope"), &rsa_enc, &good("u1")),
        ),
        ("alg none", none),
        ("alg None", none_upper),
        (
            "HS256 signed with the RSA public key (confusion)",
            signed(
                Algorithm::HS256,
                Some("rsa1"),
                &rsa_public_as_secret,
                &good("u1"),
            ),
        ),
        (
            "RS256 header naming the EC key",
            signed(Algorithm::RS256, Some("ec1"), &rsa_enc, &good("u1")),
        ),
        (
            "wrong audience",
            hs256(json!({"sub": "u1", "aud": "other", "iss": iss, "exp": now().unix() + 3600})),
        ),
        (
            "no audience",
            hs256(json!({"sub": "u1", "iss": iss, "exp": now().unix() + 3600})),
        ),
        (
            "wrong issuer",
            hs256(
                json!({"sub": "u1", "aud": "authenticated", "iss": "https://evil", "exp": now().unix() + 3600}),
            ),
        ),
        (
            "no exp",
            hs256(json!({"sub": "u1", "aud": "authenticated", "iss": iss})),
        ),
        (
            "no sub",
            hs256(json!({"aud": "authenticated", "iss": iss, "exp": now().unix() + 3600})),
        ),
        ("garbage", "not.a.jwt".to_owned()),
        ("unknown API token", format!("nis2_{}", "0".repeat(64))),
        ("tampered payload", {
            let t = hs256(good("u1"));
            let parts: Vec<&str> = t.split('.').collect();
            format!("{}.{}.{}", parts[0], b64(&good("admin")), parts[2])
        }),
    ];
    for (what, t) in attacks {
        let (s, h, v) = call(Method::GET, &url, Some(&t), None).await;
        assert_eq!(s, 401, "{what} must be refused: {v}");
        assert_error_shape(&v);
        assert_eq!(v["code"], "UNAUTHORIZED", "{what}");
        assert_eq!(h["www-authenticate"], "Bearer");
    }
    // No or malformed header.
    expect(401, Method::GET, &url, None, None).await;
    let r = client()
        .get(&url)
        .header("authorization", "Basic dXNlcjpwdw==")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // 403: a valid anonymous (Supabase anon key) token.
    let anon = hs256(
        json!({"role": "anon", "aud": "authenticated", "iss": iss, "sub": "anon", "exp": now().unix() + 3600}),
    );
    let v = expect(403, Method::GET, &url, Some(&anon), None).await;
    assert_eq!(v["code"], "FORBIDDEN");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_status_has_the_error_shape() {
    let srv = start().await;
    let base = srv.base.clone();
    let alice = token("alice");
    let bob = token("bob");

    // 400: no consent, bad domains, duplicate.
    let v = expect(
        400,
        Method::POST,
        &format!("{base}/vendors"),
        Some(&alice),
        Some(json!({"domain": "vendor.example", "consent_given": false})),
    )
    .await;
    assert_eq!(v["code"], "CONSENT_REQUIRED");
    for bad in [
        "http://vendor.example/x",
        "localhost",
        "10.0.0.1",
        "2130706433",
        "a..b",
        "",
        "vendor.example:443",
        "intranet.corp",
    ] {
        let v = expect(
            400,
            Method::POST,
            &format!("{base}/vendors"),
            Some(&alice),
            Some(json!({"domain": bad, "consent_given": true})),
        )
        .await;
        assert_eq!(v["code"], "INVALID_DOMAIN", "{bad}");
    }
    let id = add_vendor(&base, &alice, "vendor.example").await;
    let v = expect(
        400,
        Method::POST,
        &format!("{base}/vendors"),
        Some(&alice),
        Some(json!({"domain": "VENDOR.example", "consent_given": true})),
    )
    .await;
    assert_eq!(v["code"], "VENDOR_EXISTS");
    let v = expect(
        400,
        Method::POST,
        &format!("{base}/vendors"),
        Some(&alice),
        Some(json!({"domain": "long.example", "consent_given": true, "notes": "x".repeat(5000)})),
    )
    .await;
    assert_eq!(v["code"], "INVALID_INPUT");

    // 404: unknown route, unknown vendor, another account's vendor (every route).
    let v = expect(404, Method::GET, &format!("{base}/nope"), None, None).await;
    assert_eq!(v["code"], "NOT_FOUND");
    let random = uuid::Uuid::new_v4();
    expect(
        404,
        Method::GET,
        &format!("{base}/scans/history/{random}"),
        Some(&alice),
        None,
    )
    .await;
    expect(
        404,
        Method::GET,
        &format!("{base}/scans/history/{id}"),
        Some(&bob),
        None,
    )
    .await;
    expect(
        404,
        Method::DELETE,
        &format!("{base}/vendors/{id}"),
        Some(&bob),
        None,
    )
    .await;
    expect(
        404,
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&bob),
        Some(json!({"vendor_id": id})),
    )
    .await;
    expect(
        404,
        Method::POST,
        &format!("{base}/reports/letter"),
        Some(&bob),
        Some(json!({"vendor_id": id})),
    )
    .await;
    expect(
        404,
        Method::GET,
        &format!("{base}/reports/{random}"),
        Some(&bob),
        None,
    )
    .await;
    let (_, _, list) = call(Method::GET, &format!("{base}/vendors"), Some(&bob), None).await;
    assert_eq!(list, json!({"vendors": [], "total": 0}));
    // Alice's vendor is untouched.
    assert!(vendor_status(&base, &alice, &id).await.is_some());

    // 405 with Allow.
    let (s, h, v) = call(Method::PUT, &format!("{base}/vendors"), Some(&alice), None).await;
    assert_eq!(s, 405);
    assert_error_shape(&v);
    assert!(h.contains_key("allow"));
    expect(
        405,
        Method::GET,
        &format!("{base}/scans/trigger"),
        Some(&alice),
        None,
    )
    .await;

    // 413: a body over the limit.
    let big = json!({"domain": "x.example", "consent_given": true, "notes": "x".repeat(100_000)});
    let v = expect(
        413,
        Method::POST,
        &format!("{base}/vendors"),
        Some(&alice),
        Some(big),
    )
    .await;
    assert_eq!(v["code"], "PAYLOAD_TOO_LARGE");

    // 415: not JSON.
    let r = client()
        .post(format!("{base}/vendors"))
        .bearer_auth(&alice)
        .header("content-type", "text/plain")
        .body("domain=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_error_shape(&r.json().await.unwrap());

    // 422: malformed JSON, missing field, wrong type, bad uuid, unsupported language.
    let r = client()
        .post(format!("{base}/vendors"))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body("{\"domain\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert!(
        assert_error_shape(&v).contains("line 1"),
        "details name the position: {v}"
    );
    let v = expect(
        422,
        Method::POST,
        &format!("{base}/vendors"),
        Some(&alice),
        Some(json!({"domain": "x.example"})),
    )
    .await;
    assert!(
        v["detail"].as_str().unwrap().contains("consent_given"),
        "{v}"
    );
    expect(
        422,
        Method::POST,
        &format!("{base}/vendors"),
        Some(&alice),
        Some(json!({"domain": 5, "consent_given": true})),
    )
    .await;
    expect(
        422,
        Method::DELETE,
        &format!("{base}/vendors/not-a-uuid"),
        Some(&alice),
        None,
    )
    .await;
    expect(
        422,
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&alice),
        Some(json!({"vendor_id": "nope"})),
    )
    .await;
    let v = expect(
        422,
        Method::POST,
        &format!("{base}/reports/letter"),
        Some(&alice),
        Some(json!({"vendor_id": id, "language": "xx"})),
    )
    .await;
    assert_eq!(v["code"], "UNSUPPORTED_LANGUAGE");
    assert!(v["detail"].as_str().unwrap().contains("en, de, fr, es, ar"));

    // API tokens: accepted, then refused once revoked.
    let account = srv
        .state
        .store()
        .account_for_subject("alice", "alice", now())
        .await
        .unwrap();
    let issued = srv
        .state
        .store()
        .create_api_token(account.id, "ci", now())
        .await
        .unwrap();
    let (s, _, v) = call(
        Method::GET,
        &format!("{base}/vendors"),
        Some(&issued.secret),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["total"], 1);
    assert!(issued.secret.starts_with("nis2_"));
    // Stored as a hash only: the secret is in no file of the database
    // (main file, WAL or journal).
    let db_dir = srv.dir.as_ref().unwrap().path();
    let mut files = 0;
    for entry in std::fs::read_dir(db_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        let secret = issued.secret.as_bytes();
        let body = &secret["nis2_".len()..];
        assert!(
            !bytes.windows(body.len()).any(|w| w == body),
            "the API token secret is stored in clear"
        );
    }
    assert!(files >= 1);
    srv.state
        .store()
        .revoke_api_token(account.id, issued.token.id, now())
        .await
        .unwrap();
    expect(
        401,
        Method::GET,
        &format!("{base}/vendors"),
        Some(&issued.secret),
        None,
    )
    .await;

    // 429: trigger 5/min, letter 10/min, GET 100/min per account; Retry-After and the seed's text.
    let carol = token("carol");
    let cid = add_vendor(&base, &carol, "carol.example").await;
    for _ in 0..5 {
        let (s, _, _) = call(
            Method::POST,
            &format!("{base}/scans/trigger"),
            Some(&carol),
            Some(json!({"vendor_id": cid})),
        )
        .await;
        assert_eq!(s, 200);
    }
    let (s, h, v) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&carol),
        Some(json!({"vendor_id": cid})),
    )
    .await;
    assert_eq!(s, 429);
    assert_rate_limited(&h, &v);
    // Another account is not limited by carol's use.
    let (s, _, _) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&alice),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200);
    let dave = token("dave");
    let did = add_vendor(&base, &dave, "dave.example").await;
    for _ in 0..10 {
        let (s, _, _) = call(
            Method::POST,
            &format!("{base}/reports/letter"),
            Some(&dave),
            Some(json!({"vendor_id": did})),
        )
        .await;
        assert_ne!(s, 429);
    }
    let (s, h, v) = call(
        Method::POST,
        &format!("{base}/reports/letter"),
        Some(&dave),
        Some(json!({"vendor_id": did})),
    )
    .await;
    assert_eq!(s, 429);
    assert_rate_limited(&h, &v);
    let erin = token("erin");
    for i in 0..100 {
        let path = if i % 2 == 0 {
            "vendors"
        } else {
            "dashboard/summary"
        };
        let (s, _, _) = call(Method::GET, &format!("{base}/{path}"), Some(&erin), None).await;
        assert_eq!(s, 200, "request {i}");
    }
    let (s, h, v) = call(
        Method::GET,
        &format!("{base}/dashboard/summary"),
        Some(&erin),
        None,
    )
    .await;
    assert_eq!(s, 429);
    assert_rate_limited(&h, &v);

    // 500: the database goes away; the answer is generic.
    srv.state.store().close().await;
    let v = expect(
        500,
        Method::GET,
        &format!("{base}/vendors"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(v["detail"], "Internal server error");
    assert_eq!(v["code"], "INTERNAL_ERROR");
    srv.stop().await;
}

fn assert_rate_limited(h: &reqwest::header::HeaderMap, v: &Value) {
    assert_error_shape(v);
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(
        v["detail"],
        format!("Rate limit exceeded. Retry after {retry} seconds.")
    );
    assert_eq!(v["code"], "RATE_LIMITED");
}
