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
use nis2_scanner::lab::{TargetKind, VendorKind};

/// The lab vendors' and TLS targets' names, from the scanner's lab itself
/// (the lab grows; these tests follow it).
fn vendor_labels() -> Vec<&'static str> {
    VendorKind::ALL.iter().map(|k| k.label()).collect()
}

fn target_labels() -> Vec<&'static str> {
    TargetKind::ALL.iter().map(|k| k.label()).collect()
}

#[test]
fn lab_grades_every_vendor() {
    let out = run(nis2().arg("lab"));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for v in vendor_labels() {
        let header = text
            .lines()
            .find(|l| l.starts_with(&format!("== {v}-vendor.test (")))
            .unwrap_or_else(|| panic!("no report for {v}:\n{text}"));
        assert!(header.contains("— grade "), "{header}");
    }
    for t in target_labels() {
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
    let total = format!(
        "{} lab vendors and {} TLS targets graded",
        VendorKind::ALL.len(),
        TargetKind::ALL.len()
    );
    assert!(text.contains(&total), "{text}");

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
            ("--dnssec-trust-anchors", "dnssec-trust-anchors"),
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
    assert_eq!(served.vendors.len(), VendorKind::ALL.len(), "{text}");
    assert_eq!(served.tls_targets.len(), TargetKind::ALL.len(), "{text}");
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

    // --extra-root really reaches the scanner: without it the lab's chain is untrusted.
    let mut flags = lab.vendor_flags();
    let at = flags.iter().position(|f| f == "--extra-root").unwrap();
    flags.drain(at..at + 2);
    let out = run(nis2()
        .args(["scan", "good-vendor.test", "--format", "jsonl"])
        .args(&flags));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failing: Vec<&str> = v["assessment"]["deductions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["check_id"].as_str().unwrap())
        .collect();
    assert!(failing.contains(&"cert.untrusted"), "{failing:?}");
    // So does --dnssec-trust-anchors: without the lab's key DNSSEC does not validate.
    let mut flags = lab.vendor_flags();
    let at = flags
        .iter()
        .position(|f| f == "--dnssec-trust-anchors")
        .unwrap();
    flags.drain(at..at + 2);
    let out = run(nis2()
        .args(["scan", "good-vendor.test", "--format", "jsonl"])
        .args(&flags));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["assessment"]["deductions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["check_id"] == "dns.dnssec_missing"),
        "{v}"
    );

    // Several vendors and one that cannot be scanned, in the merged JUnit and
    // SARIF documents: each valid against its schema (nis2-core's test data).
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nis2-core/testdata");
    let several = [
        "good-vendor.test",
        "exposed-vendor.test",
        "nothere-vendor.test",
    ];
    let out = run(nis2()
        .arg("scan")
        .args(several)
        .args(lab.vendor_flags())
        .args(["--format", "junit"]));
    common::one_line_error(&out);
    let xml = tmp.path().join("nis2.xml");
    std::fs::write(&xml, &out.stdout).unwrap();
    let lint = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(testdata.join("junit.xsd"))
        .arg(&xml)
        .output()
        .expect("xmllint (Debian package libxml2-utils)");
    assert!(
        lint.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&lint.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let junit = String::from_utf8_lossy(&out.stdout);
    assert!(
        junit.contains("hostname=\"nothere-vendor.test\""),
        "{junit}"
    );
    assert!(junit.contains("errors=\"1\""), "{junit}");
    let out = run(nis2()
        .arg("scan")
        .args(several)
        .args(lab.vendor_flags())
        .args(["--format", "sarif"]));
    common::one_line_error(&out);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata.join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 2, "{sarif}");

    // On a terminal: a progress bar while the scans run, a summary line after.
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(lab.vendors.iter().cloned());
    args.extend(lab.vendor_flags());
    args.extend(["--format".into(), "jsonl".into(), "-j".into(), "2".into()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, screen) = common::on_terminal(&argv, &[]);
    assert_eq!(code, Some(0), "{screen}");
    let n = lab.vendors.len();
    assert!(
        screen.contains("[00:00:"),
        "a bar with its clock: {screen:?}"
    );
    assert!(
        (0..n).any(|i| screen.contains(&format!(" {i}/{n} "))),
        "a bar counting the targets: {screen:?}"
    );
    assert!(
        screen.contains(&format!("scanned {n} target(s) in ")),
        "{screen:?}"
    );
    assert_eq!(
        screen.lines().filter(|l| l.contains("{\"")).count(),
        n,
        "{screen:?}"
    );

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
