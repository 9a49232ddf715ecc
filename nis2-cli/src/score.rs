//! `nis2 score`: grade observations gathered elsewhere.

use std::io::Read as _;

use anyhow::Context;
use nis2_core::Observations;

use crate::cli::ScoreArgs;
use crate::output;
use crate::scan::{finish, grade};
use crate::{Global, Outcome};

/// `nis2 score FILE|-`.
pub(crate) fn run(global: &Global, args: &ScoreArgs) -> anyhow::Result<Outcome> {
    let lang = output::lang(&args.output.lang)?;
    let threshold = args
        .output
        .fail_under
        .as_deref()
        .map(output::grade)
        .transpose()?;
    let (name, text) = if args.input.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read stdin")?;
        ("stdin".to_owned(), text)
    } else {
        let text = std::fs::read_to_string(&args.input)
            .with_context(|| format!("cannot read {}", args.input.display()))?;
        (args.input.display().to_string(), text)
    };
    let observations: Observations = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{name} is not valid observations JSON: {e}"))?;
    let row = grade(&observations.domain, &observations, global.now());
    finish(global, &[row], args.output.format, lang, threshold)
}
