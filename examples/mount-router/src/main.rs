//! Mounts the nis2 HTTP API under `/nis2` inside another axum application,
//! serves the combined router on loopback, and calls it over the socket: the
//! host's own route, the API's `/nis2/health`, and an authenticated route
//! without a token (the API's error shape). Exits 0 when all three answer as
//! expected.
//!
//! ```text
//! cargo run -p example-mount-router
//! ```
//!
//! The API state is built as `nis2 serve` builds it: a [`ServerConfig`], an
//! opened [`SqlStore`] (a SQLite file in the temp directory, removed at the
//! end) and the scanner that serves `POST /scan/demo`. This host does not
//! offer demo scans, so its scanner refuses them with a clear error.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::routing::get;
use nis2_core::{Observations, ScanError, Scanner};
use nis2_http::{AppState, ServerConfig};
use nis2_store::SqlStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The scanner behind `POST /scan/demo`: this host offers no demo scans.
struct NoDemoScans;

#[async_trait]
impl Scanner for NoDemoScans {
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        Err(ScanError::Failed {
            message: format!(
                "this host application does not offer demo scans (asked for {domain})"
            ),
        })
    }
}

/// The host application: its own routes, and the nis2 API under `/nis2`.
async fn host_app(database: &Path) -> Result<Router, String> {
    let mut config = ServerConfig::default();
    config.database = database.display().to_string();
    let store = SqlStore::open(&config.database)
        .await
        .map_err(|e| format!("cannot open the store: {e}"))?;
    let state = AppState::new(&config, store, Arc::new(NoDemoScans))
        .await
        .map_err(|e| format!("cannot build the API state: {e}"))?;
    Ok(Router::new()
        .route("/", get(|| async { "the host application's own page" }))
        .nest("/nis2", nis2_http::app(state)))
}

/// One HTTP/1.1 request over a fresh connection: status code and body.
async fn get_once(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(|e| format!("receive: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {text}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

/// Bodies may come chunked; the JSON object is between the outer braces.
fn json_in(body: &str) -> Result<serde_json::Value, String> {
    let (start, end) = (body.find('{'), body.rfind('}'));
    match (start, end) {
        (Some(s), Some(e)) if s < e => {
            serde_json::from_str(&body[s..=e]).map_err(|e| format!("{e}: {body}"))
        }
        _ => Err(format!("no JSON object in {body:?}")),
    }
}

async fn run(database: &Path) -> Result<Vec<String>, String> {
    let app = host_app(database).await?;
    // Loopback only, on a free port.
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });

    let mut report = vec![format!("serving the host application on http://{addr}")];
    let result = async {
        let (status, body) = get_once(addr, "/").await?;
        if status != 200 || !body.contains("host application") {
            return Err(format!("GET / answered {status}: {body}"));
        }
        report.push(format!("GET /            -> {status} {body:?}"));

        let (status, body) = get_once(addr, "/nis2/health").await?;
        let health = json_in(&body)?;
        if status != 200 || health["status"] != "healthy" {
            return Err(format!("GET /nis2/health answered {status}: {body}"));
        }
        report.push(format!("GET /nis2/health -> {status} {health}"));

        let (status, body) = get_once(addr, "/nis2/vendors").await?;
        let error = json_in(&body)?;
        if status != 401 || error["detail"].as_str().is_none() || error["code"].as_str().is_none() {
            return Err(format!(
                "GET /nis2/vendors without a token answered {status}: {body}"
            ));
        }
        report.push(format!("GET /nis2/vendors (no token) -> {status} {error}"));
        Ok(())
    }
    .await;

    let _ = stop.send(());
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("server: {e}")),
        Err(e) => return Err(format!("server task: {e}")),
    }
    result.map(|()| report)
}

/// The SQLite file and its journal files.
fn remove_database(database: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = database.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn main() -> ExitCode {
    let database =
        std::env::temp_dir().join(format!("example-mount-router-{}.db", std::process::id()));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(&database));
    remove_database(&database);
    match outcome {
        Ok(lines) => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt as _;

    use super::*;

    /// The mounted router answers under its prefix, without a socket, and
    /// leaves the host's routes alone.
    #[tokio::test]
    async fn nested_health_and_host_route_answer() {
        let database = std::env::temp_dir().join(format!(
            "example-mount-router-test-{}.db",
            std::process::id()
        ));
        let app = host_app(&database).await.unwrap();

        let res = app
            .clone()
            .oneshot(Request::get("/nis2/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], "healthy");
        assert!(v["version"].is_string() && v["timestamp"].is_string());

        let res = app
            .clone()
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        // The API's own paths are not served outside the prefix.
        let res = app
            .clone()
            .oneshot(Request::get("/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        let res = app
            .oneshot(Request::get("/nis2/vendors").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body = to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
        remove_database(&database);
    }

    #[tokio::test]
    async fn the_example_runs_end_to_end() {
        let database = std::env::temp_dir().join(format!(
            "example-mount-router-run-{}.db",
            std::process::id()
        ));
        let lines = run(&database).await.unwrap();
        remove_database(&database);
        assert!(
            lines.iter().any(|l| l.contains("/nis2/health -> 200")),
            "{lines:?}"
        );
    }
}
