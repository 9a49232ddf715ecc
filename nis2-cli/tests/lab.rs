//! `nis2 lab` on loopback: the one-shot run grades every lab vendor (full
//! scans) and every TLS target, and `nis2 lab --serve` keeps the labs up for
//! `nis2 scan --file` with 500 targets.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Instant;

use common::{nis2, run, settings, terminate, transcript};

const VENDORS: [&str; 9] = [
    "good",
    "weakmail",
    "spflookups",
    "spfdouble",
    "mtastsblocked",
    "baresite",
    "exposed",
    "soft404",
    "redirectblocked",
];
const TLS_TARGETS: [&str; 13] = [
    "good",
    "expired",
    "selfsigned",
    "wronghost",
    "rsa1024",
    "sha1",
    "legacy",
    "ancient",
    "silent",
    "slowloris",
    "garbage",
    "reset",
    "revoked",
];

#[test]
fn lab_grades_every_vendor() {
    let out = run(nis2().arg("lab"));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for v in VENDORS {
        let header = text
            .lines()
            .find(|l| l.starts_with(&format!("== {v}-vendor.test (")))
            .unwrap_or_else(|| panic!("no report for {v}:\n{text}"));
        assert!(header.contains("— grade "), "{header}");
    }
    for t in TLS_TARGETS {
        let header = text
            .lines()
            .find(|l| l.starts_with(&format!("== {t}.lab.nis2.test:")))
            .unwrap_or_else(|| panic!("no report for {t}:\n{text}"));
        assert!(header.contains("— grade "), "{header}");
    }
    assert!(
        text.contains("== good-vendor.test (Good) — grade A, score 100/100"),
        "{text}"
    );
    assert!(
        text.contains("== exposed-vendor.test (Exposed) — grade F"),
        "{text}"
    );
    assert!(
        text.contains("9 lab vendors and 13 TLS targets graded"),
        "{text}"
    );

    // The tables are stable apart from ports.
    let out = run(nis2().args(["lab", "--format", "table"]));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    settings(None).bind(|| insta::assert_snapshot!("lab_table", transcript(&out)));
}

struct Served {
    child: Child,
    info: BTreeMap<String, String>,
    vendors: Vec<String>,
    tls_targets: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

impl Served {
    fn get(&self, key: &str) -> &str {
        self.info
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no `{key}:` line"))
    }

    /// Flags that point `nis2 scan` at the lab vendors.
    fn vendor_flags(&self) -> Vec<String> {
        let mut f = Vec::new();
        for (flag, key) in [
            ("--resolver", "resolver"),
            ("--https-port", "https-port"),
            ("--http-port", "http-port"),
            ("--dns-port", "dns-port"),
            ("--extra-root", "root-ca"),
        ] {
            f.push(flag.to_owned());
            f.push(self.get(key).to_owned());
        }
        f.push("--allow-private".to_owned());
        f
    }
}

fn serve_lab() -> Served {
    let mut child = nis2()
        .args(["lab", "--serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut served = Served {
        child,
        info: BTreeMap::new(),
        vendors: Vec::new(),
        tls_targets: Vec::new(),
    };
    let mut text = String::new();
    let mut scan_lines = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if let Some((k, v)) = line.split_once(": ")
            && !line.starts_with(' ')
        {
            served.info.insert(k.to_owned(), v.to_owned());
        } else if line.starts_with("  nis2 scan ") {
            scan_lines += 1;
            if scan_lines == 2 {
                break;
            }
        } else if let Some(entry) = line.strip_prefix("  ") {
            let name = entry.split_whitespace().next().unwrap().to_owned();
            if name.contains(".lab.nis2.test:") {
                served.tls_targets.push(name);
            } else {
                served.vendors.push(name);
            }
        }
    }
    settings(None).bind(|| insta::assert_snapshot!("lab_serve", text));
    assert_eq!(served.vendors.len(), 9, "{text}");
    assert_eq!(served.tls_targets.len(), 13, "{text}");
    served
}

#[test]
fn lab_serve_then_scan_500_targets() {
    let lab = serve_lab();
    let tmp = tempfile::tempdir().unwrap();

    // One vendor, the way `nis2 lab --serve` says to scan it.
    let out = run(nis2()
        .args(["scan", "good-vendor.test", "--fail-under", "A"])
        .args(lab.vendor_flags()));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    settings(Some(tmp.path())).bind(|| insta::assert_snapshot!("scan_lab_good", transcript(&out)));

    // --checks / --skip select groups: DNS and e-mail only leaves the exposed
    // vendor's open ports and files unseen.
    let out = run(nis2()
        .args([
            "scan",
            "exposed-vendor.test",
            "--checks",
            "dns,email,ports",
            "--skip",
            "ports",
            "--format",
            "jsonl",
        ])
        .args(lab.vendor_flags()));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assessment"]["grade"], "A", "{v}");
    let out = run(nis2()
        .args(["scan", "exposed-vendor.test", "--format", "jsonl"])
        .args(lab.vendor_flags()));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assessment"]["grade"], "F", "{v}");

    // A TLS target on its own port, TLS checks only.
    let legacy = lab
        .tls_targets
        .iter()
        .find(|t| t.starts_with("legacy."))
        .unwrap();
    let out = run(nis2().args([
        "scan",
        legacy,
        "--checks",
        "tls",
        "--resolver",
        lab.get("tls-resolver"),
        "--extra-root",
        lab.get("tls-root-ca"),
        "--allow-private",
        "--fail-under",
        "C",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    settings(Some(tmp.path()))
        .bind(|| insta::assert_snapshot!("scan_lab_legacy_tls", transcript(&out)));

    // Without --allow-private the target policy refuses the lab's loopback addresses.
    let mut flags = lab.vendor_flags();
    flags.pop();
    let out = run(nis2().args(["scan", "good-vendor.test"]).args(&flags));
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    settings(Some(tmp.path()))
        .bind(|| insta::assert_snapshot!("scan_lab_refused", transcript(&out)));

    // 500 targets from a file, full scans, progress as lines (stderr is a pipe).
    let list = tmp.path().join("targets.txt");
    let lines: Vec<&str> = lab
        .vendors
        .iter()
        .map(String::as_str)
        .cycle()
        .take(500)
        .collect();
    std::fs::write(&list, lines.join("\n")).unwrap();
    let started = Instant::now();
    let out = run(nis2()
        .args(["scan", "--file"])
        .arg(&list)
        .args(lab.vendor_flags())
        .args([
            "--progress",
            "always",
            "--format",
            "jsonl",
            "--fail-under",
            "B",
            "-j",
            "32",
        ]));
    let elapsed = started.elapsed();
    // Two lab vendors are below B: exit code 1, every report written.
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 500);
    let mut grades: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (line, target) in stdout.lines().zip(&lines) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            v["vendor"]["domain"].as_str().unwrap(),
            *target,
            "input order kept"
        );
        grades
            .entry((*target).to_owned())
            .or_default()
            .insert(format!(
                "{} {}",
                v["assessment"]["grade"], v["assessment"]["score"]
            ));
    }
    // Every scan of a vendor grades it the same.
    for (vendor, g) in &grades {
        assert_eq!(g.len(), 1, "{vendor}: {g:?}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[500/500] "), "progress shown");
    assert!(stderr.contains("scanned 500 target(s) in "), "{stderr}");
    eprintln!(
        "500 lab targets (full scans) in {:.1} s",
        elapsed.as_secs_f64()
    );

    // A CSV with a header, the domain in the second column.
    let csv = tmp.path().join("vendors.csv");
    std::fs::write(
        &csv,
        "name,domain\nGood,good-vendor.test\nMail,weakmail-vendor.test\n",
    )
    .unwrap();
    let out = run(nis2()
        .args(["scan", "--file"])
        .arg(&csv)
        .args(lab.vendor_flags())
        .args([
            "--fail-under",
            "C",
            "--progress",
            "never",
            "--format",
            "csv",
        ]));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("domain,check_id,"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("weakmail-vendor.test,email.spf_permissive,")),
        "{text}"
    );
}
