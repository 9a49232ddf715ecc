//! The logs of `nis2 serve` and `nis2 worker`: tracing events (nis2-http's
//! request spans and responses, the worker's jobs, the dispatcher's
//! deliveries) written to stderr as text or JSON lines, filtered the
//! RUST_LOG way.

use anyhow::Context;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the process's subscriber. `filter` is in RUST_LOG syntax
/// (`info`, `warn,nis2_http=debug`); `ansi` colours text lines (only on a
/// terminal, never with NO_COLOR).
pub(crate) fn init(filter: &str, format: LogFormat, ansi: bool) -> anyhow::Result<()> {
    let filter = EnvFilter::builder()
        .parse(filter)
        .with_context(|| format!("log filter `{filter}`"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A closed stderr (`nis2 serve 2>&1 | head`) loses log lines; the
        // default would report that with eprintln!, which panics then.
        .log_internal_errors(false);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder
            .json()
            // The event's fields at the top level, and the fields of the span
            // it happened in (the request's method, URI, version).
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| anyhow::anyhow!("installing the logger: {e}"))
}
