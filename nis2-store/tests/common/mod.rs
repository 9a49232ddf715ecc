//! Shared test support: a fresh store on SQLite (temporary file) or on the
//! local PostgreSQL (a database of its own, dropped afterwards), and fixtures.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use nis2_core::events::{Previous, Subject};
use nis2_core::{
    AccountId, Assessment, CheckId, Event, Finding, Grade, METHOD_VERSION, Nis2Mapping,
    Observations, RiskLevel, ScanId, Severity, Status, Timestamp, VendorId,
};
use nis2_store::SqlStore;
use sqlx::Connection;
use uuid::Uuid;

/// The admin database for PostgreSQL tests.
pub fn pg_admin_url() -> String {
    std::env::var("NIS2_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn require_postgres() -> bool {
    std::env::var("NIS2_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Test databases are named `nis2_t_<unix seconds>_<random>`; ones older
/// than this were left by a killed test run and are dropped.
const STALE_SECS: u64 = 6 * 3_600;

/// A store under test and what keeps its database alive.
pub struct Ctx {
    pub store: SqlStore,
    /// What was passed to `SqlStore::open` (reopen it, hand it to a child process).
    pub target: String,
    _guard: Guard,
}

/// A database of its own for one test, not yet opened (no migrations run):
/// the SQLite file's path (in a temporary directory) or the PostgreSQL URL.
pub struct Fresh {
    pub target: String,
    guard: Guard,
}

impl Fresh {
    /// Opens it with the store (running the migrations).
    pub async fn open(self) -> Ctx {
        let store = SqlStore::open(&self.target).await.unwrap();
        Ctx {
            store,
            target: self.target,
            _guard: self.guard,
        }
    }
}

enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { name: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres { name } = self {
            let name = name.clone();
            // Drop the test database from a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = admin_connection().await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A fresh SQLite file in a temporary directory, not yet opened.
pub fn sqlite_fresh() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nis2.db").to_str().unwrap().to_owned();
    Fresh {
        target,
        guard: Guard::Sqlite(dir),
    }
}

pub async fn sqlite() -> Ctx {
    sqlite_fresh().open().await
}

async fn admin_connection() -> Result<sqlx::PgConnection, String> {
    let admin = pg_admin_url();
    match tokio::time::timeout(
        std::time::Duration::from_secs(10),
        sqlx::PgConnection::connect(&admin),
    )
    .await
    {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 10 s".into()),
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Drops test databases left over by killed runs (once per test process).
async fn drop_stale_databases(conn: &mut sqlx::PgConnection) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'nis2\\_t\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let now = unix_secs();
    for name in names {
        let born = name
            .strip_prefix("nis2_t_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if born.is_some_and(|b| b + STALE_SECS < now)
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// A fresh PostgreSQL database of its own for `test`, not yet opened; or
/// `None`, after saying plainly on stderr that `test` was NOT RUN, when the
/// server cannot be reached — a test failure instead when
/// `NIS2_REQUIRE_POSTGRES=1`.
pub async fn postgres_fresh(test: &str) -> Option<Fresh> {
    let admin = pg_admin_url();
    let mut conn = match admin_connection().await {
        Ok(c) => c,
        Err(e) => {
            assert!(
                !require_postgres(),
                "NIS2_REQUIRE_POSTGRES=1 but PostgreSQL at {admin} is not reachable: {e}"
            );
            // Written to the real stderr so the test harness does not swallow it.
            let _ = writeln!(
                std::io::stderr(),
                "NOT RUN: {test} on PostgreSQL: cannot connect to {admin}: {e} \
                 (NIS2_REQUIRE_POSTGRES=1 makes this a failure)"
            );
            return None;
        }
    };
    drop_stale_databases(&mut conn).await;
    let name = format!(
        "nis2_t_{}_{}",
        unix_secs(),
        &Uuid::new_v4().simple().to_string()[..12]
    );
    let mut tries = 0;
    loop {
        let sql = format!("CREATE DATABASE {name}");
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
        {
            Ok(_) => break,
            // Concurrent CREATE DATABASE can trip over each other on the template; try again.
            Err(_) if tries < 10 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot create test database: {e}"),
        }
    }
    let _ = conn.close().await;
    let base = admin.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    Some(Fresh {
        target: format!("{server}/{name}"),
        guard: Guard::Postgres { name },
    })
}

/// A store on a fresh PostgreSQL database of its own (see [`postgres_fresh`]).
pub async fn postgres(test: &str) -> Option<Ctx> {
    Some(postgres_fresh(test).await?.open().await)
}

/// Runs each named `async fn(&Ctx)` against SQLite and PostgreSQL.
#[macro_export]
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let ctx = $crate::common::sqlite().await;
                    assert_eq!(ctx.store.backend(), nis2_store::Backend::Sqlite);
                    super::$name(&ctx).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = concat!(module_path!(), "::", stringify!($name));
                    let Some(ctx) = $crate::common::postgres(test).await else { return };
                    assert_eq!(ctx.store.backend(), nis2_store::Backend::Postgres);
                    super::$name(&ctx).await;
                }
            )*
        }
    };
}

/// Runs raw SQL on the test's database behind the store's back (set-up the
/// store's API cannot make: triggers, corrupt rows, row locks).
pub async fn exec(ctx: &Ctx, sql: &str) {
    match ctx.store.backend() {
        nis2_store::Backend::Sqlite => {
            let mut c = sqlite_conn(&ctx.target).await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        }
        nis2_store::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&ctx.target).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        }
    }
}

pub async fn sqlite_conn(path: &str) -> sqlx::SqliteConnection {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(std::time::Duration::from_secs(10));
    sqlx::SqliteConnection::connect_with(&opts).await.unwrap()
}

/// The store's tables.
pub const TABLES: [&str; 7] = [
    "accounts",
    "api_tokens",
    "vendors",
    "scans",
    "webhook_endpoints",
    "outbox",
    "scan_jobs",
];

/// Every row of every table as text, sorted: equal before and after means
/// the database was not changed at all.
pub async fn fingerprint(ctx: &Ctx) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    match ctx.store.backend() {
        nis2_store::Backend::Sqlite => {
            let mut c = sqlite_conn(&ctx.target).await;
            for t in TABLES {
                let cols: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                        .bind(t)
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                assert!(!cols.is_empty(), "no table {t}");
                let expr = cols
                    .iter()
                    .map(|c| format!("quote({c})"))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ");
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    // hex(): rows may hold bytes that are not UTF-8 (the corrupt-row tests).
                    "SELECT hex({expr}) FROM {t} ORDER BY 1"
                )))
                .fetch_all(&mut c)
                .await
                .unwrap();
                out.push((t.to_owned(), rows));
            }
            c.close().await.unwrap();
        }
        nis2_store::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&ctx.target).await.unwrap();
            for t in TABLES {
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(x AS TEXT) FROM {t} x ORDER BY 1"
                )))
                .fetch_all(&mut c)
                .await
                .unwrap();
                out.push((t.to_owned(), rows));
            }
            c.close().await.unwrap();
        }
    }
    out
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// A minimal assessment with the given failing checks.
pub fn assessment(score: u8, at: Timestamp, failing: &[CheckId]) -> Assessment {
    let grade = Grade::from_score(score);
    let risk_level = match grade {
        Grade::A | Grade::B => RiskLevel::Low,
        Grade::C => RiskLevel::Medium,
        Grade::D => RiskLevel::High,
        Grade::F => RiskLevel::Critical,
    };
    Assessment {
        score,
        grade,
        risk_level,
        deductions: vec![],
        bonuses: vec![],
        nis2_mapping: Nis2Mapping::default(),
        critical_risks: vec![],
        positive_findings: vec!["TLS 1.3 offered".into()],
        remediation_steps: vec![],
        technical_summary: format!("score {score}"),
        executive_summary: "summary".into(),
        method: METHOD_VERSION.into(),
        assessed_at: at,
        findings: failing
            .iter()
            .map(|c| Finding {
                check_id: *c,
                status: Status::Fail,
                severity: Severity::High,
                penalty: 10,
                bonus: 0,
                cap: None,
                evidence: "seen".into(),
            })
            .collect(),
    }
}

pub fn observations(domain: &str, at: Timestamp) -> Observations {
    let mut o = Observations::new(domain);
    o.scanned_at = Some(at);
    o
}

/// The events core raises for this scan.
pub fn events_for(
    vendor: VendorId,
    domain: &str,
    previous: Option<&Assessment>,
    current: &Assessment,
) -> Vec<Event> {
    nis2_core::events::events(
        previous.map(Previous::from),
        current,
        Subject {
            vendor_id: vendor,
            domain,
            pdf_url: None,
        },
    )
}

/// Records a scan through the core port; returns its id and assessment.
pub async fn record(
    store: &SqlStore,
    account: AccountId,
    vendor: VendorId,
    domain: &str,
    score: u8,
    at: Timestamp,
) -> (ScanId, Assessment) {
    use nis2_core::Store as _;
    let a = assessment(score, at, &[CheckId::TlsTls10Enabled]);
    let o = observations(domain, at);
    let events = events_for(vendor, domain, None, &a);
    let id = ScanId(Uuid::new_v4());
    store
        .record_scan(nis2_core::NewScan {
            scan_id: id,
            account_id: account,
            vendor_id: vendor,
            observations: &o,
            assessment: &a,
            events: &events,
        })
        .await
        .unwrap();
    (id, a)
}

/// Whether `needle` is stored anywhere in the database (any column of any
/// table). SQLite fingerprints are hex, so the needle is compared as hex there.
pub async fn stored_anywhere(ctx: &Ctx, needle: &str) -> bool {
    let needle = match ctx.store.backend() {
        nis2_store::Backend::Sqlite => needle
            .bytes()
            .map(|b| format!("{b:02X}"))
            .collect::<String>(),
        nis2_store::Backend::Postgres => needle.to_owned(),
    };
    fingerprint(ctx)
        .await
        .iter()
        .any(|(_, rows)| rows.iter().any(|r| r.contains(&needle)))
}
