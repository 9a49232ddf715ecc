//! `nis2`: the command line of the nis2 rating engine.
//!
//! Thin: arguments are mapped onto the library (scanner options in
//! [`scan::scanner_options`], the store in [`portfolio`]) and results are
//! formatted ([`output`]); the rating itself is `nis2-core`'s.
//!
//! Every failure ends as one `error: …` line on stderr and exit code 2;
//! `--fail-under` uses exit code 1.

mod cli;
mod config;
mod lab;
mod logging;
mod output;
mod portfolio;
mod scan;
mod score;

use std::io::{IsTerminal, Write as _};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use nis2_core::Timestamp;

use cli::{Cli, ColorChoice, Command};

/// What a successful command asks the process to exit with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: a vendor is below `--fail-under`.
    BelowThreshold,
}

/// Settings every command sees.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Global {
    /// Colour stdout.
    pub(crate) color: bool,
    /// Colour the logs on stderr (`nis2 serve`, `nis2 worker`).
    pub(crate) stderr_color: bool,
    /// Fixed "now", if given.
    pub(crate) now: Option<Timestamp>,
}

impl Global {
    /// The instant assessments are made at.
    pub(crate) fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(system_now)
    }
}

/// The system clock, as a core timestamp.
pub(crate) fn system_now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn main() -> ExitCode {
    // A panic is a bug; still, the user sees one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".to_owned());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // Not eprintln!: a closed stderr must not panic inside the hook.
        let _ = writeln!(
            std::io::stderr(),
            "error: internal error (please report it): {}{at}",
            one_line(&msg)
        );
    }));

    let cli = match clap_command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::BelowThreshold) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                // `nis2 … | head`: the reader left; not an error.
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// The command line, where an empty `NIS2_*` variable counts as unset (as
/// an empty NO_COLOR does): `NIS2_LISTEN=` from a template with no value
/// falls back to the file and the default instead of failing to parse.
fn clap_command() -> clap::Command {
    fn unset_empty(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|arg| {
            let empty = arg
                .get_env()
                .and_then(std::env::var_os)
                .is_some_and(|v| v.is_empty());
            if empty { arg.env(None) } else { arg }
        })
        .mut_subcommands(unset_empty)
    }
    unset_empty(Cli::command())
}

/// Help and version go to stdout with code 0; usage errors become one line.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let _ = writeln!(
                std::io::stderr(),
                "error: {} (see `nis2 --help`)",
                first.trim()
            );
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, without repeating a cause that an
/// outer message already quotes (library errors often embed their source).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = one_line(&cause.to_string());
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Collapses a message onto one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (color, stderr_color) = match cli.color {
        ColorChoice::Always => (true, true),
        ColorChoice::Never => (false, false),
        ColorChoice::Auto => (
            !no_color && std::io::stdout().is_terminal(),
            !no_color && std::io::stderr().is_terminal(),
        ),
    };
    let now = cli
        .now
        .as_deref()
        .map(|s| Timestamp::parse(s).with_context(|| format!("--now `{s}`")))
        .transpose()?;
    let global = Global {
        color,
        stderr_color,
        now,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(global, cli.command))
}

async fn run_async(global: Global, command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Scan(args) => scan::run(&global, &args).await,
        Command::Lab(args) => lab::run(&global, &args).await,
        Command::Vendor(cmd) => portfolio::vendor(&global, cmd).await,
        Command::Rescan(args) => portfolio::rescan(&global, &args).await,
        Command::History(args) => portfolio::history(&global, &args).await,
        Command::Summary(args) => portfolio::summary(&global, &args).await,
        Command::Token(cmd) => portfolio::token(&global, cmd).await,
        Command::Webhook(cmd) => portfolio::webhook(&global, cmd).await,
        Command::Report(args) => portfolio::report(&global, &args).await,
        Command::Letter(args) => portfolio::letter(&global, &args).await,
        Command::Serve(args) => config::serve(&global, &args).await,
        Command::Worker(args) => config::worker(&global, &args).await,
        Command::Score(args) => score::run(&global, &args),
        Command::Completions { shell } => {
            let mut cmd = clap_command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "nis2", &mut buf);
            output::write_stdout(&buf)?;
            Ok(Outcome::Ok)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(clap_command()).render(&mut buf)?;
            output::write_stdout(&buf)?;
            Ok(Outcome::Ok)
        }
    }
}
