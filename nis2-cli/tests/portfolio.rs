//! The portfolio commands on a real SQLite file, scanning the lab's vendors
//! on loopback: vendor, rescan, history, summary, report, letter, token,
//! webhook, worker.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{nis2, one_line_error, run, settings, settings_without_dates, transcript};
use nis2_scanner::lab::LabVendors;

struct Fixture {
    _rt: tokio::runtime::Runtime,
    lab: LabVendors,
    tmp: tempfile::TempDir,
    ca: PathBuf,
    anchors: PathBuf,
    db: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let lab = rt.block_on(LabVendors::start()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let ca = tmp.path().join("lab-ca.pem");
        std::fs::write(&ca, lab.root_ca_pem()).unwrap();
        let anchors = tmp.path().join("lab-dnssec.txt");
        std::fs::write(
            &anchors,
            lab.scanner_options().resolver.dnssec_trust_anchors,
        )
        .unwrap();
        let db = tmp.path().join("nis2.db");
        Fixture {
            _rt: rt,
            lab,
            tmp,
            ca,
            anchors,
            db,
        }
    }

    /// `nis2 … --db <tmp>/nis2.db`.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = nis2();
        c.args(args).env("NIS2_DB", &self.db);
        c
    }

    /// Scanner flags pointing at the lab vendors.
    fn lab_flags(&self) -> Vec<String> {
        vec![
            "--resolver".into(),
            self.lab.dns_addr().to_string(),
            "--https-port".into(),
            self.lab.https_port().to_string(),
            "--http-port".into(),
            self.lab.http_port().to_string(),
            "--dns-port".into(),
            self.lab.dns_addr().port().to_string(),
            "--extra-root".into(),
            self.ca.display().to_string(),
            "--dnssec-trust-anchors".into(),
            self.anchors.display().to_string(),
            "--allow-private".into(),
        ]
    }

    fn snap(&self, name: &str, out: &Output) {
        settings_without_dates(Some(self.tmp.path()))
            .bind(|| insta::assert_snapshot!(name, transcript(out)));
    }
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", transcript(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok_bytes(out: &Output) -> Vec<u8> {
    assert_eq!(out.status.code(), Some(0), "{}", transcript(out));
    out.stdout.clone()
}

#[test]
fn portfolio_end_to_end() {
    let f = Fixture::new();

    // Vendors.
    let out = run(&mut f.cmd(&["vendor", "add", "good-vendor.test"]));
    one_line_error(&out);
    f.snap("vendor_add_no_consent", &out);
    let out = run(&mut f.cmd(&[
        "vendor",
        "add",
        "good-vendor.test",
        "--consent",
        "--name",
        "Good GmbH",
    ]));
    ok(&out);
    f.snap("vendor_add", &out);
    ok(&run(&mut f.cmd(&[
        "vendor",
        "add",
        "exposed-vendor.test",
        "--consent",
    ])));
    ok(&run(&mut f.cmd(&[
        "vendor",
        "add",
        "weakmail-vendor.test",
        "--consent",
    ])));
    let out = run(&mut f.cmd(&["vendor", "add", "GOOD-vendor.test.", "--consent"]));
    one_line_error(&out);
    f.snap("vendor_add_duplicate", &out);
    let out = run(&mut f.cmd(&["vendor", "add", "bad domain", "--consent"]));
    one_line_error(&out);
    let out = run(&mut f.cmd(&["vendor", "list"]));
    ok(&out);
    f.snap("vendor_list_new", &out);

    // Nothing scanned yet: reports and letters say so.
    let out = run(&mut f.cmd(&["report", "good-vendor.test"]));
    one_line_error(&out);
    f.snap("report_not_scanned", &out);

    // Rescan: the engine scans, grades and stores.
    let mut args = vec!["rescan", "good-vendor.test"];
    let flags = f.lab_flags();
    args.extend(flags.iter().map(String::as_str));
    let out = run(&mut f.cmd(&args));
    ok(&out);
    f.snap("rescan_good", &out);
    let mut args = vec!["rescan", "exposed-vendor.test"];
    let flags = f.lab_flags();
    args.extend(flags.iter().map(String::as_str));
    let out = ok(&run(&mut f.cmd(&args)));
    assert!(out.contains("exposed-vendor.test  F"), "{out}");

    // Queue a job for the expired vendor and let a worker run it.
    let out = run(&mut f.cmd(&["rescan", "weakmail-vendor.test", "--queue"]));
    ok(&out);
    f.snap("rescan_queue", &out);
    let mut args = vec!["worker", "--once", "--workers", "2"];
    let flags = f.lab_flags();
    args.extend(flags.iter().map(String::as_str));
    let out = run(&mut f.cmd(&args));
    ok(&out);
    f.snap("worker_once", &out);

    let out = run(&mut f.cmd(&["vendor", "list"]));
    ok(&out);
    f.snap("vendor_list_scanned", &out);
    let list: serde_json::Value = serde_json::from_str(&ok(&run(
        &mut f.cmd(&["vendor", "list", "--format", "json"])
    )))
    .unwrap();
    let grades: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["domain"].as_str().unwrap().to_owned(),
                v["current_grade"].clone(),
            )
        })
        .collect();
    assert!(
        grades.contains(&("weakmail-vendor.test".into(), serde_json::json!("C"))),
        "{grades:?}"
    );

    // History and summary.
    let out = run(&mut f.cmd(&["history", "good-vendor.test"]));
    ok(&out);
    f.snap("history_good", &out);
    let history: serde_json::Value = serde_json::from_str(&ok(&run(&mut f.cmd(&[
        "history",
        "good-vendor.test",
        "--format",
        "json",
    ]))))
    .unwrap();
    let scan_id = history[0]["scan_id"].as_str().unwrap().to_owned();
    let out = run(&mut f.cmd(&["summary"]));
    ok(&out);
    f.snap("summary", &out);
    let s: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut f.cmd(&["summary", "--format", "json"])))).unwrap();
    assert_eq!(s["total_vendors"], 3);
    assert_eq!(s["critical_risks"], 1);

    // Reports: by vendor and by scan id, every text format.
    let json: serde_json::Value = serde_json::from_str(&ok(&run(&mut f.cmd(&[
        "report",
        "good-vendor.test",
        "--format",
        "json",
    ]))))
    .unwrap();
    assert_eq!(json["assessment"]["grade"], "A", "{json}");
    let md = ok(&run(&mut f.cmd(&["report", &scan_id])));
    assert!(md.contains("Good GmbH"), "{md}");
    let html_path = f.tmp.path().join("legacy.html");
    ok(&run(f
        .cmd(&["report", "exposed-vendor.test", "--format", "html", "-o"])
        .arg(&html_path)));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains("<html") && html.contains("TLS 1.0"),
        "{}",
        &html[..300]
    );
    for format in ["csv", "junit", "sarif", "markdown"] {
        let out = ok(&run(&mut f.cmd(&[
            "report",
            "exposed-vendor.test",
            "--format",
            format,
            "--lang",
            "fr",
        ])));
        assert!(!out.is_empty(), "{format}");
    }
    let out = run(&mut f.cmd(&["report", "good-vendor.test"]));
    ok(&out);
    f.snap("report_good_markdown", &out);
    let out = run(f
        .cmd(&["report", "exposed-vendor.test", "--format", "pdf", "-o"])
        .arg(f.tmp.path().join("r.pdf")));
    if cfg!(feature = "pdf") {
        ok(&out);
        let pdf = std::fs::read(f.tmp.path().join("r.pdf")).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // To a pipe too (bytes on stdout).
        let out = run(&mut f.cmd(&["report", "exposed-vendor.test", "--format", "pdf"]));
        assert!(ok_bytes(&out).starts_with(b"%PDF"));
    } else {
        let err = one_line_error(&out);
        assert!(err.contains("pdf"), "{err}");
    }
    let out = run(&mut f.cmd(&["report", "nobody.example"]));
    one_line_error(&out);
    f.snap("report_unknown_vendor", &out);

    // Letters.
    let de = ok(&run(&mut f.cmd(&[
        "letter",
        "exposed-vendor.test",
        "--lang",
        "de",
        "--signer",
        "Erika Muster, CISO",
        "--organisation",
        "Kunde AG",
    ])));
    assert!(
        de.contains("Erika Muster") && de.contains("Kunde AG"),
        "{de}"
    );
    assert!(de.contains("NIS2") && de.contains("3306"), "{de}");
    let html = ok(&run(&mut f.cmd(&[
        "letter",
        "exposed-vendor.test",
        "--format",
        "html",
        "--lang",
        "ar",
    ])));
    assert!(
        html.contains("dir=\"rtl\""),
        "{}",
        &html[..300.min(html.len())]
    );
    let out = run(&mut f.cmd(&["letter", "exposed-vendor.test", "--signer", "Erika Muster"]));
    ok(&out);
    f.snap("letter_exposed_en", &out);
    let out = run(&mut f.cmd(&["letter", "exposed-vendor.test", "--lang", "xx"]));
    one_line_error(&out);
    f.snap("letter_unknown_language", &out);

    // Tokens.
    let out = run(&mut f.cmd(&["token", "create", "ci"]));
    let secret = ok(&out);
    assert!(
        secret.trim().starts_with("nis2_") && secret.trim().len() == 69,
        "{secret}"
    );
    f.snap("token_create", &out);
    let out = run(&mut f.cmd(&["token", "list", "--format", "json"]));
    let tokens: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let id = tokens[0]["id"].as_str().unwrap().to_owned();
    assert!(
        !ok(&out).contains(secret.trim()),
        "the secret is never listed"
    );
    let out = run(&mut f.cmd(&["token", "revoke", &id]));
    ok(&out);
    f.snap("token_revoke", &out);
    let out = run(&mut f.cmd(&["token", "list"]));
    ok(&out);
    f.snap("token_list", &out);
    let out = run(&mut f.cmd(&["token", "revoke", "not-an-id"]));
    one_line_error(&out);
    f.snap("token_revoke_bad_id", &out);

    // Webhook.
    let out = run(&mut f.cmd(&[
        "webhook",
        "set",
        "https://hooks.example/nis2",
        "--secret",
        "s3cret-s3cret",
    ]));
    ok(&out);
    f.snap("webhook_set", &out);
    let out = run(&mut f.cmd(&["webhook", "show"]));
    assert!(ok(&out).contains("https://hooks.example/nis2"));
    assert!(!ok(&out).contains("s3cret"));
    let out = run(&mut f.cmd(&["webhook", "set", "not a url", "--secret", "x"]));
    one_line_error(&out);
    f.snap("webhook_set_bad_url", &out);
    ok(&run(&mut f.cmd(&["webhook", "rm"])));
    one_line_error(&run(&mut f.cmd(&["webhook", "rm"])));

    // Another account sees none of it.
    let out = run(&mut f.cmd(&["vendor", "list", "--account", "other"]));
    assert_eq!(ok(&out).lines().count(), 1, "header only");

    // Removing a vendor.
    let out = run(&mut f.cmd(&["vendor", "rm", "exposed-vendor.test"]));
    ok(&out);
    f.snap("vendor_rm", &out);
    let out = run(&mut f.cmd(&["history", "exposed-vendor.test"]));
    one_line_error(&out);
    f.snap("history_unknown_vendor", &out);
}

#[test]
fn database_not_writable() {
    let tmp = tempfile::tempdir().unwrap();
    // A path under a regular file can never be created, even by root.
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let db = file.join("nis2.db");
    for args in [
        vec!["vendor", "list"],
        vec!["vendor", "add", "vendor.example", "--consent"],
        vec!["summary"],
        vec!["token", "create", "ci"],
    ] {
        let out = run(nis2().args(&args).arg("--db").arg(&db));
        one_line_error(&out);
        if args == ["vendor", "list"] {
            settings(Some(tmp.path()))
                .bind(|| insta::assert_snapshot!("error_db_not_writable", transcript(&out)));
        }
    }
    // A read-only directory (meaningful when not root).
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    set_mode(&ro, 0o500);
    let out = run(nis2().args(["summary", "--db"]).arg(ro.join("nis2.db")));
    if !out.status.success() {
        one_line_error(&out);
    }
    set_mode(&ro, 0o700);
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn long_running_worker_scans_queued_jobs() {
    let f = Fixture::new();
    ok(&run(&mut f.cmd(&[
        "vendor",
        "add",
        "weakmail-vendor.test",
        "--consent",
    ])));
    let out = ok(&run(&mut f.cmd(&[
        "rescan",
        "weakmail-vendor.test",
        "--queue",
    ])));
    assert!(out.contains("weakmail-vendor.test queued"), "{out}");
    let mut args = vec!["worker", "--workers", "1"];
    let flags = f.lab_flags();
    args.extend(flags.iter().map(String::as_str));
    let mut worker = f
        .cmd(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The worker claims the job, scans the vendor and stores the result; it
    // keeps running after that (until SIGTERM).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let grade = loop {
        let list: serde_json::Value = serde_json::from_str(&ok(&run(
            &mut f.cmd(&["vendor", "list", "--format", "json"])
        )))
        .unwrap();
        if let Some(g) = list[0]["current_grade"].as_str() {
            break g.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not scan the queued vendor: {list}"
        );
        assert!(worker.try_wait().unwrap().is_none(), "the worker exited");
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert_eq!(grade, "C");
    assert!(worker.try_wait().unwrap().is_none(), "still running");
    common::terminate(&mut worker);
    let history = ok(&run(&mut f.cmd(&["history", "weakmail-vendor.test"])));
    assert_eq!(history.lines().count(), 2, "{history}");
}

/// One webhook POST as the receiver got it.
struct Delivery {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Delivery {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook receiver on loopback: answers 200 to every POST and passes
/// what it got on.
fn receiver() -> (std::net::SocketAddr, std::sync::mpsc::Receiver<Delivery>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let tx = tx.clone();
            std::thread::spawn(move || {
                stream
                    .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                // Keep-alive: several requests on one connection.
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.push((k.trim().to_owned(), v.trim().to_owned()));
                        }
                    }
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let mut w = &stream;
                    if w.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                    assert!(line.starts_with("POST /hooks/nis2 "), "{line}");
                    let _ = tx.send(Delivery { headers, body });
                }
            });
        }
    });
    (addr, rx)
}

/// `nis2 worker` delivers the webhook events of the scans it runs: vendors
/// added and the endpoint set with the CLI on a SQLite file, scans queued,
/// the worker (with `webhooks.allow_private` from its TOML file, so the
/// loopback receiver may be used) scans the lab vendors and the receiver
/// gets every event, signed: X-NIS2-Signature is the hex HMAC-SHA256 of the
/// exact body with the endpoint's secret.
#[test]
fn worker_delivers_signed_webhooks() {
    use hmac::{KeyInit, Mac};
    let f = Fixture::new();
    let (addr, deliveries) = receiver();
    let secret = "whsec-test-0123456789";
    for domain in ["exposed-vendor.test", "good-vendor.test"] {
        ok(&run(&mut f.cmd(&["vendor", "add", domain, "--consent"])));
    }
    let url = format!("http://{addr}/hooks/nis2");
    let out = ok(&run(f
        .cmd(&["webhook", "set", &url])
        .env("NIS2_WEBHOOK_SECRET", secret)));
    assert!(out.contains(&url), "{out}");
    let out = ok(&run(&mut f.cmd(&["rescan", "--all", "--queue"])));
    assert_eq!(out.matches(" queued").count(), 2, "{out}");
    let cfg = f.tmp.path().join("worker.toml");
    std::fs::write(
        &cfg,
        "public_base_url = \"https://nis2.example.test/\"\n[webhooks]\nallow_private = true\n",
    )
    .unwrap();
    let mut args = vec!["worker", "--workers", "2", "--config"];
    let cfg_arg = cfg.display().to_string();
    args.push(&cfg_arg);
    let flags = f.lab_flags();
    args.extend(flags.iter().map(String::as_str));
    let mut worker = f
        .cmd(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = worker.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut s);
        s
    });

    // Two scan_completed events and the critical_alert of the vendor that is
    // graded F on its first scan.
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while got.len() < 3 {
        let left = deadline
            .checked_duration_since(std::time::Instant::now())
            .unwrap_or_default();
        match deliveries.recv_timeout(left) {
            Ok(d) => got.push(d),
            Err(_) => {
                common::terminate(&mut worker);
                panic!(
                    "{} of 3 events delivered; worker log:\n{}",
                    got.len(),
                    log.join().unwrap()
                );
            }
        }
        assert!(worker.try_wait().unwrap().is_none(), "the worker exited");
    }
    let mut names = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for d in &got {
        let signature = d.header("X-NIS2-Signature").expect("signature header");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&d.body);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            signature, expected,
            "the signature is HMAC-SHA256 of the body"
        );
        let mut wrong = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"another secret").unwrap();
        wrong.update(&d.body);
        assert_ne!(signature, hex::encode(wrong.finalize().into_bytes()));
        let body: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
        let event = body["event"].as_str().unwrap().to_owned();
        assert_eq!(d.header("X-NIS2-Event"), Some(event.as_str()));
        assert!(
            ids.insert(d.header("X-NIS2-Event-Id").expect("event id").to_owned()),
            "event ids are unique"
        );
        assert!(
            d.header("Content-Type")
                .is_some_and(|v| v.starts_with("application/json"))
        );
        let domain = body["domain"].as_str().unwrap();
        assert!(
            body["vendor_id"].is_string() && body["timestamp"].is_string(),
            "{body}"
        );
        match event.as_str() {
            "scan_completed" => {
                let grade = body["grade"].as_str().unwrap();
                let expected = if domain == "exposed-vendor.test" {
                    "F"
                } else {
                    "A"
                };
                assert_eq!(grade, expected, "{body}");
                assert!(
                    body["score"].is_u64() && body["risk_level"].is_string(),
                    "{body}"
                );
                // The worker links reports at the configured public base URL.
                let pdf = body["pdf_url"].as_str().unwrap_or_default();
                assert!(
                    pdf.starts_with("https://nis2.example.test/reports/"),
                    "{body}"
                );
            }
            "critical_alert" => {
                assert_eq!(domain, "exposed-vendor.test", "{body}");
                assert_eq!(body["grade"], "F", "{body}");
                assert!(
                    !body["critical_findings"].as_array().unwrap().is_empty(),
                    "{body}"
                );
            }
            other => panic!("unexpected event {other}: {body}"),
        }
        names.push(format!("{event} {domain}"));
    }
    names.sort();
    assert_eq!(
        names,
        [
            "critical_alert exposed-vendor.test",
            "scan_completed exposed-vendor.test",
            "scan_completed good-vendor.test",
        ]
    );
    // Nothing more comes (each event once, when every delivery succeeded).
    assert!(
        deliveries
            .recv_timeout(std::time::Duration::from_secs(3))
            .is_err()
    );
    common::terminate(&mut worker);
    let log = log.join().unwrap();
    assert_eq!(log.matches("webhook delivered").count(), 3, "{log}");
}
