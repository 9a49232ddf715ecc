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

#[test]
fn serve_and_worker_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("nis2.toml");
    std::fs::write(
        &cfg,
        "listen = \"127.0.0.1:7000\"\ndb = \"file.db\"\nworkers = 3\njwt_secret = \"s3cret\"\n",
    )
    .unwrap();
    // The file alone.
    let out = run(nis2()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg));
    assert!(out.status.success(), "{}", transcript(&out));
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
    let config = |extra: &[&str], env: &[(&str, &str)]| -> String {
        let mut c = nis2();
        c.args(["serve", "--print-config", "--config"])
            .arg(&cfg)
            .args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = run(&mut c);
        assert!(out.status.success(), "{}", transcript(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let env = [("NIS2_WORKERS", "7"), ("NIS2_ALLOW_PRIVATE", "true")];
    let text = config(&[], &env);
    assert!(
        text.contains("workers = 7\n") && text.contains("allow_private = true\n"),
        "{text}"
    );
    let text = config(&["--workers", "1"], &env);
    assert!(text.contains("workers = 1\n"), "{text}");
    let text = config(&[], &[]);
    assert!(
        text.contains("workers = 3\n") && text.contains("allow_private = false\n"),
        "{text}"
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
    // Unknown keys are errors.
    std::fs::write(&cfg, "listne = \"x\"\n").unwrap();
    let out = run(nis2()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg));
    assert_one_line_error(&out);
    snap("error_config_unknown_key", &out, Some(tmp.path()));
    let out = run(nis2()
        .args(["worker", "--print-config", "--workers", "2", "--db"])
        .arg(tmp.path().join("w.db")));
    assert!(out.status.success(), "{}", transcript(&out));
    snap("worker_config", &out, Some(tmp.path()));
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
