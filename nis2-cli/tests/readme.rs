//! Runs the README's quick start verbatim: every command of every ```sh
//! block under the "Quick start" heading, through `sh`, from the repository
//! root, with the database in a temporary directory. `cargo run [--release]
//! -p nis2-cli -- ARGS` runs the `nis2` this test was built with (a release
//! build of it would take minutes); every other command, `cargo run` of the
//! examples included, runs exactly as written. None is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The ```sh blocks of the section whose heading contains "Quick start".
fn quick_start_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut in_section = false;
    let mut level = 0;
    let mut block: Option<String> = None;
    for line in readme.lines() {
        if let Some(b) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                blocks.push(block.take().unwrap_or_default());
            } else {
                b.push_str(line);
                b.push('\n');
            }
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes > 0 && line[hashes..].starts_with(' ') {
            if line.to_ascii_lowercase().contains("quick start") {
                in_section = true;
                level = hashes;
            } else if in_section && hashes <= level {
                in_section = false;
            }
            continue;
        }
        if in_section && line.trim() == "```sh" {
            block = Some(String::new());
        }
    }
    blocks
}

/// Commands of a block: comments and prompts dropped, `\` continuations joined.
fn commands(block: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        let line = line.trim();
        let line = line.strip_prefix("$ ").unwrap_or(line);
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// `cargo run [--release] -p nis2-cli --` → `nis2`; `None` for other commands.
fn as_nis2(command: &str) -> Option<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let rewritten = if words.first() == Some(&"cargo") {
        let sep = words.iter().position(|w| *w == "--")?;
        let head = &words[..sep];
        let ok = head.get(1) == Some(&"run")
            && head
                .windows(2)
                .any(|w| w == ["-p", "nis2-cli"] || w == ["--package", "nis2-cli"])
            && head.iter().all(|w| {
                [
                    "cargo",
                    "run",
                    "--release",
                    "-p",
                    "--package",
                    "nis2-cli",
                    "-q",
                    "--quiet",
                ]
                .contains(w)
            });
        if !ok {
            return None;
        }
        std::iter::once("nis2")
            .chain(words[sep + 1..].iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        command.to_owned()
    };
    rewritten.starts_with("nis2 ").then_some(rewritten)
}

#[test]
fn parsing_the_readme() {
    let md = "# x\n## Quick start\ntext\n```sh\ncargo run --release -p nis2-cli -- lab\n# c\nnis2 score \\\n  a.json\ncargo run -p other -- x\n```\n```text\nnis2 no\n```\n## Tests\n```sh\nnis2 not-this\n```\n";
    let blocks = quick_start_blocks(md);
    assert_eq!(blocks.len(), 1);
    let cmds = commands(&blocks[0]);
    assert_eq!(
        cmds,
        [
            "cargo run --release -p nis2-cli -- lab",
            "nis2 score  a.json",
            "cargo run -p other -- x"
        ]
    );
    let mapped: Vec<_> = cmds.iter().filter_map(|c| as_nis2(c)).collect();
    assert_eq!(mapped, ["nis2 lab", "nis2 score  a.json"]);
}

#[test]
fn readme_quick_start_runs() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    run_quick_start(&readme);
}

fn run_quick_start(readme: &str) {
    let blocks = quick_start_blocks(readme);
    assert!(
        !blocks.is_empty(),
        "README.md has no ```sh block under a \"Quick start\" heading"
    );
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_nis2"));
    let bin_dir = bin.parent().unwrap().to_path_buf();
    let tmp = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for command in blocks.iter().flat_map(|b| commands(b)) {
        let cmd = as_nis2(&command).unwrap_or_else(|| command.clone());
        eprintln!("README: {cmd}");
        let out = Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .current_dir(repo_root())
            .env("PATH", &path)
            .env("NIS2_DB", tmp.path().join("nis2.db"))
            .env("NO_COLOR", "1")
            .env("CARGO_TERM_COLOR", "never")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README command failed: {command}\n(as: {cmd})\n--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(
        blocks
            .iter()
            .flat_map(|b| commands(b))
            .any(|c| as_nis2(&c).is_some()),
        "the README's quick start never runs nis2"
    );
    assert!(ran > 0);
}
