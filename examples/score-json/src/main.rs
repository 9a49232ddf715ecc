//! Scores observations read from a JSON file (or stdin) with nis2-core alone,
//! and prints the assessment as JSON.
//!
//! ```text
//! cargo run -p example-score-json -- examples/score-json/weak-vendor.json
//! cargo run -p example-score-json -- --sample flawless > obs.json
//! ```

use std::io::Read;
use std::process::ExitCode;
use std::time::SystemTime;

use nis2_core::samples::{flawless_vendor, weak_vendor};
use nis2_core::{History, Observations, Timestamp, assess, evaluate};

fn now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let now = now();
    let text = match args.as_slice() {
        [flag, which] if flag == "--sample" => {
            let obs = match which.as_str() {
                "flawless" => flawless_vendor("vendor.example", now),
                "weak" => weak_vendor("vendor.example", now),
                other => return Err(format!("unknown sample `{other}` (flawless or weak)")),
            };
            return serde_json::to_string_pretty(&obs).map_err(|e| e.to_string());
        }
        [path] if path != "-" => {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
        }
        [] | [_] => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            s
        }
        _ => return Err("usage: score-json [FILE | - | --sample flawless|weak]".into()),
    };
    let obs: Observations =
        serde_json::from_str(&text).map_err(|e| format!("invalid observations JSON: {e}"))?;
    let findings = evaluate(&obs, now).map_err(|e| e.to_string())?;
    let assessment = assess(findings, &History::first_scan(now));
    serde_json::to_string_pretty(&assessment).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(out) => {
            use std::io::Write as _;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
