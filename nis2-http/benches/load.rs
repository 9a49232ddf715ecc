//! Load benchmark: GET /vendors and GET /dashboard/summary with 1,000
//! scanned vendors on SQLite, 64 concurrent keep-alive connections from an
//! in-process client; requests per second and latency percentiles (p50,
//! p99). The server runs on a runtime of its own (two threads, as nginx
//! gets two workers), apart from the client's. Measured as served by
//! default (the exact answer cache on: every request reads the account's
//! data version, and the kept answer is sent while it is unchanged) and
//! with every request read from the database (cache off). Then the same
//! load against nginx serving static JSON files of the same sizes (the
//! same client, same run), started on a loopback port with a temporary
//! configuration, and the ratio of the two; the aim is at least 0.5.
//!
//! `cargo bench -p nis2-http --bench load` (env `NIS2_BENCH_SECS`, default 5,
//! sets the time per target). Needs `nginx` on the PATH or in /usr/sbin
//! (Debian: `apt-get install nginx-light`) for the comparison.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use nis2_core::{Engine, Observations, ScanError, Scanner, Timestamp, samples};
use nis2_http::{RateLimits, Server, ServerConfig, SystemClock, WakeNotifier};
use nis2_store::{NewVendor, SqlStore};
use serde_json::json;

const CONNECTIONS: usize = 64;
const SECRET: &str = "bench-secret";

/// Sample observations (no network): every third vendor weak, the rest
/// flawless, so the portfolio has scores, grades and risk levels.
struct SampleScanner;

#[async_trait]
impl Scanner for SampleScanner {
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        let n: u32 = domain
            .trim_start_matches("vendor-")
            .trim_end_matches(".example")
            .parse()
            .unwrap_or(0);
        Ok(if n.is_multiple_of(3) {
            samples::weak_vendor(domain, now())
        } else {
            samples::flawless_vendor(domain, now())
        })
    }
}

/// Runs the API (no worker, no dispatcher) over `db` on its own runtime
/// (`rt`, two threads, like nginx's two workers), apart from the load
/// client's; returns its base URL and what stops it.
async fn start_server(
    rt: &tokio::runtime::Handle,
    db: &str,
    cache_ttl: Duration,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), nis2_http::SetupError>>,
) {
    let mut cfg = ServerConfig::default();
    cfg.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.database = db.to_owned();
    cfg.auth.hs256_secret = Some(SECRET.into());
    cfg.worker.enabled = false;
    cfg.webhooks.enabled = false;
    cfg.response_cache_ttl = cache_ttl;
    // The seed's 100 GET/min per account would stop a benchmark after 100 requests.
    let mut limits = RateLimits::default();
    limits.get = u32::MAX;
    cfg.rate_limits = limits;
    let scanner: Arc<dyn Scanner> = Arc::new(SampleScanner);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let handle = rt.spawn(async move {
        let server = Server::bind(cfg, scanner.clone(), scanner).await?;
        let _ = addr_tx.send(server.local_addr());
        server
            .run(async move {
                let _ = rx.await;
            })
            .await
    });
    let addr = addr_rx.await.unwrap().unwrap();
    (format!("http://{addr}"), tx, handle)
}

fn now() -> Timestamp {
    time::OffsetDateTime::now_utc().into()
}

struct Result_ {
    name: String,
    requests: usize,
    errors: usize,
    secs: f64,
    p50: Duration,
    p99: Duration,
    bytes: usize,
}

async fn load(name: &str, url: String, token: Option<String>, secs: u64) -> Result_ {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    // Warm up the connections.
    let _ = client.get(&url).send().await;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let client = client.clone();
        let url = url.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut bytes = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut rb = client.get(&url);
                if let Some(tok) = &token {
                    rb = rb.bearer_auth(tok);
                }
                match rb.send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) => {
                            bytes = b.len();
                            lat.push(t.elapsed());
                        }
                        Err(_) => errors += 1,
                    },
                    _ => errors += 1,
                }
            }
            (lat, errors, bytes)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut bytes = 0;
    for t in tasks {
        let (l, e, b) = t.await.unwrap();
        all.extend(l);
        errors += e;
        bytes = bytes.max(b);
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Result_ {
        name: name.to_owned(),
        requests: all.len(),
        errors,
        secs,
        p50: pick(0.50),
        p99: pick(0.99),
        bytes,
    }
}

fn report(r: &Result_) {
    println!(
        "{:<36} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  body {:>7} B  ({} requests, {} errors, {:.1} s)",
        r.name,
        r.requests as f64 / r.secs,
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        r.bytes,
        r.requests,
        r.errors,
        r.secs
    );
}

fn start_nginx(dir: &std::path::Path, body: &[u8]) -> Option<(std::process::Child, SocketAddr)> {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let root = dir.join("www");
    std::fs::create_dir_all(&root).ok()?;
    std::fs::write(root.join("vendors.json"), body).ok()?;
    let conf = format!(
        "daemon off; master_process on; worker_processes 2; user root; pid {d}/nginx.pid; error_log {d}/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};\n\
           keepalive_requests 1000000; default_type application/json; sendfile on; tcp_nopush on;\n\
           server {{ listen 127.0.0.1:{port}; root {r}; }} }}\n",
        d = dir.display(),
        r = root.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).ok()?;
    let mut child = std::process::Command::new(nginx)
        .args([
            "-c",
            &dir.join("nginx.conf").display().to_string(),
            "-p",
            &dir.display().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Wait until it listens (or report why it did not start).
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            println!("nginx did not start: {log}");
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((child, addr))
}

fn main() {
    let secs: u64 = std::env::var("NIS2_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("nis2-server")
        .enable_all()
        .build()
        .unwrap();
    let server_rt = server_runtime.handle().clone();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bench.db").display().to_string();
        let store = SqlStore::open(&db).await.unwrap();
        let account = store.account_for_subject("bench", "Bench", now()).await.unwrap();
        // 1,000 vendors, each scanned once (scores, grades, risk levels).
        let engine = Engine::new(
            Arc::new(SampleScanner),
            Arc::new(store.clone()),
            Arc::new(WakeNotifier(Arc::new(tokio::sync::Notify::new()))),
            Arc::new(SystemClock),
        );
        for i in 0..1_000 {
            let mut v = NewVendor::new(format!("vendor-{i:04}.example"), true);
            v.vendor_name = Some(format!("Vendor {i}"));
            let vendor = store.create_vendor(account.id, &v, now()).await.unwrap();
            engine.scan_vendor(&vendor).await.unwrap();
        }
        // Where an uncached /vendors request spends its time, one request at a time.
        let time = |n: u32, t: Instant| (t.elapsed() / n).as_secs_f64() * 1e3;
        let t = Instant::now();
        let mut all = Vec::new();
        for _ in 0..20 {
            all = store.all_vendors(account.id).await.unwrap().vendors;
        }
        let whole = time(20, t);
        let t = Instant::now();
        for _ in 0..20 {
            let mut paged = Vec::new();
            for offset in [0u64, 500] {
                let p = store
                    .list_vendors(account.id, nis2_store::Page { offset, limit: 500 })
                    .await
                    .unwrap();
                paged.extend(p.vendors);
            }
            assert_eq!(paged, all);
        }
        let pages = time(20, t);
        let t = Instant::now();
        for _ in 0..20 {
            std::hint::black_box(serde_json::to_vec(&all).unwrap());
        }
        let encoding = time(20, t);
        let t = Instant::now();
        for _ in 0..200 {
            std::hint::black_box(store.data_version(account.id).await.unwrap());
        }
        println!(
            "sequential: store all_vendors of 1,000 vendors {whole:.2} ms (list_vendors in two pages {pages:.2} ms), \
             JSON encoding {encoding:.2} ms, data_version {:.3} ms",
            time(200, t)
        );
        store.close().await;

        let token = encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "bench", "aud": "authenticated", "exp": now().unix() + 3600}),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();

        println!("nis2-http load bench: 1,000 vendors on SQLite, {CONNECTIONS} connections, {secs} s each");
        // As served by default: the answer cache on.
        let (base, tx, handle) =
            start_server(&server_rt, &db, ServerConfig::default().response_cache_ttl).await;
        let vendors = load("GET /vendors", format!("{base}/vendors"), Some(token.clone()), secs).await;
        report(&vendors);
        let dash = load("GET /dashboard/summary", format!("{base}/dashboard/summary"), Some(token.clone()), secs).await;
        report(&dash);
        let health = load("GET /health (no auth, no db)", format!("{base}/health"), None, secs).await;
        report(&health);
        let fetch = |path: &str| {
            let url = format!("{base}{path}");
            let token = token.clone();
            async move {
                reqwest::Client::new()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
            }
        };
        let body = fetch("/vendors").await;
        let dash_body = fetch("/dashboard/summary").await;
        let _ = tx.send(());
        let _ = handle.await;

        // Every request read from the database (response_cache_ttl = 0).
        let (base, tx, handle) = start_server(&server_rt, &db, Duration::ZERO).await;
        let vendors_db = load("GET /vendors (no cache)", format!("{base}/vendors"), Some(token.clone()), secs).await;
        report(&vendors_db);
        let dash_db = load("GET /dashboard/summary (no cache)", format!("{base}/dashboard/summary"), Some(token.clone()), secs).await;
        report(&dash_db);
        let _ = tx.send(());
        let _ = handle.await;

        match start_nginx(dir.path(), &body) {
            Some((mut child, addr)) => {
                std::fs::write(dir.path().join("www").join("dashboard.json"), &dash_body).unwrap();
                let n1 = load("nginx static (vendors size)", format!("http://{addr}/vendors.json"), None, secs).await;
                report(&n1);
                let n2 = load("nginx static (dashboard size)", format!("http://{addr}/dashboard.json"), None, secs).await;
                report(&n2);
                let rps = |r: &Result_| r.requests as f64 / r.secs;
                println!(
                    "ratio nis2/nginx (req/s): /vendors {:.2} (no cache {:.2}), /dashboard/summary {:.2} (no cache {:.2}); aim >= 0.50",
                    rps(&vendors) / rps(&n1),
                    rps(&vendors_db) / rps(&n1),
                    rps(&dash) / rps(&n2),
                    rps(&dash_db) / rps(&n2),
                );
                let _ = child.kill();
                let _ = child.wait();
            }
            None => println!("nginx not installed: no comparison"),
        }
    });
}
