//! The error type of `nis2-core`.

/// Everything that can go wrong in the pure engine.
///
/// Bad input (malformed observations, an unknown check id or language) is
/// always one of these, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An observation holds a value no real scan can produce.
    #[error("invalid observations: `{field}` {reason}")]
    InvalidObservations {
        /// Path of the offending field, e.g. `tls.certificate.chain[0].key.bits`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Observations JSON that does not parse.
    #[error("invalid observations JSON: {reason}")]
    ObservationsJson {
        /// The parser's message (with line and column).
        reason: String,
    },
    /// A timestamp that is not RFC 3339.
    #[error("invalid timestamp `{value}`: {reason}")]
    InvalidTimestamp {
        /// The value (truncated).
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A check id not in the catalog.
    #[error("unknown check id `{id}`")]
    UnknownCheck {
        /// The id (truncated).
        id: String,
    },
    /// A grade other than A, B, C, D or F.
    #[error("unknown grade `{value}` (expected A, B, C, D or F)")]
    UnknownGrade {
        /// The value (truncated).
        value: String,
    },
    /// A webhook signature that is not lowercase hex of the right length.
    #[error("malformed webhook signature: {reason}")]
    MalformedSignature {
        /// What is wrong.
        reason: String,
    },
}
