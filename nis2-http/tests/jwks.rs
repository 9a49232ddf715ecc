//! JWTs with keys from a JWKS URL, the way Supabase publishes them
//! (`…/auth/v1/.well-known/jwks.json`, ES256 signing keys with key ids,
//! tokens with Supabase's claims); key rotation; refetch limits; symmetric
//! keys in a JWKS ignored; an unreachable JWKS refused at start-up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use nis2_core::Scanner;
use nis2_http::{JwksSource, Server};
use reqwest::Method;
use serde_json::{Value, json};

fn ec_key() -> EncodingKey {
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .output()
        .expect("openssl runs");
    assert!(out.status.success());
    EncodingKey::from_ec_pem(&out.stdout).unwrap()
}

fn jwk(key: &EncodingKey, kid: &str) -> Value {
    let mut j = Jwk::from_encoding_key(key, Algorithm::ES256).unwrap();
    j.common.key_id = Some(kid.to_owned());
    serde_json::to_value(&j).unwrap()
}

/// A JWKS endpoint on loopback serving `keys` (changeable), counting fetches.
struct Issuer {
    base: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

async fn issuer(keys: Vec<Value>) -> Issuer {
    let keys = Arc::new(Mutex::new(keys));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (k, f) = (keys.clone(), fetches.clone());
    let app = axum::Router::new().route(
        "/auth/v1/.well-known/jwks.json",
        axum::routing::get(move || {
            let k = k.clone();
            let f = f.clone();
            async move {
                f.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({"keys": k.lock().unwrap().clone()}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Issuer {
        base: format!("http://{addr}"),
        keys,
        fetches,
    }
}

/// The claims Supabase Auth puts in a user's access token.
fn supabase_claims(iss: &str, sub: &str) -> Value {
    let now = now().unix();
    json!({
        "iss": iss,
        "sub": sub,
        "aud": "authenticated",
        "exp": now + 3600,
        "iat": now,
        "email": "ciso@customer.example",
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"email_verified": true},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": "6f1c2a4e-33b2-4c47-9d0e-1b8f6a0c2d11",
        "is_anonymous": false
    })
}

fn es256(key: &EncodingKey, kid: &str, claims: &Value) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.to_owned());
    encode(&h, claims, key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supabase_style_tokens_from_a_jwks_url() {
    let first = ec_key();
    let oct_secret = b"a symmetric key someone put in the public JWKS";
    let oct = json!({"kty": "oct", "kid": "oct1", "alg": "HS256",
        "k": "YSBzeW1tZXRyaWMga2V5IHNvbWVvbmUgcHV0IGluIHRoZSBwdWJsaWMgSldLUw"});
    let issuer = issuer(vec![jwk(&first, "key-1"), oct]).await;
    let iss = format!("{}/auth/v1", issuer.base);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.auth.jwks = Some(JwksSource::Url(format!("{iss}/.well-known/jwks.json")));
    cfg.auth.issuers = vec![iss.clone()];
    cfg.auth.jwks_refresh = Duration::from_secs(2);
    let srv = start_with(cfg, SampleScanner::default()).await;
    assert_eq!(
        issuer.fetches.load(Ordering::SeqCst),
        1,
        "fetched at start-up"
    );
    let url = format!("{}/vendors", srv.base);
    let user = "8d0f1c4e-8f5a-4c1e-9a55-2b7d1c3e4f60";

    // An ES256 user token as Supabase issues it.
    let tok = es256(&first, "key-1", &supabase_claims(&iss, user));
    let id = add_vendor(&srv.base, &tok, "supabase.example").await;
    // The legacy HS256 secret names the same user: the same account.
    let legacy = hs256(supabase_claims(&iss, user));
    let (s, _, v) = call(Method::GET, &url, Some(&legacy), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["vendors"][0]["id"], id.as_str());

    // A token signed with the JWKS's symmetric key is refused (never a
    // verification key: anyone can read a JWKS).
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("oct1".into());
    let forged = encode(
        &h,
        &supabase_claims(&iss, user),
        &EncodingKey::from_secret(oct_secret),
    )
    .unwrap();
    let (s, _, v) = call(Method::GET, &url, Some(&forged), None).await;
    assert_eq!(s, 401, "{v}");
    assert_error_shape(&v);

    // Another issuer's token, even with a valid signature, is refused.
    let (s, _, _) = call(
        Method::GET,
        &url,
        Some(&es256(
            &first,
            "key-1",
            &supabase_claims("https://other.supabase.co/auth/v1", user),
        )),
        None,
    )
    .await;
    assert_eq!(s, 401);

    // Made-up key ids do not make the server hammer the issuer.
    let stranger = ec_key();
    let before = issuer.fetches.load(Ordering::SeqCst);
    for i in 0..5 {
        let t = es256(
            &stranger,
            &format!("made-up-{i}"),
            &supabase_claims(&iss, user),
        );
        let (s, _, v) = call(Method::GET, &url, Some(&t), None).await;
        assert_eq!(s, 401, "{v}");
    }
    let after = issuer.fetches.load(Ordering::SeqCst);
    assert!(
        after - before <= 1,
        "{} fetches for 5 unknown key ids",
        after - before
    );

    // Key rotation: the issuer adds key-2 and signs with it; after the
    // refresh interval the server fetches the new set and accepts it.
    let second = ec_key();
    issuer.keys.lock().unwrap().push(jwk(&second, "key-2"));
    let rotated = es256(&second, "key-2", &supabase_claims(&iss, user));
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let (s, _, v) = call(Method::GET, &url, Some(&rotated), None).await;
    assert_eq!(s, 200, "the rotated key is fetched: {v}");
    assert_eq!(v["total"], 1);
    // The old key still works while the issuer lists it.
    let (s, _, _) = call(Method::GET, &url, Some(&tok), None).await;
    assert_eq!(s, 200);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_keys_stop_working_once_the_keys_are_old() {
    let first = ec_key();
    let issuer = issuer(vec![jwk(&first, "key-1")]).await;
    let iss = format!("{}/auth/v1", issuer.base);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.auth.jwks = Some(JwksSource::Url(format!("{iss}/.well-known/jwks.json")));
    cfg.auth.jwks_refresh = Duration::from_millis(200);
    cfg.auth.jwks_max_age = Duration::from_secs(1);
    let srv = start_with(cfg, SampleScanner::default()).await;
    let url = format!("{}/vendors", srv.base);
    let tok = es256(&first, "key-1", &supabase_claims(&iss, "withdrawn-user"));
    let (s, _, _) = call(Method::GET, &url, Some(&tok), None).await;
    assert_eq!(s, 200);
    // The issuer withdraws key-1 (e.g. after a leak).
    let second = ec_key();
    *issuer.keys.lock().unwrap() = vec![jwk(&second, "key-2")];
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let (s, _, v) = call(Method::GET, &url, Some(&tok), None).await;
    assert_eq!(s, 401, "a withdrawn key is refused: {v}");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_jwks_url_stops_start_up_with_a_clear_error() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.auth.jwks = Some(JwksSource::Url(format!(
        "http://127.0.0.1:{port}/.well-known/jwks.json"
    )));
    let s: Arc<dyn Scanner> = Arc::new(SampleScanner::default());
    let err = Server::bind(cfg, s.clone(), s).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("JWKS") && text.contains("jwks.json"),
        "{text}"
    );

    // A file that is not a JWKS, likewise.
    let bad = dir.path().join("jwks.json");
    std::fs::write(&bad, "{\"not\": \"keys\"}").unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.auth.jwks = Some(JwksSource::File(bad));
    let s: Arc<dyn Scanner> = Arc::new(SampleScanner::default());
    let err = Server::bind(cfg, s.clone(), s).await.unwrap_err();
    assert!(err.to_string().contains("not a JWKS"), "{err}");
}
