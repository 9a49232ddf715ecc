//! The command line: every subcommand, option and help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  nis2 lab                                   scan the built-in lab vendors (no network)
  nis2 scan example.com --format json        scan a domain, print the JSON report
  nis2 scan --file vendors.txt --fail-under C   gate CI on every vendor's grade
  nis2 score observations.json               grade facts gathered elsewhere
  nis2 vendor add vendor.example --consent   add a vendor to ./nis2.db
  nis2 rescan --all && nis2 summary          rescan the portfolio, show the dashboard
  nis2 letter vendor.example --lang de       remediation letter in German
  nis2 completions bash > /etc/bash_completion.d/nis2

Exit codes: 0 success, 1 a vendor is below --fail-under, 2 error.";

/// nis2: NIS2 supply-chain security ratings of your vendors, from the outside in.
#[derive(Debug, Parser)]
#[command(name = "nis2", version, after_help = EXAMPLES, propagate_version = true)]
pub(crate) struct Cli {
    /// When to use colours (auto: only on a terminal, and never with NO_COLOR set).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// Assess as of this instant (RFC 3339) instead of now; for reproducible output.
    #[arg(long, global = true, hide = true, env = "NIS2_NOW")]
    pub(crate) now: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colours on a terminal unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scan domains and grade them.
    #[command(after_help = "\
Examples:
  nis2 scan example.com
  nis2 scan example.com other.example:8443 --format jsonl
  nis2 scan --file vendors.csv --fail-under C --format junit > nis2.xml
  nis2 scan good.lab.nis2.test:40001 --resolver 127.0.0.1:5353 --extra-root ca.pem --allow-private")]
    Scan(ScanArgs),
    /// Grade observations (JSON, as the scanner writes them) without scanning.
    #[command(after_help = "\
Examples:
  nis2 score observations.json
  cat observations.json | nis2 score - --format markdown")]
    Score(ScoreArgs),
    /// Run the HTTP server (API, webhooks, reports, scan workers).
    #[command(after_help = "\
Configuration: flags, then NIS2_* variables (NIS2_LISTEN, NIS2_DB, NIS2_JWT_SECRET,
NIS2_WORKERS, NIS2_ALLOW_PRIVATE), then the TOML file of --config (keys listen, db,
jwt_secret, workers, allow_private).

Examples:
  nis2 serve
  nis2 serve --listen 0.0.0.0:8080 --db postgres://nis2@db/nis2 --workers 0
  NIS2_JWT_SECRET=… nis2 serve --config /etc/nis2.toml")]
    Serve(ServeArgs),
    /// Run a worker: scan jobs from the queue and deliver webhooks.
    #[command(after_help = "\
Examples:
  nis2 worker --db postgres://nis2@db/nis2 --workers 8
  nis2 rescan --all --queue && nis2 worker --once")]
    Worker(WorkerArgs),
    /// Manage the vendors of the portfolio.
    #[command(
        subcommand,
        after_help = "\
Examples:
  nis2 vendor add vendor.example --name 'Vendor GmbH' --consent
  nis2 vendor list --format json
  nis2 vendor rm vendor.example
  nis2 vendor list --db postgres://nis2@db/nis2 --account acme"
    )]
    Vendor(VendorCommand),
    /// Scan the portfolio's vendors now and store the results.
    #[command(after_help = "\
Examples:
  nis2 rescan --all
  nis2 rescan vendor.example other.example
  nis2 rescan --all --queue && nis2 worker --once")]
    Rescan(RescanArgs),
    /// Show a vendor's scan history.
    #[command(after_help = "\
Examples:
  nis2 history vendor.example
  nis2 history vendor.example --limit 5 --format json")]
    History(HistoryArgs),
    /// Show the portfolio dashboard (vendors, grades, critical risks).
    #[command(after_help = "\
Examples:
  nis2 summary
  nis2 summary --format json")]
    Summary(SummaryArgs),
    /// Manage API tokens for the HTTP API.
    #[command(
        subcommand,
        after_help = "\
Examples:
  nis2 token create ci          prints the token once
  nis2 token list
  nis2 token revoke 3f1c…-token-id"
    )]
    Token(TokenCommand),
    /// Manage the account's webhook endpoint.
    #[command(
        subcommand,
        after_help = "\
Examples:
  NIS2_WEBHOOK_SECRET=… nis2 webhook set https://hooks.example/nis2
  nis2 webhook show
  nis2 webhook rm"
    )]
    Webhook(WebhookCommand),
    /// Write the report of a vendor's latest scan (or of one scan).
    #[command(after_help = "\
Examples:
  nis2 report vendor.example --format html -o vendor.html
  nis2 report 3f1c…-scan-id --format sarif")]
    Report(ReportArgs),
    /// Write the remediation letter to a vendor.
    #[command(after_help = "\
Examples:
  nis2 letter vendor.example --lang de
  nis2 letter vendor.example --format html -o letter.html --signer 'Erika Muster, CISO'")]
    Letter(LetterArgs),
    /// Start the local lab vendors and scan them (no network, nothing to configure).
    #[command(after_help = "\
Examples:
  nis2 lab
  nis2 lab --serve        keep the lab running and print how to scan it")]
    Lab(LabArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// Output formats of `scan` and `score`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScanFormat {
    /// One line per vendor, for people.
    Table,
    /// One JSON document: an array of reports.
    Json,
    /// One JSON report per line.
    Jsonl,
    /// CSV: one row per check and vendor.
    Csv,
    /// SARIF 2.1.0, one run per vendor.
    Sarif,
    /// JUnit XML, one test suite set per vendor.
    Junit,
    /// Markdown reports.
    Markdown,
}

/// When to show a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Progress {
    /// A bar on a terminal, nothing when stderr is piped.
    Auto,
    /// A bar on a terminal, one line per finished target otherwise.
    Always,
    /// None.
    Never,
}

/// How the scanner looks. Unset options keep the library's documented defaults.
#[derive(Debug, Args, Clone)]
pub(crate) struct ScannerArgs {
    /// Check groups to run (comma-separated: tls,http,dns,email,ports; default all).
    #[arg(long, value_delimiter = ',', value_name = "GROUPS")]
    pub(crate) checks: Vec<String>,
    /// Check groups to skip (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GROUPS")]
    pub(crate) skip: Vec<String>,
    /// HTTPS (and TLS) port when a target names none [default: 443].
    #[arg(long, visible_alias = "https-port", value_name = "PORT")]
    pub(crate) port: Option<u16>,
    /// Plain HTTP port [default: 80].
    #[arg(long, value_name = "PORT")]
    pub(crate) http_port: Option<u16>,
    /// Port name servers are asked on [default: 53].
    #[arg(long, value_name = "PORT")]
    pub(crate) dns_port: Option<u16>,
    /// Targets scanned at once.
    #[arg(long, short = 'j', default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) concurrency: u16,
    /// TCP connect timeout, seconds [default: 3].
    #[arg(long, value_name = "SECS")]
    pub(crate) connect_timeout: Option<f64>,
    /// Timeout of one TLS exchange, seconds [default: 5].
    #[arg(long, value_name = "SECS")]
    pub(crate) handshake_timeout: Option<f64>,
    /// Timeout of one HTTP request, seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub(crate) request_timeout: Option<f64>,
    /// Deadline of each check group of one target, seconds [default: 15–30 by group].
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,
    /// DNS server to ask instead of the system's (repeatable).
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) resolver: Vec<std::net::SocketAddr>,
    /// PEM file of extra trusted root certificates (repeatable).
    #[arg(long, value_name = "PEM")]
    pub(crate) extra_root: Vec<PathBuf>,
    /// File of DNSSEC trust anchors (zone-file DNSKEY lines) used instead of the
    /// IANA root keys: a lab or a private signed zone [default: the root keys].
    #[arg(long, value_name = "FILE")]
    pub(crate) dnssec_trust_anchors: Option<PathBuf>,
    /// Allow private, loopback and other internal addresses (labs only).
    #[arg(long)]
    pub(crate) allow_private: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Domains to scan, each optionally with a port: `example.com`, `example.com:8443`.
    #[arg(value_name = "DOMAIN", required_unless_present = "file")]
    pub(crate) domains: Vec<String>,
    /// Read targets from a file: one per line (.txt), or the first column of a CSV (.csv).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) scanner: ScannerArgs,
    /// Progress display on stderr.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub(crate) progress: Progress,
}

/// Output options shared by `scan` and `score`.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub(crate) format: ScanFormat,
    /// Exit with code 1 when any vendor's grade is worse than this (A, B, C, D, F).
    #[arg(long, value_name = "GRADE")]
    pub(crate) fail_under: Option<String>,
    /// Language of report texts (en, de, fr, es, ar, it, nl, pl, pt).
    #[arg(long, default_value = "en")]
    pub(crate) lang: String,
}

#[derive(Debug, Args)]
pub(crate) struct ScoreArgs {
    /// Observations JSON file, or `-` for stdin.
    #[arg(value_name = "FILE")]
    pub(crate) input: PathBuf,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// Where the portfolio lives and whose it is.
#[derive(Debug, Args, Clone)]
pub(crate) struct StoreArgs {
    /// SQLite file or postgres:// URL.
    #[arg(long, env = "NIS2_DB", default_value = "./nis2.db", global = true)]
    pub(crate) db: String,
    /// The local account the command acts for (created on first use).
    #[arg(long, env = "NIS2_ACCOUNT", default_value = "local", global = true)]
    pub(crate) account: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VendorCommand {
    /// Add a vendor.
    Add {
        /// The vendor's domain.
        domain: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Free-text notes.
        #[arg(long)]
        notes: Option<String>,
        /// Confirm that you may assess this domain (required).
        #[arg(long)]
        consent: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List vendors.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove a vendor and its scans.
    Rm {
        /// Vendor id or domain.
        vendor: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Formats of listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct RescanArgs {
    /// Vendor ids or domains.
    #[arg(required_unless_present = "all")]
    pub(crate) vendors: Vec<String>,
    /// Every vendor of the account.
    #[arg(long, conflicts_with = "vendors")]
    pub(crate) all: bool,
    /// Queue scan jobs for `nis2 worker` / `nis2 serve` instead of scanning now.
    #[arg(long)]
    pub(crate) queue: bool,
    #[command(flatten)]
    pub(crate) scanner: ScannerArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Vendor id or domain.
    pub(crate) vendor: String,
    /// Most scans to show.
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub(crate) format: ListFormat,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SummaryArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub(crate) format: ListFormat,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token; the token is shown once.
    Create {
        /// A name to recognise it by.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List API tokens (never the tokens themselves).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke an API token.
    Revoke {
        /// Token id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Set where events are POSTed, and the HMAC secret that signs them.
    Set {
        /// The endpoint URL (https://…).
        url: String,
        /// The signing secret.
        #[arg(long, env = "NIS2_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show the endpoint (not the secret).
    Show {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove the endpoint.
    Rm {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Formats of `nis2 report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// PDF (needs a build with the `pdf` feature).
    Pdf,
    /// Self-contained HTML.
    Html,
    /// Markdown.
    Markdown,
    /// JSON.
    Json,
    /// CSV.
    Csv,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Vendor id or domain (its latest scan), or a scan id.
    pub(crate) target: String,
    /// Format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub(crate) format: ReportFormat,
    /// Language (en, de, fr, es, ar, it, nl, pl, pt).
    #[arg(long, default_value = "en")]
    pub(crate) lang: String,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// Formats of `nis2 letter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LetterFormat {
    /// Plain text.
    Text,
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
}

#[derive(Debug, Args)]
pub(crate) struct LetterArgs {
    /// Vendor id or domain.
    pub(crate) vendor: String,
    /// Language (en, de, fr, es, ar, it, nl, pl, pt).
    #[arg(long, default_value = "en")]
    pub(crate) lang: String,
    /// Format.
    #[arg(long, value_enum, default_value_t = LetterFormat::Text)]
    pub(crate) format: LetterFormat,
    /// Who signs the letter.
    #[arg(long, env = "NIS2_SIGNER", default_value = "Information Security")]
    pub(crate) signer: String,
    /// Your organisation (default: the account's name).
    #[arg(long, env = "NIS2_ORGANISATION")]
    pub(crate) organisation: Option<String>,
    /// How the vendor reaches you.
    #[arg(long, env = "NIS2_CONTACT")]
    pub(crate) contact: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct LabArgs {
    /// Keep the lab running and print how to point the scanner at it.
    #[arg(long)]
    pub(crate) serve: bool,
    /// Write the labs' root CAs (PEM) into this directory (with --serve; default: a temporary one).
    #[arg(long, value_name = "DIR", requires = "serve")]
    pub(crate) ca_out: Option<PathBuf>,
    /// Output format of the reports.
    #[arg(long, value_enum, default_value_t = LabFormat::Report)]
    pub(crate) format: LabFormat,
    /// Language of report texts.
    #[arg(long, default_value = "en")]
    pub(crate) lang: String,
}

/// Formats of `nis2 lab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LabFormat {
    /// A short graded report per vendor.
    Report,
    /// One line per vendor.
    Table,
    /// Full Markdown reports.
    Markdown,
    /// One JSON report per line.
    Jsonl,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// TOML configuration file (flags and NIS2_* variables override it).
    #[arg(long, value_name = "FILE", env = "NIS2_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// SQLite file or postgres:// URL [default: ./nis2.db].
    #[arg(long)]
    pub(crate) db: Option<String>,
    /// HS256 secret for bearer JWTs.
    #[arg(long, hide_env_values = true)]
    pub(crate) jwt_secret: Option<String>,
    /// Scan jobs run at once in this process; 0 runs none (use `nis2 worker`) [default: 4].
    #[arg(long)]
    pub(crate) workers: Option<usize>,
    /// Allow vendors on private addresses (labs only; the demo endpoint never does).
    #[arg(long)]
    pub(crate) allow_private: bool,
    /// Print the effective configuration and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    /// TOML configuration file (flags and NIS2_* variables override it).
    #[arg(long, value_name = "FILE", env = "NIS2_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// SQLite file or postgres:// URL [default: ./nis2.db].
    #[arg(long)]
    pub(crate) db: Option<String>,
    /// Jobs run at once [default: 4].
    #[arg(long)]
    pub(crate) workers: Option<usize>,
    /// Exit when the queue is empty instead of waiting for more jobs.
    #[arg(long)]
    pub(crate) once: bool,
    /// Print the effective configuration and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
    #[command(flatten)]
    pub(crate) scanner: ScannerArgs,
}
