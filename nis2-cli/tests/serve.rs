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
