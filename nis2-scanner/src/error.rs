//! The crate's one error type.

use nis2_core::ScanError;

/// Why the scanner could not do what was asked.
///
/// Problems with single probes (a timeout, an alert, garbage on the wire) are
/// not errors: they are recorded in [`nis2_core::Observations::errors`]. An
/// `Error` means the target as a whole could not be scanned, or the lab could
/// not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not an acceptable host name.
    #[error("invalid target `{input}`: {reason}")]
    InvalidTarget {
        /// The input as given (truncated to 100 characters, control characters escaped).
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// The target is, or resolves to, an address the policy forbids.
    #[error("target `{target}` refused: {reason}")]
    TargetRefused {
        /// The host name (A-label form) or address.
        target: String,
        /// Which rule refused it, e.g. "127.0.0.1 is a loopback address; scanning
        /// private addresses is not allowed".
        reason: String,
    },
    /// The name does not resolve (NXDOMAIN, no address records, resolver failure).
    #[error("cannot resolve `{domain}`: {reason}")]
    Resolution {
        /// The host name.
        domain: String,
        /// The resolver's answer.
        reason: String,
    },
    /// The scanner's configuration is unusable (a bad extra root, no system resolver).
    #[error("invalid scanner configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The lab could not start (a port, the `openssl` command, certificate generation).
    #[error("lab failure: {reason}")]
    Lab {
        /// What failed.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid(input: &str, reason: impl Into<String>) -> Self {
        Error::InvalidTarget {
            input: shorten(input),
            reason: reason.into(),
        }
    }

    pub(crate) fn refused(target: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::TargetRefused {
            target: target.into(),
            reason: reason.into(),
        }
    }
}

/// The input as it may be echoed in an error: at most 100 characters, with
/// control and invisible characters escaped so a message cannot be forged.
pub(crate) fn shorten(input: &str) -> String {
    let mut out = String::new();
    for (i, c) in input.chars().enumerate() {
        if i >= 100 {
            out.push('…');
            break;
        }
        if c.is_control() || crate::policy::is_invisible(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

impl From<Error> for ScanError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidTarget { input, reason } => ScanError::InvalidTarget {
                domain: input,
                reason,
            },
            Error::TargetRefused { target, reason } => ScanError::TargetRefused {
                domain: target,
                reason,
            },
            Error::Resolution { domain, reason } => ScanError::Resolution { domain, reason },
            other @ (Error::Config { .. } | Error::Lab { .. }) => ScanError::Failed {
                message: other.to_string(),
            },
        }
    }
}
