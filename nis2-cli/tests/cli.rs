//! The command without a network or a store: help, completions, man page,
//! `score`, and the one-line errors of bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use common::{NOW, nis2, run, sample, settings, transcript};

fn snap(name: &str, out: &std::process::Output, tmp: Option<&std::path::Path>) {
    settings(tmp).bind(|| insta::assert_snapshot!(name, transcript(out)));
}

fn assert_one_line_error(out: &std::process::Output) {
    common::one_line_error(out);
}

#[test]
fn help_shows_examples() {
    let out = run(nis2().arg("--help"));
    assert!(out.status.success());
    snap("help", &out, None);
    let out = run(nis2().args(["scan", "--help"]));
    assert!(out.status.success());
    snap("scan_help", &out, None);
}

#[test]
fn version() {
    let out = run(nis2().arg("--version"));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("nis2 {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(nis2().args(["completions", shell]));
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("nis2"), "{shell}");
        assert!(text.contains("rescan"), "{shell}: subcommands completed");
    }
    let out = run(nis2().args(["completions", "bash"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--fail-under"));
    let out = run(nis2().arg("man"));
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(
        man.starts_with(".ie") || man.contains(".TH nis2"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains(".TH nis2"));
    let out = run(nis2().args(["completions", "tcsh"]));
    assert_one_line_error(&out);
}

#[test]
fn score_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let weak = sample(tmp.path(), "weak.example", true);
    let good = sample(tmp.path(), "good.example", false);
    let out = run(nis2().args(["--now", NOW, "score"]).arg(&weak));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    snap("score_weak_table", &out, Some(tmp.path()));
    let out = run(nis2().args(["--now", NOW, "score"]).arg(&good));
    snap("score_good_table", &out, Some(tmp.path()));

    // JSON: one report per vendor, the library's document.
    let out = run(nis2()
        .args(["--now", NOW, "score", "--format", "json"])
        .arg(&weak));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &v[0];
    assert_eq!(report["assessment"]["grade"], "F", "{report}");
    // JSON lines: one line.
    let out = run(nis2()
        .args(["--now", NOW, "score", "--format", "jsonl"])
        .arg(&good));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1);
    let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["assessment"]["grade"], "A");

    for (format, name) in [
        ("csv", "score_weak_csv"),
        ("junit", "score_weak_junit"),
        ("markdown", "score_weak_markdown"),
    ] {
        let out = run(nis2()
            .args(["--now", NOW, "score", "--format", format])
            .arg(&weak));
        assert!(out.status.success(), "{format}");
        snap(name, &out, Some(tmp.path()));
    }
    let out = run(nis2()
        .args(["--now", NOW, "score", "--format", "sarif"])
        .arg(&weak));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());

    // German texts.
    let out = run(nis2()
        .args(["--now", NOW, "score", "--lang", "de"])
        .arg(&weak));
    assert!(String::from_utf8_lossy(&out.stdout).contains("TLS 1.0 wird noch unterstützt"));
}

#[test]
fn score_from_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let weak = sample(tmp.path(), "weak.example", true);
    let out = run(nis2()
        .args(["--now", NOW, "score", "-", "--format", "jsonl"])
        .stdin(std::fs::File::open(&weak).unwrap()));
    assert!(out.status.success(), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"weak.example\""));
}

#[test]
fn fail_under_sets_exit_code_one() {
    let tmp = tempfile::tempdir().unwrap();
    let weak = sample(tmp.path(), "weak.example", true);
    let good = sample(tmp.path(), "good.example", false);
    let out = run(nis2()
        .args(["--now", NOW, "score", "--fail-under", "C"])
        .arg(&weak));
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(out.stderr.is_empty());
    let out = run(nis2()
        .args(["--now", NOW, "score", "--fail-under", "C"])
        .arg(&good));
    assert_eq!(out.status.code(), Some(0));
    let out = run(nis2()
        .args(["--now", NOW, "score", "--fail-under", "F"])
        .arg(&weak));
    assert_eq!(out.status.code(), Some(0));
    let out = run(nis2()
        .args(["--now", NOW, "score", "--fail-under", "E"])
        .arg(&weak));
    assert_one_line_error(&out);
    snap("error_bad_grade", &out, Some(tmp.path()));
}

#[test]
fn bad_input_is_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("binary.txt"), b"ok.example\n\xff\xfe\x00\n").unwrap();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "error_domain_syntax",
            vec!["scan".into(), "exa mple..com".into()],
        ),
        (
            "error_domain_label",
            vec!["scan".into(), "--".into(), "-bad-.example".into()],
        ),
        (
            "error_port",
            vec!["scan".into(), "example.com:99999".into()],
        ),
        (
            "error_unreadable_file",
            vec![
                "scan".into(),
                "--file".into(),
                tmp.path().join("missing.txt").display().to_string(),
            ],
        ),
        (
            "error_score_missing",
            vec![
                "score".into(),
                tmp.path().join("missing.json").display().to_string(),
            ],
        ),
        (
            "error_unknown_group",
            vec![
                "scan".into(),
                "example.com".into(),
                "--checks".into(),
                "tls,smtp".into(),
            ],
        ),
        (
            "error_bad_timeout",
            vec![
                "scan".into(),
                "example.com".into(),
                "--timeout".into(),
                "0".into(),
            ],
        ),
        (
            "error_unknown_lang",
            vec![
                "scan".into(),
                "example.com".into(),
                "--lang".into(),
                "xx".into(),
            ],
        ),
        (
            "error_unknown_flag",
            vec!["scan".into(), "--frobnicate".into()],
        ),
        ("error_no_command", vec!["frobnicate".into()]),
        (
            "error_file_is_a_directory",
            vec![
                "scan".into(),
                "--file".into(),
                tmp.path().display().to_string(),
            ],
        ),
        (
            "error_file_not_utf8",
            vec![
                "scan".into(),
                "--file".into(),
                tmp.path().join("binary.txt").display().to_string(),
            ],
        ),
        (
            "error_score_directory",
            vec!["score".into(), tmp.path().display().to_string()],
        ),
        (
            "error_anchors_missing",
            vec![
                "scan".into(),
                "example.com".into(),
                "--dnssec-trust-anchors".into(),
                tmp.path().join("anchors.txt").display().to_string(),
            ],
        ),
        (
            "error_bad_resolver",
            vec![
                "scan".into(),
                "example.com".into(),
                "--resolver".into(),
                "dns.example".into(),
            ],
        ),
        (
            "error_extra_root_missing",
            vec![
                "scan".into(),
                "example.com".into(),
                "--extra-root".into(),
                tmp.path().join("ca.pem").display().to_string(),
            ],
        ),
    ];
    for (name, args) in cases {
        let out = run(nis2().args(&args));
        assert_one_line_error(&out);
        snap(name, &out, Some(tmp.path()));
    }
}

#[test]
fn malformed_json_is_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"domain\": \"x.example\",\n \"tls\": [1, 2").unwrap();
    let out = run(nis2().arg("score").arg(&bad));
    assert_one_line_error(&out);
    snap("error_malformed_json", &out, Some(tmp.path()));
    let garbage = tmp.path().join("garbage.json");
    std::fs::write(&garbage, "domain = x.example").unwrap();
    let out = run(nis2().arg("score").arg(&garbage));
    assert_one_line_error(&out);
    snap("error_not_json", &out, Some(tmp.path()));
    let wrong = tmp.path().join("wrong.json");
    std::fs::write(&wrong, "{\"domain\": 7}").unwrap();
    let out = run(nis2().arg("score").arg(&wrong));
    assert_one_line_error(&out);
    snap("error_wrong_json", &out, Some(tmp.path()));
}

#[test]
fn target_file_errors_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("vendors.txt");
    std::fs::write(&list, "# vendors\nexample.com\n\nnot a domain\n").unwrap();
    let out = run(nis2().args(["scan", "--file"]).arg(&list));
    assert_one_line_error(&out);
    snap("error_file_line", &out, Some(tmp.path()));
    let csv = tmp.path().join("vendors.csv");
    std::fs::write(&csv, "name,domain\nAcme,acme.example\nBad,bad..example\n").unwrap();
    let out = run(nis2().args(["scan", "--file"]).arg(&csv));
    assert_one_line_error(&out);
    snap("error_csv_line", &out, Some(tmp.path()));
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let out = run(nis2().args(["scan", "--file"]).arg(&empty));
    assert_one_line_error(&out);
}

#[test]
fn refused_targets_are_errors_after_the_output() {
    // A loopback literal without --allow-private: refused by the target policy
    // before any packet is sent.
    let out = run(nis2().args(["scan", "localhost", "--resolver", "127.0.0.1:9"]));
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn broken_pipe_is_quiet() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = nis2()
        .args(["completions", "zsh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end at once.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(status.code() == Some(0), "{status:?} {err}");
}

/// `nis2 serve --print-config` with `extra` flags and `env`, parsed.
fn effective(cfg: Option<&std::path::Path>, extra: &[&str], env: &[(&str, &str)]) -> toml::Table {
    let mut c = nis2();
    c.args(["serve", "--print-config"]);
    if let Some(cfg) = cfg {
        c.arg("--config").arg(cfg);
    }
    c.args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = run(&mut c);
    assert!(out.status.success(), "{}", transcript(&out));
    toml::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap()
}

/// A `key` or `section.key` of a parsed configuration, as TOML text.
fn key(t: &toml::Table, path: &str) -> String {
    let v = match path.split_once('.') {
        Some((s, k)) => t.get(s).and_then(|s| s.get(k)),
        None => t.get(path),
    };
    v.map_or_else(|| "(unset)".to_owned(), ToString::to_string)
}

#[test]
fn serve_and_worker_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("nis2.toml");
    std::fs::write(
        &cfg,
        "listen = \"127.0.0.1:7000\"\ndb = \"file.db\"\nworkers = 3\n[auth]\njwt_secret = \"s3cret\"\n",
    )
    .unwrap();
    // The file alone.
    let out = run(nis2()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg));
    assert!(out.status.success(), "{}", transcript(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    snap("serve_config_file", &out, Some(tmp.path()));
    // Environment over the file, flags over the environment.
    let out = run(nis2()
        .args(["serve", "--print-config", "--db", "flag.db", "--config"])
        .arg(&cfg)
        .env("NIS2_LISTEN", "127.0.0.1:9000")
        .env("NIS2_DB", "env.db"));
    assert!(out.status.success(), "{}", transcript(&out));
    snap("serve_config_precedence", &out, Some(tmp.path()));
    // NIS2_WORKERS and NIS2_ALLOW_PRIVATE over the file, --workers over both.
    let env = [("NIS2_WORKERS", "7"), ("NIS2_ALLOW_PRIVATE", "true")];
    let t = effective(Some(&cfg), &[], &env);
    assert_eq!(
        (key(&t, "workers"), key(&t, "allow_private")),
        ("7".into(), "true".into())
    );
    let t = effective(Some(&cfg), &["--workers", "1"], &env);
    assert_eq!(key(&t, "workers"), "1");
    let t = effective(Some(&cfg), &[], &[]);
    assert_eq!(
        (key(&t, "workers"), key(&t, "allow_private")),
        ("3".into(), "false".into())
    );
    // An empty variable counts as unset.
    let t = effective(
        Some(&cfg),
        &[],
        &[("NIS2_LISTEN", ""), ("NIS2_WORKERS", "")],
    );
    assert_eq!(
        (key(&t, "listen"), key(&t, "workers")),
        ("\"127.0.0.1:7000\"".into(), "3".into())
    );
    let out = run(nis2()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg)
        .env("NIS2_WORKERS", "many"));
    assert_one_line_error(&out);
    // The file itself from NIS2_CONFIG.
    let out = run(nis2()
        .args(["serve", "--print-config"])
        .env("NIS2_CONFIG", &cfg));
    assert!(String::from_utf8_lossy(&out.stdout).contains("listen = \"127.0.0.1:7000\""));
    // Unknown keys are errors, also in a section.
    std::fs::write(&cfg, "listne = \"x\"\n").unwrap();
    let out = run(nis2()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg));
    assert_one_line_error(&out);
    snap("error_config_unknown_key", &out, Some(tmp.path()));
    std::fs::write(&cfg, "[webhooks]\nallow_privat = true\n").unwrap();
    let err = assert_one_line(&run(nis2()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg)));
    assert!(err.contains("allow_privat"), "{err}");
    let out = run(nis2()
        .args(["worker", "--print-config", "--workers", "2", "--db"])
        .arg(tmp.path().join("w.db")));
    assert!(out.status.success(), "{}", transcript(&out));
    snap("worker_config", &out, Some(tmp.path()));
}

fn assert_one_line(out: &std::process::Output) -> String {
    common::one_line_error(out)
}

/// Each of the newer keys (JWT keys and claims, proxies, base URL, rate and
/// body limits, webhooks, worker, store, logging) from the file, then its
/// variable over the file, then its flag over the variable.
#[test]
fn serve_precedence_of_every_kind_of_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("nis2.toml");
    std::fs::write(
        &cfg,
        r#"
public_base_url = "https://file.example"
trusted_proxies = ["10.0.0.1"]
body_limit = 1000
shutdown_grace = "11s"
response_cache_ttl = "2s"
log = "warn"
log_format = "json"
[auth]
jwks = "file-jwks.json"
issuers = ["https://file-iss"]
audiences = ["file-aud"]
api_tokens = false
[rate_limits]
get = 7
window = "2m"
[letter]
signer = "File Signer"
[webhooks]
allow_private = true
timeout = "3s"
[worker]
rescan_interval = "off"
[store]
job_max_attempts = 9
"#,
    )
    .unwrap();
    // (key, file value, variable and value, flag and value, as printed).
    type Case<'a> = (
        &'a str,
        &'a str,
        (&'a str, &'a str),
        &'a [&'a str],
        &'a str,
        &'a str,
    );
    let cases: &[Case<'_>] = &[
        (
            "public_base_url",
            "\"https://file.example\"",
            ("NIS2_PUBLIC_BASE_URL", "https://env.example/"),
            &["--public-base-url", "https://flag.example"],
            "\"https://env.example\"",
            "\"https://flag.example\"",
        ),
        (
            "trusted_proxies",
            "[\"10.0.0.1\"]",
            ("NIS2_TRUSTED_PROXY", "10.0.0.2,10.0.0.3"),
            &["--trusted-proxy", "10.0.0.4"],
            "[\"10.0.0.2\", \"10.0.0.3\"]",
            "[\"10.0.0.4\"]",
        ),
        (
            "body_limit",
            "1000",
            ("NIS2_BODY_LIMIT", "2000"),
            &["--body-limit", "3000"],
            "2000",
            "3000",
        ),
        (
            "shutdown_grace",
            "\"11s\"",
            ("NIS2_SHUTDOWN_GRACE", "12s"),
            &["--shutdown-grace", "1m 30s"],
            "\"12s\"",
            "\"1m 30s\"",
        ),
        (
            "response_cache_ttl",
            "\"2s\"",
            ("NIS2_RESPONSE_CACHE_TTL", "0s"),
            &["--response-cache-ttl", "5s"],
            "\"0s\"",
            "\"5s\"",
        ),
        (
            "log",
            "\"warn\"",
            ("NIS2_LOG", "info,nis2_http=debug"),
            &["--log", "error"],
            "\"info,nis2_http=debug\"",
            "\"error\"",
        ),
        (
            "log_format",
            "\"json\"",
            ("NIS2_LOG_FORMAT", "text"),
            &["--log-format", "json"],
            "\"text\"",
            "\"json\"",
        ),
        (
            "auth.jwks",
            "\"file-jwks.json\"",
            ("NIS2_JWKS", "https://env.example/jwks.json"),
            &["--jwks", "flag-jwks.json"],
            "\"https://env.example/jwks.json\"",
            "\"flag-jwks.json\"",
        ),
        (
            "auth.issuers",
            "[\"https://file-iss\"]",
            ("NIS2_JWT_ISSUER", "https://env-a,https://env-b"),
            &["--jwt-issuer", "https://flag-iss"],
            "[\"https://env-a\", \"https://env-b\"]",
            "[\"https://flag-iss\"]",
        ),
        (
            "auth.audiences",
            "[\"file-aud\"]",
            ("NIS2_JWT_AUDIENCE", "env-aud"),
            &["--jwt-audience="],
            "[\"env-aud\"]",
            "[]",
        ),
        (
            "auth.api_tokens",
            "false",
            ("NIS2_API_TOKENS", "true"),
            &["--api-tokens=false"],
            "true",
            "false",
        ),
        (
            "rate_limits.get",
            "7",
            ("NIS2_RATE_LIMIT_GET", "8"),
            &["--rate-limit-get", "9"],
            "8",
            "9",
        ),
        (
            "rate_limits.window",
            "\"2m\"",
            ("NIS2_RATE_LIMIT_WINDOW", "3m"),
            &["--rate-limit-window", "4m"],
            "\"3m\"",
            "\"4m\"",
        ),
        (
            "letter.signer",
            "\"File Signer\"",
            ("NIS2_LETTER_SIGNER", "Env Signer"),
            &["--letter-signer", "Flag Signer"],
            "\"Env Signer\"",
            "\"Flag Signer\"",
        ),
        (
            "webhooks.allow_private",
            "true",
            ("NIS2_WEBHOOKS_ALLOW_PRIVATE", "false"),
            &["--webhooks-allow-private"],
            "false",
            "true",
        ),
        (
            "webhooks.timeout",
            "\"3s\"",
            ("NIS2_WEBHOOKS_TIMEOUT", "4s"),
            &["--webhooks-timeout", "5s"],
            "\"4s\"",
            "\"5s\"",
        ),
        (
            "worker.rescan_interval",
            "\"off\"",
            ("NIS2_RESCAN_INTERVAL", "1day"),
            &["--rescan-interval", "2h"],
            "\"1day\"",
            "\"2h\"",
        ),
        (
            "store.job_max_attempts",
            "9",
            ("NIS2_JOB_MAX_ATTEMPTS", "5"),
            &["--job-max-attempts", "6"],
            "5",
            "6",
        ),
    ];
    let defaults = effective(None, &[], &[]);
    let from_file = effective(Some(&cfg), &[], &[]);
    let all_env: Vec<(&str, &str)> = cases.iter().map(|c| c.2).collect();
    let from_env = effective(Some(&cfg), &[], &all_env);
    let all_flags: Vec<&str> = cases.iter().flat_map(|c| c.3.iter().copied()).collect();
    let from_flags = effective(Some(&cfg), &all_flags, &all_env);
    for (k, file, (var, _), _, env, flag) in cases {
        assert_ne!(
            &key(&defaults, k),
            file,
            "{k}: the file's value is not the default"
        );
        assert_eq!(&key(&from_file, k), file, "{k} from the file");
        assert_eq!(&key(&from_env, k), env, "{k} from {var} over the file");
        assert_eq!(&key(&from_flags, k), flag, "{k} from its flag over {var}");
    }
    // RUST_LOG is read when neither --log nor NIS2_LOG is given, over the file.
    let t = effective(Some(&cfg), &[], &[("RUST_LOG", "debug")]);
    assert_eq!(key(&t, "log"), "\"debug\"");
    let t = effective(
        Some(&cfg),
        &[],
        &[("RUST_LOG", "debug"), ("NIS2_LOG", "error")],
    );
    assert_eq!(key(&t, "log"), "\"error\"");
    // Bad values name what is wrong, on one line.
    for (env, what) in [
        (("NIS2_JWT_LEEWAY", "soon"), "soon"),
        (("NIS2_TRUSTED_PROXY", "proxy.example"), "proxy.example"),
        (("NIS2_PUBLIC_BASE_URL", "nis2.example"), "public_base_url"),
        (("NIS2_LOG", "nis2_http=loud"), "log filter"),
        (("NIS2_WEBHOOKS_ALLOW_PRIVATE", "maybe"), "maybe"),
        (("NIS2_RATE_LIMIT_GET", "0"), "rate_limits.get"),
    ] {
        let err = assert_one_line(&run(nis2()
            .args(["serve", "--print-config", "--config"])
            .arg(&cfg)
            .env(env.0, env.1)));
        assert!(err.contains(what), "{env:?}: {err}");
    }
}

/// `--help` of `serve` names every key of the example file, with its flag
/// and variable; the example file is valid.
#[test]
fn serve_help_documents_every_key() {
    let out = run(nis2().args(["serve", "--help"]));
    assert!(out.status.success());
    snap("serve_help", &out, None);
    let help = String::from_utf8_lossy(&out.stdout).replace("\n", " ");
    let help: String = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("nis2.example.toml");
    let text = std::fs::read_to_string(&example).unwrap();
    let mut section = String::new();
    let mut n = 0;
    for line in text.lines() {
        let line = line.trim();
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!("{s}.");
            continue;
        }
        let line = line.trim_start_matches('#').trim_start();
        let Some((k, _)) = line.split_once(" = ") else {
            continue;
        };
        if !k.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            continue;
        }
        let full = format!("{section}{k}");
        // Scanner keys are the scanner flags' (named in the closing text).
        if [
            "allow_private",
            "resolver",
            "extra_roots",
            "dnssec_trust_anchors",
        ]
        .contains(&full.as_str())
        {
            assert!(help.contains(&full), "{full} in the help's closing text");
        } else {
            assert!(
                help.contains(&format!("[toml: {full}]")),
                "{full} in serve --help"
            );
        }
        n += 1;
    }
    assert!(n >= 50, "{n} keys found in the example");
    // The example starts a server configuration as it is.
    let out = run(nis2()
        .args(["serve", "--print-config", "--config"])
        .arg(&example));
    assert!(out.status.success(), "{}", transcript(&out));
    let out = run(nis2()
        .args(["worker", "--print-config", "--config"])
        .arg(&example));
    assert!(out.status.success(), "{}", transcript(&out));
    let out = run(nis2().args(["worker", "--help"]));
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--webhooks-allow-private") && !help.contains("--listen"),
        "{help}"
    );
}

#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let weak = sample(tmp.path(), "weak.example", true);
    // Piped stdout: no escape codes, NO_COLOR or not.
    let out = run(nis2()
        .args(["--now", NOW, "score"])
        .arg(&weak)
        .env_remove("NO_COLOR"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    let out = run(nis2()
        .args(["--now", NOW, "--color", "always", "score"])
        .arg(&weak));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b[31;1mF\x1b[0m"));
    let out = run(nis2()
        .args(["--now", NOW, "--color", "never", "score"])
        .arg(&weak));
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));

    // On a terminal: colours, unless NO_COLOR is set (to anything) or --color never.
    let weak = weak.display().to_string();
    let (code, screen) = common::on_terminal(&["--now", NOW, "score", &weak], &[]);
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("\x1b[31;1mF\x1b[0m"), "{screen:?}");
    assert!(screen.contains("weak.example"), "{screen:?}");
    for (env, flag) in [(Some("1"), "auto"), (Some("yes"), "auto"), (None, "never")] {
        let env: Vec<(&str, &str)> = env.map(|v| ("NO_COLOR", v)).into_iter().collect();
        let (code, screen) =
            common::on_terminal(&["--now", NOW, "--color", flag, "score", &weak], &env);
        assert_eq!(code, Some(0), "{screen}");
        assert!(screen.contains("weak.example"), "{screen:?}");
        assert!(!screen.contains('\x1b'), "{env:?} {flag}: {screen:?}");
    }
    // An empty NO_COLOR does not count (no-color.org).
    let (_, screen) = common::on_terminal(&["--now", NOW, "score", &weak], &[("NO_COLOR", "")]);
    assert!(screen.contains("\x1b[31;1mF"), "{screen:?}");
    // Errors are plain text whatever the terminal.
    let (code, screen) = common::on_terminal(&["score", "/nonexistent/x.json"], &[]);
    assert_eq!(code, Some(2));
    assert!(
        screen.starts_with("error: cannot read /nonexistent/x.json"),
        "{screen:?}"
    );
}
