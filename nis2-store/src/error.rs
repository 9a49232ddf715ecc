//! The store's error, and its mapping onto the core port's [`StoreError`].

use nis2_core::StoreError;

use crate::model::JobId;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No such row in this account (also for rows of other accounts).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for (`vendor`, `scan`, `account`, …).
        what: &'static str,
    },
    /// A uniqueness rule was broken (the vendor's domain is already in the
    /// account, the scan id is taken, …).
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },
    /// A text field is longer than its limit (see [`crate::limits`]).
    #[error("{field} is too long: {len} characters, at most {max} allowed")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its limit, in characters.
        max: usize,
        /// The length given, in characters.
        len: usize,
    },
    /// Input the store refuses for another reason (empty, NUL byte, bad URL,
    /// no consent, …).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The job's lease is no longer this worker's (it expired and another
    /// worker claimed the job, or the job was finished or deleted).
    #[error("lease on scan job {job} lost")]
    LeaseLost {
        /// The job.
        job: JobId,
    },
    /// A stored value the code cannot read back (a corrupted or foreign row).
    #[error("corrupt stored data: {message}")]
    Corrupt {
        /// What could not be read.
        message: String,
    },
    /// The URL or path given to [`crate::SqlStore::open`] cannot be used.
    #[error("cannot open store `{target}`: {reason}")]
    Open {
        /// The URL (password removed) or path.
        target: String,
        /// Why.
        reason: String,
    },
    /// The operating system gave no randomness for a new API token.
    #[error("no randomness for a new token: {message}")]
    Random {
        /// The cause.
        message: String,
    },
    /// The database failed. (A stored value that cannot be decoded, such as
    /// text that is not valid UTF-8 in a SQLite file written by another
    /// program, is [`Error::Corrupt`] instead.)
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Running the embedded migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A JSON column could not be written or read.
    #[error("JSON column: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::ColumnDecode { index, source } => Error::Corrupt {
                message: format!("column {index}: {source}"),
            },
            sqlx::Error::Decode(source) => Error::Corrupt {
                message: source.to_string(),
            },
            e => Error::Database(e),
        }
    }
}

impl Error {
    /// Maps a unique-constraint violation onto [`Error::Conflict`] with `message`;
    /// other database errors pass through.
    pub(crate) fn unique(e: sqlx::Error, message: impl FnOnce() -> String) -> Error {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict { message: message() }
            }
            _ => Error::from(e),
        }
    }

    pub(crate) fn corrupt(message: impl Into<String>) -> Error {
        Error::Corrupt {
            message: message.into(),
        }
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound { what } => StoreError::NotFound {
                what: what.to_owned(),
            },
            Error::Conflict { message } => StoreError::Conflict { message },
            e @ Error::LeaseLost { .. } => StoreError::Conflict {
                message: e.to_string(),
            },
            e @ (Error::TooLong { .. } | Error::Invalid { .. }) => StoreError::Invalid {
                message: e.to_string(),
            },
            e => StoreError::Backend {
                message: e.to_string(),
            },
        }
    }
}
