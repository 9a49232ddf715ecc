//! Opening the store: SQLite for a path, PostgreSQL for a `postgres://` URL.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::Error;
use crate::model::{JobPolicy, OutboxPolicy};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`SqlStore`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the default; one machine).
    Sqlite,
    /// A PostgreSQL server (several processes and machines).
    Postgres,
}

#[derive(Clone, Debug)]
pub(crate) enum Pools {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// How to open a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Connections in the pool (default 4 for SQLite, 10 for PostgreSQL).
    pub max_connections: Option<u32>,
    /// How long SQLite waits for a lock held by another connection or
    /// process (default 10 s).
    pub busy_timeout: Duration,
    /// How long to wait for a free pool connection (default 30 s).
    pub acquire_timeout: Duration,
    /// Scan job leases and retries.
    pub jobs: JobPolicy,
    /// Webhook outbox leases and retries.
    pub outbox: OutboxPolicy,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: None,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
            jobs: JobPolicy::default(),
            outbox: OutboxPolicy::default(),
        }
    }
}

/// The nis2 store over SQLite or PostgreSQL. Cheap to clone (the pool is
/// shared). Implements [`nis2_core::Store`]; the rest of its API is in
/// inherent methods grouped by subject (accounts, tokens, vendors, scans,
/// webhooks, jobs, outbox, dashboard).
#[derive(Clone, Debug)]
pub struct SqlStore {
    pub(crate) pools: Pools,
    pub(crate) jobs: JobPolicy,
    pub(crate) outbox: OutboxPolicy,
}

impl SqlStore {
    /// Opens the store with default options and runs the migrations.
    ///
    /// `target` is a `postgres://` or `postgresql://` URL (PostgreSQL), a
    /// `sqlite:` URL, `:memory:` (a private in-memory SQLite database with one
    /// connection), or else a file path: a SQLite file, created if missing,
    /// in WAL mode, with a busy timeout and foreign keys on.
    pub async fn open(target: &str) -> Result<SqlStore, Error> {
        Self::open_with(target, StoreOptions::default()).await
    }

    /// Opens the store with `options` and runs the migrations.
    pub async fn open_with(target: &str, options: StoreOptions) -> Result<SqlStore, Error> {
        let open_err = |reason: String| Error::Open {
            target: redact(target),
            reason,
        };
        let pools = if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            let connect =
                PgConnectOptions::from_str(target).map_err(|e| open_err(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.unwrap_or(10))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            migrate_postgres(&pool).await?;
            Pools::Postgres(pool)
        } else {
            let (connect, max) = if target == ":memory:" {
                (SqliteConnectOptions::from_str("sqlite::memory:")?, 1)
            } else if target.starts_with("sqlite:") {
                let c =
                    SqliteConnectOptions::from_str(target).map_err(|e| open_err(e.to_string()))?;
                (
                    c.create_if_missing(true),
                    options.max_connections.unwrap_or(4),
                )
            } else if target.trim().is_empty() || target.contains('\0') {
                return Err(open_err("not a usable path".into()));
            } else {
                (
                    SqliteConnectOptions::new()
                        .filename(target)
                        .create_if_missing(true),
                    options.max_connections.unwrap_or(4),
                )
            };
            // In-memory databases (`:memory:`, `sqlite::memory:`, `mode=memory`) have no file.
            let memory = target == ":memory:"
                || (target.starts_with("sqlite:")
                    && (target.contains(":memory:") || target.contains("mode=memory")));
            if !memory {
                create_parent_dir(connect.get_filename()).map_err(open_err)?;
            }
            let connect = connect
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(options.busy_timeout)
                .foreign_keys(true);
            Pools::Sqlite(open_sqlite(connect, max, &options).await?)
        };
        Ok(SqlStore {
            pools,
            jobs: options.jobs,
            outbox: options.outbox,
        })
    }

    /// Which database this store uses.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// This store (sharing its pool) with another scan job policy.
    pub fn with_job_policy(mut self, jobs: JobPolicy) -> Self {
        self.jobs = jobs;
        self
    }

    /// This store (sharing its pool) with another outbox policy.
    pub fn with_outbox_policy(mut self, outbox: OutboxPolicy) -> Self {
        self.outbox = outbox;
        self
    }

    /// The scan job policy in force.
    pub fn job_policy(&self) -> JobPolicy {
        self.jobs
    }

    /// The outbox policy in force.
    pub fn outbox_policy(&self) -> OutboxPolicy {
        self.outbox
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// Connects the SQLite pool and runs the migrations, starting again while
/// SQLite answers "database is locked" for up to the busy timeout.
///
/// The busy timeout alone does not cover opening: SQLite returns
/// `SQLITE_BUSY` at once, without waiting, where waiting could deadlock (two
/// connections of a new file both switching it to WAL, each holding the
/// shared lock the other needs released) and while the last connection of
/// another process is closing and cleaning up the WAL. Several processes
/// starting and stopping on one file (`nis2 serve`, `nis2 worker`, `nis2
/// scan`) meet both, so the whole open is retried with a growing pause.
async fn open_sqlite(
    connect: SqliteConnectOptions,
    max: u32,
    options: &StoreOptions,
) -> Result<SqlitePool, Error> {
    let deadline = tokio::time::Instant::now() + options.busy_timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        let attempt = async {
            let pool = SqlitePoolOptions::new()
                .max_connections(max)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect.clone())
                .await?;
            match migrate_sqlite(&pool).await {
                Ok(()) => Ok(pool),
                Err(e) => {
                    pool.close().await;
                    Err(e)
                }
            }
        };
        match attempt.await {
            Err(e) if is_busy(&e) && tokio::time::Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// Whether `e` is SQLite's `SQLITE_BUSY` or `SQLITE_LOCKED` (any extended code).
fn is_busy(e: &Error) -> bool {
    let db = match e {
        Error::Database(sqlx::Error::Database(db)) => db,
        Error::Migrate(
            sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(db))
            | sqlx::migrate::MigrateError::ExecuteMigration(sqlx::Error::Database(db), _),
        ) => db,
        _ => return false,
    };
    db.code()
        .and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Runs the SQLite migrations under the database's write lock. SQLite has no
/// advisory lock for sqlx's migrator to take (PostgreSQL's migrator takes
/// one), so without this two processes opening a new file at once (`nis2
/// serve` and `nis2 worker`) would both try to create the tables and one
/// would fail. `BEGIN IMMEDIATE` makes the second wait (busy timeout) and
/// then find the migrations applied; the migrator's own transactions become
/// savepoints inside this one.
///
/// Both migration runs are boxed as `Send` futures: that erases the migrator's
/// higher-ranked `Acquire` bounds, which otherwise keep [`SqlStore::open`]'s
/// future from being spawned on a multi-threaded runtime.
fn migrate_sqlite(pool: &SqlitePool) -> BoxFuture<'_, Result<(), Error>> {
    Box::pin(async move {
        let mut conn = pool.acquire().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        // `run_direct` is `Migrator::run` on a connection without the `Acquire`
        // bound (sqlx keeps it public for exactly this "not general enough" case).
        SQLITE_MIGRATIONS.run_direct(None, &mut *tx, false).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Runs the PostgreSQL migrations (sqlx's migrator holds an advisory lock
/// meanwhile, so concurrent start-ups wait for each other).
fn migrate_postgres(pool: &PgPool) -> BoxFuture<'_, Result<(), Error>> {
    Box::pin(async move {
        POSTGRES_MIGRATIONS.run(pool).await?;
        Ok(())
    })
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Creates the directories a SQLite file goes in, so a path like
/// `/var/lib/nis2/nis2.db` works on first start.
fn create_parent_dir(file: &std::path::Path) -> Result<(), String> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create directory {}: {e}", dir.display())),
        _ => Ok(()),
    }
}

/// The target without a password, for error messages.
fn redact(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://") else {
        return target.chars().take(200).collect();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{user}:***@{host}")
        }
        None => authority.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("./nis2.db"), "./nis2.db");
    }
}
