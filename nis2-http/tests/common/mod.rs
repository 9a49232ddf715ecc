//! Shared test support: a real server on loopback over a temporary SQLite
//! file, a deterministic scanner, token minting and a webhook receiver.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use nis2_core::{Observations, ScanError, Scanner, Timestamp, samples};
use nis2_http::{Server, ServerConfig};
use serde_json::{Value, json};
use sqlx::Connection as _;
use tokio::sync::oneshot;

pub const SECRET: &str = "test-hs256-secret-that-is-long-enough-0123456789";

/// What the sample scanner returns for a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quality {
    Flawless,
    Weak,
    Fail,
}

/// A scanner that returns `nis2_core::samples` observations: flawless unless
/// told otherwise per domain; optionally slow.
#[derive(Clone, Default)]
pub struct SampleScanner {
    pub quality: Arc<Mutex<HashMap<String, Quality>>>,
    pub delay: Arc<Mutex<Duration>>,
    pub calls: Arc<Mutex<Vec<String>>>,
}

impl SampleScanner {
    pub fn set(&self, domain: &str, q: Quality) {
        self.quality.lock().unwrap().insert(domain.to_owned(), q);
    }
}

pub fn now() -> Timestamp {
    time::OffsetDateTime::now_utc().into()
}

#[async_trait]
impl Scanner for SampleScanner {
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        self.calls.lock().unwrap().push(domain.to_owned());
        let delay = *self.delay.lock().unwrap();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let q = self
            .quality
            .lock()
            .unwrap()
            .get(domain)
            .copied()
            .unwrap_or(Quality::Flawless);
        match q {
            Quality::Flawless => Ok(samples::flawless_vendor(domain, now())),
            Quality::Weak => Ok(samples::weak_vendor(domain, now())),
            Quality::Fail => Err(ScanError::Failed {
                message: "sample failure".into(),
            }),
        }
    }
}

/// Test configuration: loopback, port 0, a temp SQLite file, HS256, fast polling.
pub fn config(db: &std::path::Path) -> ServerConfig {
    let mut c = ServerConfig::default();
    c.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    c.database = db.display().to_string();
    c.auth.hs256_secret = Some(SECRET.to_owned());
    c.allow_private_vendors = false;
    c.webhooks.allow_private = true;
    c.webhooks.poll_interval = Duration::from_millis(200);
    c.worker.poll_interval = Duration::from_millis(200);
    c.worker.rescan_interval = None;
    c.shutdown_grace = Duration::from_secs(5);
    c
}

pub struct Running {
    pub addr: SocketAddr,
    pub base: String,
    pub state: nis2_http::AppState,
    pub scanner: SampleScanner,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
    pub dir: Option<tempfile::TempDir>,
}

impl Running {
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }
}

/// Starts a server over a fresh temp database with the sample scanner.
pub async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir.path().join("nis2.db"));
    let mut r = start_with(cfg, SampleScanner::default()).await;
    r.dir = Some(dir);
    r
}

pub async fn start_with(cfg: ServerConfig, scanner: SampleScanner) -> Running {
    let s: Arc<dyn Scanner> = Arc::new(scanner.clone());
    let server = Server::bind(cfg, s.clone(), s).await.unwrap();
    let addr = server.local_addr().unwrap();
    let state = server.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        server
            .run(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        addr,
        base: format!("http://{addr}"),
        state,
        scanner,
        stop: Some(tx),
        handle: Some(handle),
        dir: None,
    }
}

/// An HS256 token for `sub` valid for an hour, audience `authenticated`.
pub fn token(sub: &str) -> String {
    hs256(
        json!({"sub": sub, "aud": "authenticated", "role": "authenticated",
                 "exp": now().unix() + 3600, "iat": now().unix()}),
    )
}

pub fn hs256(claims: Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends a request; returns status, headers and JSON (Null when not JSON).
pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut rb = client().request(method, url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Asserts the seed's error shape and returns the detail.
pub fn assert_error_shape(v: &Value) -> String {
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("error body is not an object: {v}"));
    assert_eq!(o.len(), 3, "exactly detail, code, timestamp: {v}");
    let detail = o["detail"].as_str().expect("detail").to_owned();
    assert!(!detail.is_empty());
    let code = o["code"].as_str().expect("code");
    assert!(
        !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
        "{code}"
    );
    Timestamp::parse(o["timestamp"].as_str().expect("timestamp")).expect("RFC 3339 timestamp");
    detail
}

/// One received webhook delivery.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A webhook receiver on loopback recording every delivery; answers
/// `status` (settable) to each.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Delivery>>>,
    pub status: Arc<Mutex<u16>>,
}

pub async fn receiver() -> Receiver {
    let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let status = Arc::new(Mutex::new(200u16));
    let (g, s) = (got.clone(), status.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let g = g.clone();
            let s = s.clone();
            async move {
                let code = *s.lock().unwrap();
                if code == 200 {
                    g.lock().unwrap().push(Delivery { headers, body });
                }
                axum::http::StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{addr}/hook"),
        got,
        status,
    }
}

/// The seed's Python `verify`, run by python3 over the exact body.
pub fn python_verify(body: &[u8], secret: &str, signature: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body");
    std::fs::write(&path, body).unwrap();
    let script = r#"
import hmac, hashlib, sys
def verify(payload, secret, signature):
    expected = hmac.new(
        secret.encode(),
        payload,
        hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature)
payload = open(sys.argv[1], 'rb').read()
print("VALID" if verify(payload, sys.argv[2], sys.argv[3]) else "INVALID")
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .arg(secret)
        .arg(signature)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim() == "VALID"
}

/// Polls `f` every 100 ms for up to `secs` seconds until it yields Some.
pub async fn eventually<T, F, Fut>(secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Adds a vendor and returns its id.
pub async fn add_vendor(base: &str, tok: &str, domain: &str) -> String {
    let (s, _, v) = call(
        reqwest::Method::POST,
        &format!("{base}/vendors"),
        Some(tok),
        Some(json!({"domain": domain, "consent_given": true, "vendor_name": "V"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

/// The vendor's status as listed.
pub async fn vendor_status(base: &str, tok: &str, id: &str) -> Option<Value> {
    let (s, _, v) = call(
        reqwest::Method::GET,
        &format!("{base}/vendors"),
        Some(tok),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .cloned()
}

// PostgreSQL test databases (the store's tests use the same naming).

pub fn pg_admin_url() -> String {
    std::env::var("NIS2_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Creates `nis2_t_<unix secs>_<random>` (the store's tests drop such
/// databases when they are old, should this test be killed).
pub async fn pg_fresh_database(what: &str) -> Option<(String, String)> {
    let admin = pg_admin_url();
    let conn =
        tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect(&admin)).await;
    let mut conn = match conn {
        Ok(Ok(c)) => c,
        other => {
            let why = match other {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 10 s".to_owned(),
            };
            assert!(
                std::env::var("NIS2_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "NIS2_REQUIRE_POSTGRES=1 but PostgreSQL at {admin} is not reachable: {why}"
            );
            let _ = writeln!(
                std::io::stderr(),
                "NOT RUN: {what} on PostgreSQL: cannot connect to {admin}: {why}"
            );
            return None;
        }
    };
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let name = format!(
        "nis2_t_{secs}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let mut tries = 0;
    while let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
    {
        // Concurrent CREATE DATABASE can trip over the template; try again.
        tries += 1;
        assert!(tries < 10, "cannot create a test database: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = conn.close().await;
    let base = admin.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    Some((format!("{server}/{name}"), name))
}

pub async fn pg_drop_database(name: &str) {
    let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
}
