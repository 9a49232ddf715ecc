//! The command line: every subcommand, option and help text.

use std::path::PathBuf;

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::config::{Dur, Interval, LogFormat};

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

/// How `serve` and `worker` are configured (their help ends with it).
macro_rules! config_help {
    () => {
        "\
Configuration: each option comes from its flag, else its NIS2_* variable ([env: …]), else
the TOML file of --config (its key is shown as [toml: …]; nis2-cli/nis2.example.toml lists
them all), else the default. An empty variable counts as unset. Durations are written like
500ms, 30s, 5m, 1h 30m, 7days. Logs go to stderr; --print-config shows what is in effect.
Scanner options (allow_private, resolver, extra_roots, dnssec_trust_anchors in the file;
NIS2_ALLOW_PRIVATE, NIS2_RESOLVER, NIS2_EXTRA_ROOTS, NIS2_DNSSEC_TRUST_ANCHORS) apply to the
scans of portfolio vendors; the other scanner flags are flags only.
"
    };
}

const CONFIG_HELP_SERVE: &str = concat!(
    config_help!(),
    "
Examples:
  nis2 serve
  nis2 serve --listen 0.0.0.0:8080 --db postgres://nis2@db/nis2 --workers 0
  NIS2_JWT_SECRET=… nis2 serve --config /etc/nis2.toml --log-format json
  nis2 serve --jwks https://PROJECT.supabase.co/auth/v1/.well-known/jwks.json \\
      --jwt-issuer https://PROJECT.supabase.co/auth/v1 --public-base-url https://nis2.example
  nis2 serve --config nis2.toml --print-config"
);

const CONFIG_HELP_WORKER: &str = concat!(
    config_help!(),
    "
Examples:
  nis2 worker --db postgres://nis2@db/nis2 --workers 8
  nis2 worker --config /etc/nis2.toml      the same file as `nis2 serve`
  nis2 rescan --all --queue && nis2 worker --once"
);

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

// One value per run: the size of the serve and worker options is no cost.
#[allow(clippy::large_enum_variant)]
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
    #[command(after_help = CONFIG_HELP_SERVE)]
    Serve(ServeArgs),
    /// Run a worker: scan jobs from the queue and deliver webhooks.
    #[command(after_help = CONFIG_HELP_WORKER)]
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
    /// Targets scanned at once.
    #[arg(long, short = 'j', default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) concurrency: u16,
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
    /// Vendors scanned at once (without --queue).
    #[arg(long, short = 'j', default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024), conflicts_with = "queue")]
    pub(crate) concurrency: u16,
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

/// Options of `nis2 serve` and `nis2 worker` that take part in the layered
/// configuration (flags, then `NIS2_*` variables, then the TOML file, then
/// defaults). Each also has a key in the file, named in its help.
#[derive(Debug, Args)]
pub(crate) struct CommonConfigArgs {
    /// TOML configuration file (flags and NIS2_* variables override it; see nis2.example.toml).
    #[arg(long, value_name = "FILE", env = "NIS2_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// SQLite file or postgres:// URL [default: ./nis2.db] [toml: db]
    #[arg(long, env = "NIS2_DB", value_name = "DB")]
    pub(crate) db: Option<String>,
    /// Scan jobs run at once in this process; 0 runs none [default: 4] [toml: workers]
    #[arg(long, env = "NIS2_WORKERS", value_name = "N")]
    pub(crate) workers: Option<usize>,
    /// The URL clients reach the server at, for the `pdf_url` of history entries and
    /// webhook events [default: http://LISTEN] [toml: public_base_url]
    #[arg(long, env = "NIS2_PUBLIC_BASE_URL", value_name = "URL")]
    pub(crate) public_base_url: Option<String>,
    /// How long shutdown waits for running scans and deliveries; what is left runs
    /// again later [default: 30s] [toml: shutdown_grace]
    #[arg(long, env = "NIS2_SHUTDOWN_GRACE", value_name = "DURATION")]
    pub(crate) shutdown_grace: Option<Dur>,
    /// Log filter, RUST_LOG syntax (`info`, `warn,nis2_http=debug`); RUST_LOG is read
    /// when NIS2_LOG is not set [default: info] [toml: log]
    #[arg(
        long,
        env = "NIS2_LOG",
        value_name = "FILTER",
        help_heading = "Logging"
    )]
    pub(crate) log: Option<String>,
    /// Log line format on stderr [default: text] [toml: log_format]
    #[arg(long, env = "NIS2_LOG_FORMAT", value_enum, help_heading = "Logging")]
    pub(crate) log_format: Option<LogFormat>,
    /// Print the effective configuration (as TOML, secrets hidden) and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
    #[command(flatten)]
    pub(crate) worker: WorkerSection,
    #[command(flatten)]
    pub(crate) webhooks: WebhookSection,
    #[command(flatten)]
    pub(crate) store: StoreSection,
}

/// Options only `nis2 serve` has (the HTTP API).
#[derive(Debug, Args)]
#[command(next_help_heading = "HTTP API")]
pub(crate) struct ApiConfigArgs {
    /// Address to listen on [default: 127.0.0.1:8080] [toml: listen]
    #[arg(long, env = "NIS2_LISTEN", value_name = "IP:PORT")]
    pub(crate) listen: Option<String>,
    /// Proxies whose X-Forwarded-For is believed (comma-separated IPs) [default: none: the
    /// client IP is the socket's] [toml: trusted_proxies]
    #[arg(
        long = "trusted-proxy",
        env = "NIS2_TRUSTED_PROXY",
        value_delimiter = ',',
        value_name = "IP"
    )]
    pub(crate) trusted_proxies: Option<Vec<IpAddr>>,
    /// Request body limit in bytes; larger bodies get 413 [default: 65536] [toml: body_limit]
    #[arg(long, env = "NIS2_BODY_LIMIT", value_name = "BYTES")]
    pub(crate) body_limit: Option<usize>,
    /// Longest time a /scan/demo scan may take [default: 1m] [toml: demo_timeout]
    #[arg(long, env = "NIS2_DEMO_TIMEOUT", value_name = "DURATION")]
    pub(crate) demo_timeout: Option<Dur>,
    /// Longest time an encoded GET /vendors or /dashboard/summary answer is reused (writes
    /// through the store show at once); 0s turns the cache off [default: 1m]
    /// [toml: response_cache_ttl]
    #[arg(long, env = "NIS2_RESPONSE_CACHE_TTL", value_name = "DURATION")]
    pub(crate) response_cache_ttl: Option<Dur>,
    #[command(flatten)]
    pub(crate) auth: AuthSection,
    #[command(flatten)]
    pub(crate) rate_limits: RateLimitSection,
    #[command(flatten)]
    pub(crate) letter: LetterSection,
}

/// `[auth]`: how bearer tokens are checked.
#[derive(Debug, Default, Clone, PartialEq, Eq, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[command(next_help_heading = "Authentication")]
pub(crate) struct AuthSection {
    /// HS256 secret of bearer JWTs (Supabase's "JWT secret") [default: none: HS256 off]
    /// [toml: auth.jwt_secret]
    #[arg(
        long = "jwt-secret",
        id = "auth.jwt_secret",
        env = "NIS2_JWT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jwt_secret: Option<String>,
    /// RS256/ES256 keys: a JWKS file, or an http(s):// JWKS URL (Supabase:
    /// https://PROJECT.supabase.co/auth/v1/.well-known/jwks.json) [default: none] [toml: auth.jwks]
    #[arg(
        long = "jwks",
        id = "auth.jwks",
        env = "NIS2_JWKS",
        value_name = "FILE|URL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jwks: Option<String>,
    /// Accepted `aud` claims (comma-separated; `--jwt-audience=` turns the check off)
    /// [default: authenticated] [toml: auth.audiences]
    #[arg(
        long = "jwt-audience",
        id = "auth.audiences",
        env = "NIS2_JWT_AUDIENCE",
        value_delimiter = ',',
        value_name = "AUD"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) audiences: Option<Vec<String>>,
    /// Accepted `iss` claims (comma-separated); when set, tokens must name one
    /// [default: not checked] [toml: auth.issuers]
    #[arg(
        long = "jwt-issuer",
        id = "auth.issuers",
        env = "NIS2_JWT_ISSUER",
        value_delimiter = ',',
        value_name = "ISS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) issuers: Option<Vec<String>>,
    /// Clock skew allowed for `exp` and `nbf` [default: 30s] [toml: auth.leeway]
    #[arg(
        long = "jwt-leeway",
        id = "auth.leeway",
        env = "NIS2_JWT_LEEWAY",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) leeway: Option<Dur>,
    /// Accept nis2_… API tokens made with `nis2 token create` [default: true] [toml: auth.api_tokens]
    #[arg(
        long = "api-tokens",
        id = "auth.api_tokens",
        env = "NIS2_API_TOKENS",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) api_tokens: Option<bool>,
    /// With a JWKS URL: the shortest time between two fetches (a token naming an unknown
    /// key id triggers one) [default: 1m] [toml: auth.jwks_refresh]
    #[arg(
        long = "jwks-refresh",
        id = "auth.jwks_refresh",
        env = "NIS2_JWKS_REFRESH",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jwks_refresh: Option<Dur>,
    /// With a JWKS URL: keys older than this are fetched again [default: 1h]
    /// [toml: auth.jwks_max_age]
    #[arg(
        long = "jwks-max-age",
        id = "auth.jwks_max_age",
        env = "NIS2_JWKS_MAX_AGE",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jwks_max_age: Option<Dur>,
}

/// `[rate_limits]`: requests per window (the seed's limits by default).
#[derive(Debug, Default, Clone, PartialEq, Eq, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[command(next_help_heading = "Rate limits")]
pub(crate) struct RateLimitSection {
    /// POST /scan/demo per client IP [default: 2] [toml: rate_limits.demo]
    #[arg(
        long = "rate-limit-demo",
        id = "rate_limits.demo",
        env = "NIS2_RATE_LIMIT_DEMO",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) demo: Option<u32>,
    /// POST /scans/trigger per account [default: 5] [toml: rate_limits.trigger]
    #[arg(
        long = "rate-limit-trigger",
        id = "rate_limits.trigger",
        env = "NIS2_RATE_LIMIT_TRIGGER",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trigger: Option<u32>,
    /// POST /reports/letter per account [default: 10] [toml: rate_limits.letter]
    #[arg(
        long = "rate-limit-letter",
        id = "rate_limits.letter",
        env = "NIS2_RATE_LIMIT_LETTER",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) letter: Option<u32>,
    /// Authenticated GET requests per account [default: 100] [toml: rate_limits.get]
    #[arg(
        long = "rate-limit-get",
        id = "rate_limits.get",
        env = "NIS2_RATE_LIMIT_GET",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) get: Option<u32>,
    /// The window the limits count in [default: 1m] [toml: rate_limits.window]
    #[arg(
        long = "rate-limit-window",
        id = "rate_limits.window",
        env = "NIS2_RATE_LIMIT_WINDOW",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) window: Option<Dur>,
}

/// `[letter]`: who signs the letters of POST /reports/letter.
#[derive(Debug, Default, Clone, PartialEq, Eq, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[command(next_help_heading = "Letters")]
pub(crate) struct LetterSection {
    /// Who signs remediation letters [default: Information Security] [toml: letter.signer]
    #[arg(
        long = "letter-signer",
        id = "letter.signer",
        env = "NIS2_LETTER_SIGNER",
        value_name = "NAME"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) signer: Option<String>,
    /// The organisation named in letters [default: the account's name] [toml: letter.organisation]
    #[arg(
        long = "letter-organisation",
        id = "letter.organisation",
        env = "NIS2_LETTER_ORGANISATION",
        value_name = "NAME"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) organisation: Option<String>,
    /// How vendors reach you [default: none] [toml: letter.contact]
    #[arg(
        long = "letter-contact",
        id = "letter.contact",
        env = "NIS2_LETTER_CONTACT",
        value_name = "TEXT"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) contact: Option<String>,
}

/// `[worker]`: the scan worker.
#[derive(Debug, Default, Clone, PartialEq, Eq, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[command(next_help_heading = "Scan worker")]
pub(crate) struct WorkerSection {
    /// How often an idle worker looks for jobs queued by other processes [default: 2s]
    /// [toml: worker.poll_interval]
    #[arg(
        long = "worker-poll-interval",
        id = "worker.poll_interval",
        env = "NIS2_WORKER_POLL_INTERVAL",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) poll_interval: Option<Dur>,
    /// How often a running job's lease is renewed (keep it well under store.job_lease)
    /// [default: 30s] [toml: worker.heartbeat_interval]
    #[arg(
        long = "worker-heartbeat-interval",
        id = "worker.heartbeat_interval",
        env = "NIS2_WORKER_HEARTBEAT_INTERVAL",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) heartbeat_interval: Option<Dur>,
    /// Queue rescans of vendors whose last scan is older than this; `off` disables
    /// periodic rescans [default: 7days] [toml: worker.rescan_interval]
    #[arg(
        long = "rescan-interval",
        id = "worker.rescan_interval",
        env = "NIS2_RESCAN_INTERVAL",
        value_name = "DURATION|off"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rescan_interval: Option<Interval>,
    /// Name recorded on claimed jobs [default: nis2-PID] [toml: worker.name]
    #[arg(
        long = "worker-name",
        id = "worker.name",
        env = "NIS2_WORKER_NAME",
        value_name = "NAME"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

/// `[webhooks]`: the webhook dispatcher.
#[derive(Debug, Default, Clone, PartialEq, Eq, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[command(next_help_heading = "Webhooks")]
pub(crate) struct WebhookSection {
    /// Deliver webhook events from this process [default: true] [toml: webhooks.enabled]
    #[arg(
        long = "webhooks",
        id = "webhooks.enabled",
        env = "NIS2_WEBHOOKS",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) enabled: Option<bool>,
    /// Deliver to private, loopback and other internal addresses (labs and tests only)
    /// [default: false] [toml: webhooks.allow_private]
    #[arg(
        long = "webhooks-allow-private",
        id = "webhooks.allow_private",
        env = "NIS2_WEBHOOKS_ALLOW_PRIVATE",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) allow_private: Option<bool>,
    /// Timeout of one delivery [default: 10s] [toml: webhooks.timeout]
    #[arg(
        long = "webhooks-timeout",
        id = "webhooks.timeout",
        env = "NIS2_WEBHOOKS_TIMEOUT",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<Dur>,
    /// Deliveries in flight at once [default: 20] [toml: webhooks.batch]
    #[arg(
        long = "webhooks-batch",
        id = "webhooks.batch",
        env = "NIS2_WEBHOOKS_BATCH",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) batch: Option<u32>,
    /// How often an idle dispatcher looks for due events [default: 2s]
    /// [toml: webhooks.poll_interval]
    #[arg(
        long = "webhooks-poll-interval",
        id = "webhooks.poll_interval",
        env = "NIS2_WEBHOOKS_POLL_INTERVAL",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) poll_interval: Option<Dur>,
}

/// `[store]`: the database pool, job and delivery leases and retries.
#[derive(Debug, Default, Clone, PartialEq, Eq, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[command(next_help_heading = "Store")]
pub(crate) struct StoreSection {
    /// Database connections in the pool [default: 4 for SQLite, 10 for PostgreSQL]
    /// [toml: store.max_connections]
    #[arg(
        long = "db-max-connections",
        id = "store.max_connections",
        env = "NIS2_DB_MAX_CONNECTIONS",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_connections: Option<u32>,
    /// How long SQLite waits for a lock held by another connection [default: 10s]
    /// [toml: store.busy_timeout]
    #[arg(
        long = "db-busy-timeout",
        id = "store.busy_timeout",
        env = "NIS2_DB_BUSY_TIMEOUT",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) busy_timeout: Option<Dur>,
    /// How long to wait for a free pool connection [default: 30s] [toml: store.acquire_timeout]
    #[arg(
        long = "db-acquire-timeout",
        id = "store.acquire_timeout",
        env = "NIS2_DB_ACQUIRE_TIMEOUT",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) acquire_timeout: Option<Dur>,
    /// How long a scan job's claim lasts without a heartbeat [default: 5m] [toml: store.job_lease]
    #[arg(
        long = "job-lease",
        id = "store.job_lease",
        env = "NIS2_JOB_LEASE",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job_lease: Option<Dur>,
    /// Claims per scan job before it fails for good [default: 3] [toml: store.job_max_attempts]
    #[arg(
        long = "job-max-attempts",
        id = "store.job_max_attempts",
        env = "NIS2_JOB_MAX_ATTEMPTS",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job_max_attempts: Option<u32>,
    /// Back-off after a scan job's first failure, doubled per further failure [default: 30s]
    /// [toml: store.job_retry_base]
    #[arg(
        long = "job-retry-base",
        id = "store.job_retry_base",
        env = "NIS2_JOB_RETRY_BASE",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job_retry_base: Option<Dur>,
    /// Longest back-off of a scan job [default: 1h] [toml: store.job_retry_max]
    #[arg(
        long = "job-retry-max",
        id = "store.job_retry_max",
        env = "NIS2_JOB_RETRY_MAX",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job_retry_max: Option<Dur>,
    /// How long a dispatcher's claim on a webhook event lasts [default: 1m]
    /// [toml: store.outbox_lease]
    #[arg(
        long = "outbox-lease",
        id = "store.outbox_lease",
        env = "NIS2_OUTBOX_LEASE",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) outbox_lease: Option<Dur>,
    /// Failed deliveries before a webhook event is given up [default: 10]
    /// [toml: store.outbox_max_attempts]
    #[arg(
        long = "outbox-max-attempts",
        id = "store.outbox_max_attempts",
        env = "NIS2_OUTBOX_MAX_ATTEMPTS",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) outbox_max_attempts: Option<u32>,
    /// Back-off after a delivery's first failure, doubled per further failure [default: 30s]
    /// [toml: store.outbox_retry_base]
    #[arg(
        long = "outbox-retry-base",
        id = "store.outbox_retry_base",
        env = "NIS2_OUTBOX_RETRY_BASE",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) outbox_retry_base: Option<Dur>,
    /// Longest back-off of a delivery [default: 6h] [toml: store.outbox_retry_max]
    #[arg(
        long = "outbox-retry-max",
        id = "store.outbox_retry_max",
        env = "NIS2_OUTBOX_RETRY_MAX",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) outbox_retry_max: Option<Dur>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) common: CommonConfigArgs,
    #[command(flatten)]
    pub(crate) api: ApiConfigArgs,
    #[command(flatten, next_help_heading = "Scanner")]
    pub(crate) scanner: ScannerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    pub(crate) common: CommonConfigArgs,
    /// Exit when the queue is empty instead of waiting for more jobs (webhook events
    /// stay queued for a long-running worker or server).
    #[arg(long)]
    pub(crate) once: bool,
    #[command(flatten, next_help_heading = "Scanner")]
    pub(crate) scanner: ScannerArgs,
}
