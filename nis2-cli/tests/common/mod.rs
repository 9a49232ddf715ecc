//! Helpers shared by the CLI tests: run the built `nis2`, snapshot its
//! output with times, paths, ids, ports and tokens scrubbed.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use predicates::prelude::PredicateBooleanExt as _;

/// A fixed "now" so scores and dates in snapshots do not move.
pub const NOW: &str = "2026-06-27T10:00:00Z";

/// The built binary.
pub fn nis2() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("nis2"));
    // The environment must not leak into tests: no NIS2_* variable (they
    // configure every command) and no RUST_LOG (`serve` and `worker` read it).
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("NIS2_") {
            c.env_remove(var);
        }
    }
    c.env_remove("RUST_LOG");
    c.env("NO_COLOR", "1");
    // Help text wraps at a fixed width whatever the terminal.
    c.env("COLUMNS", "100");
    c
}

/// Stops a child with SIGTERM (so it cleans up), then waits.
pub fn terminate(child: &mut std::process::Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A failure: exit code 2, exactly one `error: ` line on stderr, no panic
/// and no backtrace. Returns stderr.
pub fn one_line_error(out: &Output) -> String {
    use assert_cmd::assert::OutputAssertExt;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    out.clone()
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with("error: "))
        .stderr(predicates::str::contains("panicked").not())
        .stderr(predicates::str::contains("RUST_BACKTRACE").not())
        .stderr(predicates::str::contains("stack backtrace").not());
    assert_eq!(err.lines().count(), 1, "one line: {}", transcript(out));
    err
}

/// Runs and returns the output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run nis2")
}

/// Exit code, stdout and stderr in one text for a snapshot.
pub fn transcript(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status
            .code()
            .map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// insta settings that scrub what changes from run to run.
pub fn settings(tmp: Option<&Path>) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    if let Some(tmp) = tmp {
        let p = tmp.display().to_string();
        s.add_filter(&regex_escape(&p), "[TMP]");
    }
    s.add_filter(r"/tmp/nis2-lab-[A-Za-z0-9]+", "[LABDIR]");
    s.add_filter(r"nis2_[0-9a-f]{64}", "[TOKEN]");
    s.add_filter(r"nis2_[0-9a-f]{8}\b", "[TOKEN-PREFIX]");
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[ID]",
    );
    s.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[TIME]",
    );
    s.add_filter(r"(job )\d+", "$1[N]");
    s.add_filter(r"(127\.0\.0\.[1-9]\d|lab\.nis2\.test):\d{2,5}", "$1:[PORT]");
    s.add_filter(
        r"(--resolver |resolver: )127\.0\.0\.1:\d+",
        "${1}127.0.0.1:[PORT]",
    );
    s.add_filter(
        r"(--(?:https|http|dns)-port |(?:https|http|dns)-port: )\d+",
        "${1}[PORT]",
    );
    // The lab vendors' addresses: 127.x.y.N with x.y chosen per run.
    s.add_filter(
        r"\b127\.(?:[1-9]\d{0,2}\.\d{1,3}|0\.[1-9]\d{0,2})\.(\d{1,3})\b",
        "127.x.y.$1",
    );
    s.add_filter(r"in \d+\.\d s", "in [SECS] s");
    // Columns after a scrubbed port move with the port's digit count.
    s.add_filter(r"(\[PORT\]) +", "$1  ");
    s
}

/// [`settings`], and dates scrubbed too: for output about scans made now
/// (the lab's), not at the fixed [`NOW`].
pub fn settings_without_dates(tmp: Option<&Path>) -> insta::Settings {
    let mut s = settings(tmp);
    s.add_filter(r"\b\d{4}-\d{2}-\d{2}\b", "[DATE]");
    s.add_filter(
        r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b",
        "[DATE]",
    );
    s
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes sample observations (core's samples at [`NOW`]) to a file.
pub fn sample(dir: &Path, name: &str, weak: bool) -> std::path::PathBuf {
    let now = nis2_core::Timestamp::parse(NOW).unwrap();
    let obs = if weak {
        nis2_core::samples::weak_vendor(name, now)
    } else {
        nis2_core::samples::flawless_vendor(name, now)
    };
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&obs).unwrap()).unwrap();
    path
}

/// Runs `nis2 ARGS` with stdin, stdout and stderr on a pseudo-terminal
/// (util-linux `script`), the way a person at a terminal runs it. Returns
/// the exit code and everything the terminal showed (stdout and stderr
/// together). `env` is added to the cleaned environment of [`nis2`];
/// `NO_COLOR` is only set when `env` sets it.
pub fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    fn quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
    let bin = assert_cmd::cargo::cargo_bin!("nis2");
    let mut line = quote(&bin.display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let base = nis2();
    let mut c = Command::new("script");
    c.args(["--quiet", "--return", "--command", &line, "/dev/null"]);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env_remove("NO_COLOR").env("TERM", "xterm-256color");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs the command on a pseudo-terminal (Debian: bsdutils)");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
