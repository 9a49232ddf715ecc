//! Scores observations read from a JSON file (or stdin) with nis2-core alone,
//! and prints the assessment as JSON.
//!
//! ```text
//! cargo run -p example-score-json                      # the bundled weak-vendor.json
//! cargo run -p example-score-json -- obs.json          # a file
//! cargo run -p example-score-json -- - < obs.json      # stdin
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
        // The observations of a weak vendor, as a scanner would write them.
        [] => include_str!("../weak-vendor.json").to_owned(),
        [path] if path != "-" => {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
        }
        [_] => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            s
        }
        _ => return Err("usage: score-json [FILE | - | --sample flawless|weak]".into()),
    };
    score(&text, now)
}

/// Observations JSON in, assessment JSON out.
fn score(text: &str, now: Timestamp) -> Result<String, String> {
    let obs: Observations =
        serde_json::from_str(text).map_err(|e| format!("invalid observations JSON: {e}"))?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn scores_the_bundled_observations_and_rejects_bad_json() {
        let now = Timestamp::parse("2026-06-27T10:00:00Z").unwrap();
        let out = score(include_str!("../weak-vendor.json"), now).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["grade"], "F");
        assert_eq!(v["method"], "nis2-score/1");
        let flawless = serde_json::to_string(&flawless_vendor("vendor.example", now)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&score(&flawless, now).unwrap()).unwrap();
        assert_eq!(
            (v["score"].as_u64(), v["grade"].as_str()),
            (Some(100), Some("A"))
        );
        let e = score("{\"domain\": 5}", now).unwrap_err();
        assert!(e.starts_with("invalid observations JSON"), "{e}");
        let e = score("{\"domain\": \"\"}", now).unwrap_err();
        assert!(e.contains("domain"), "{e}");
    }
}
