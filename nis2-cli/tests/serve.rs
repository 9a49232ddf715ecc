//! `nis2 serve` and `nis2 worker` as processes: the server answers on
//! loopback, the worker runs until stopped, bad databases are one-line errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use common::{nis2, run, settings, terminate, transcript};

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_answers_health_and_openapi() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("nis2.toml");
    std::fs::write(
        &cfg,
        format!(
            "db = \"{}\"\nworkers = 1\n",
            tmp.path().join("file.db").display()
        ),
    )
    .unwrap();
    // Flags beat the file: the database is the flag's.
    let db = tmp.path().join("serve.db");
    let mut child = nis2()
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    settings(Some(tmp.path()))
        .bind(|| insta::assert_snapshot!("serve_started", first.replace(&addr, "[ADDR]")));
    let health = get(&addr, "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"healthy\""), "{health}");
    let openapi = get(&addr, "/openapi.json");
    assert!(
        openapi.starts_with("HTTP/1.1 200") && openapi.contains("/vendors"),
        "{}",
        &openapi[..200]
    );
    assert!(db.exists(), "the flag's database was created");
    assert!(!tmp.path().join("file.db").exists());
    terminate(&mut child);
}

#[test]
fn worker_runs_until_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("w.db");
    let mut child = nis2()
        .args(["worker", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("nis2 worker: "), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "still running");
    terminate(&mut child);
}

/// `-j` is how many targets `nis2 scan` and `nis2 rescan` scan at once; a
/// server's or worker's scan jobs at once are `--workers`. `-j` there would
/// do nothing, so it is refused rather than accepted and ignored.
#[test]
fn scan_concurrency_is_not_a_server_flag() {
    for cmd in ["serve", "worker"] {
        let out = run(nis2().args([cmd, "-j", "4"]));
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("unexpected argument '-j'"), "{cmd}: {err}");
    }
    let out = run(nis2().args(["rescan", "--all", "--queue", "-j", "4"]));
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        transcript(&out)
    );
}

#[test]
fn serve_bad_database_is_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let out = run(nis2()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(file.join("nis2.db")));
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().count(),
        1,
        "{}",
        transcript(&out)
    );
    settings(Some(tmp.path())).bind(|| insta::assert_snapshot!("error_serve_db", transcript(&out)));
    let out = run(nis2().args(["serve", "--listen", "nowhere"]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().count(),
        1,
        "{}",
        transcript(&out)
    );
}

/// A running `nis2 serve`: its address, and its stderr lines as they come.
struct Served {
    child: std::process::Child,
    addr: String,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Served {
    fn start(cmd: &mut std::process::Command) -> Served {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let Some(addr) = first
            .split("http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
        else {
            let _ = child.kill();
            let err: Vec<String> = stderr.try_iter().collect();
            panic!("no address in {first:?}; stderr: {err:?}");
        };
        let addr = addr.to_owned();
        Served {
            child,
            addr,
            stderr,
        }
    }

    /// The first stderr line (from now on) that `pred` accepts, within 15 s.
    fn wait_log(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if pred(&line) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no {what} on stderr; saw: {seen:#?}");
    }

    /// Stops the server; returns the rest of its stderr.
    fn stop(mut self) -> Vec<String> {
        terminate(&mut self.child);
        self.stderr.iter().collect()
    }
}

/// One HTTP/1.1 request; the status and the whole response.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {out:?}"));
    (status, out)
}

/// The server logs each request on stderr: a text line by default, a JSON
/// object with `--log-format json` (here from NIS2_LOG_FORMAT), nothing
/// below the level of `--log`.
#[test]
fn serve_logs_requests_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("logs.db");
    let serve = |extra: &[&str], env: &[(&str, &str)]| {
        let mut c = nis2();
        c.args(["serve", "--listen", "127.0.0.1:0", "--workers", "0", "--db"])
            .arg(&db)
            .args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        Served::start(&mut c)
    };

    let s = serve(&[], &[]);
    s.wait_log("start-up line", |l| l.contains("nis2 API listening"));
    let (status, _) = request(&s.addr, "GET", "/health", &[], "");
    assert_eq!(status, 200);
    let line = s.wait_log("request line", |l| {
        l.contains("finished processing request")
    });
    for part in [
        " INFO ",
        "method=GET",
        "uri=/health",
        "status=200",
        "latency=",
    ] {
        assert!(line.contains(part), "{part} in {line:?}");
    }
    assert!(
        !line.contains('\x1b'),
        "no colours when stderr is piped: {line:?}"
    );
    let (status, _) = request(&s.addr, "GET", "/no/such/route", &[], "");
    assert_eq!(status, 404);
    let line = s.wait_log("404 line", |l| l.contains("uri=/no/such/route"));
    assert!(line.contains("status=404"), "{line}");
    s.stop();

    let s = serve(&[], &[("NIS2_LOG_FORMAT", "json")]);
    let (status, _) = request(&s.addr, "GET", "/health", &[], "");
    assert_eq!(status, 200);
    let line = s.wait_log("JSON request line", |l| {
        l.contains("finished processing request")
    });
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["level"], "INFO", "{v}");
    assert_eq!(v["message"], "finished processing request", "{v}");
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["span"]["method"], "GET", "{v}");
    assert_eq!(v["span"]["uri"], "/health", "{v}");
    assert!(
        v["latency"].is_string() && v["timestamp"].is_string(),
        "{v}"
    );
    let rest = s.stop();
    for l in &rest {
        assert!(
            serde_json::from_str::<serde_json::Value>(l).is_ok(),
            "every line is JSON: {l:?}"
        );
    }
    assert!(
        rest.iter().any(|l| l.contains("shutting down")),
        "{rest:#?}"
    );

    // Below the filter's level: no request lines (they are INFO).
    let s = serve(&["--log", "warn"], &[("RUST_LOG", "debug")]);
    let (status, _) = request(&s.addr, "GET", "/health", &[], "");
    assert_eq!(status, 200);
    let (status, _) = request(&s.addr, "GET", "/health", &[], "");
    assert_eq!(status, 200);
    let rest = s.stop();
    assert!(
        !rest
            .iter()
            .any(|l| l.contains("processing request") || l.contains(" INFO ")),
        "{rest:#?}"
    );
    // A bad filter is a one-line error before anything starts.
    let out = run(nis2()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "nis2_http=loud",
            "--db",
        ])
        .arg(&db));
    common::one_line_error(&out);
}

fn openssl_ec_key() -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .output()
        .expect("openssl (Debian: openssl) makes the test's ES256 key");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Flags, variables and the file reach the running server: RS/ES keys from a
/// JWKS file (`--jwks`), the issuer (NIS2_JWT_ISSUER), the audience (the
/// file's `[auth] audiences`), API tokens off (`--api-tokens=false`), the GET
/// rate limit (`--rate-limit-get`) and the body limit (NIS2_BODY_LIMIT).
#[test]
fn serve_configuration_reaches_the_server() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk, jwk::JwkSet};
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("auth.db");
    let pem = openssl_ec_key();
    let key = EncodingKey::from_ec_pem(&pem).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some("k1".into());
    let jwks = tmp.path().join("jwks.json");
    std::fs::write(
        &jwks,
        serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap(),
    )
    .unwrap();
    let cfg = tmp.path().join("nis2.toml");
    std::fs::write(&cfg, "[auth]\naudiences = [\"nis2-api\"]\n").unwrap();
    // An API token made with the CLI, on the same database.
    let out = run(nis2().args(["token", "create", "ci", "--db"]).arg(&db));
    assert!(out.status.success(), "{}", transcript(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let api_token = stdout
        .split_whitespace()
        .find(|w| w.starts_with("nis2_"))
        .unwrap_or_else(|| panic!("no token in {stdout}"))
        .to_owned();

    let s = Served::start(
        nis2()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--workers",
                "0",
                "--api-tokens=false",
            ])
            .args(["--rate-limit-get", "3", "--config"])
            .arg(&cfg)
            .arg("--jwks")
            .arg(&jwks)
            .arg("--db")
            .arg(&db)
            .env("NIS2_JWT_ISSUER", "https://iss.test/auth/v1")
            .env("NIS2_BODY_LIMIT", "300"),
    );
    let token = |aud: &str, iss: &str| {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some("k1".into());
        let claims = serde_json::json!({
            "sub": "user-1", "aud": aud, "iss": iss, "exp": unix_now() + 600,
        });
        format!(
            "Bearer {}",
            jsonwebtoken::encode(&h, &claims, &key).unwrap()
        )
    };
    let good = token("nis2-api", "https://iss.test/auth/v1");
    let get = |auth: &str| request(&s.addr, "GET", "/vendors", &[("Authorization", auth)], "");
    // Refused without counting against anyone's limit.
    let (status, body) = get(&token("authenticated", "https://iss.test/auth/v1"));
    assert_eq!(
        status, 401,
        "the default audience is replaced by the file's: {body}"
    );
    let (status, body) = get(&token("nis2-api", "https://other.test"));
    assert_eq!(status, 401, "wrong issuer: {body}");
    let (status, body) = get(&format!("Bearer {api_token}"));
    assert_eq!(status, 401, "API tokens are off: {body}");
    // Accepted, three times; the fourth GET in the window is limited.
    for n in 0..3 {
        let (status, body) = get(&good);
        assert_eq!(status, 200, "GET {n}: {body}");
    }
    let (status, body) = get(&good);
    assert_eq!(status, 429, "{body}");
    assert!(body.to_ascii_lowercase().contains("retry-after:"), "{body}");
    // The body limit: 413 above 300 bytes, in the error shape.
    let big = format!(
        "{{\"domain\":\"vendor.example\",\"name\":\"{}\",\"consent_given\":true}}",
        "x".repeat(400)
    );
    let (status, body) = request(
        &s.addr,
        "POST",
        "/vendors",
        &[("Authorization", good.as_str())],
        &big,
    );
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("\"code\""), "{body}");
    s.stop();

    // A JWKS file that is not one stops the start with one line.
    std::fs::write(&jwks, "not json").unwrap();
    let out = run(nis2()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "0",
            "--jwks",
        ])
        .arg(&jwks)
        .arg("--db")
        .arg(&db));
    let err = common::one_line_error(&out);
    assert!(err.to_lowercase().contains("jwks"), "{err}");
}
