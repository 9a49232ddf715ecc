//! Shared test support: a fresh store on SQLite (temporary file) or on the
//! local PostgreSQL (a database of its own, dropped afterwards), and fixtures.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::Once;

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

/// A store under test and what keeps its database alive.
pub struct Ctx {
    pub store: SqlStore,
    /// What was passed to `SqlStore::open` (reopen it, hand it to a child process).
    pub target: String,
    _guard: Guard,
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
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
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

pub async fn sqlite() -> Ctx {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nis2.db").to_str().unwrap().to_owned();
    let store = SqlStore::open(&target).await.unwrap();
    Ctx {
        store,
        target,
        _guard: Guard::Sqlite(dir),
    }
}

/// A fresh PostgreSQL database, or `None` (with a plain notice) when the
/// server cannot be reached and `NIS2_REQUIRE_POSTGRES=1` is not set.
pub async fn postgres() -> Option<Ctx> {
    static NOTICE: Once = Once::new();
    let admin = pg_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            assert!(
                !require_postgres(),
                "NIS2_REQUIRE_POSTGRES=1 but PostgreSQL at {admin} is not reachable: {e}"
            );
            NOTICE.call_once(|| {
                // Written to the real stderr so the test harness does not swallow it.
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL tests NOT RUN: cannot connect to {admin}: {e}"
                );
            });
            return None;
        }
    };
    let name = format!("nis2_t_{}", Uuid::new_v4().simple());
    let mut tries = 0;
    loop {
        let sql = format!("CREATE DATABASE {name}");
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
        {
            Ok(_) => break,
            // Concurrent CREATE DATABASE can trip over each other on the template; try again.
            Err(e) if tries < 5 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot create test database: {e}"),
        }
    }
    let _ = conn.close().await;
    let base = admin.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    let target = format!("{server}/{name}");
    let guard = Guard::Postgres { name };
    let store = SqlStore::open(&target).await.unwrap();
    Some(Ctx {
        store,
        target,
        _guard: guard,
    })
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
                    super::$name(&ctx).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(ctx) = $crate::common::postgres().await else { return };
                    super::$name(&ctx).await;
                }
            )*
        }
    };
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
