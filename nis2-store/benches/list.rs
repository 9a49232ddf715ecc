//! Vendor list benchmark: what `GET /vendors` reads. One account with 1,000
//! vendors (all scanned; another account has 100 more), on SQLite
//! (temporary file) and PostgreSQL (a database of its own at
//! `NIS2_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`;
//! skipped with a notice when unreachable). Times, median and minimum of
//! many runs, one request at a time:
//!
//! - `all_vendors` (one statement; on SQLite the rows aggregated as JSON by
//!   the database) and `list_vendors` in two pages of 500;
//! - the same rows fetched one by one through sqlx, not decoded (how the
//!   store read them before, less the decoding), for comparison;
//! - encoding the list as JSON (what the server does next);
//! - `data_version` (what every cached `GET` reads).
//!
//! Run: `cargo bench -p nis2-store --bench list [-- <words>]` (only the
//! measurements whose name contains one of the words). Prints figures;
//! asserts no timings.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use nis2_core::Timestamp;
use nis2_store::{NewVendor, Page, SqlStore};
use sqlx::Connection;
use uuid::Uuid;

const VENDORS: usize = 1_000;

fn now() -> Timestamp {
    time::OffsetDateTime::now_utc().into()
}

async fn time<F, Fut, T>(what: &str, runs: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    // `cargo bench --bench list -- <words>`: only measurements naming one of them.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !only.is_empty() && !only.iter().any(|w| what.contains(w.as_str())) {
        return;
    }
    std::hint::black_box(f().await); // warm the statement cache
    let mut times: Vec<Duration> = (0..runs).map(|_| Duration::ZERO).collect::<Vec<_>>();
    for t in &mut times {
        let start = Instant::now();
        std::hint::black_box(f().await);
        *t = start.elapsed();
    }
    times.sort();
    println!(
        "{what:<58} median {:>7.3} ms  min {:>7.3} ms",
        times[runs / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}

/// The vendor columns, read one row at a time (the former query).
const ROWS: &str = "SELECT id, account_id, domain, vendor_name, notes, consent_given, consent_timestamp, \
    status, current_score, current_grade, risk_level, last_scanned_at, created_at \
    FROM vendors WHERE account_id = $1 ORDER BY created_at DESC, id DESC";

async fn bench(target: &str) {
    let store = SqlStore::open(target).await.unwrap();
    let account = store.create_account("Bench", None, now()).await.unwrap().id;
    let other = store.create_account("Other", None, now()).await.unwrap().id;
    for i in 0..100 {
        store
            .create_vendor(other, &NewVendor::new(format!("o{i}.example"), true), now())
            .await
            .unwrap();
    }
    for i in 0..VENDORS {
        let mut v = NewVendor::new(format!("vendor-{i:04}.example"), true);
        v.vendor_name = Some(format!("Vendor {i}"));
        store.create_vendor(account, &v, now()).await.unwrap();
    }
    let scanned = "UPDATE vendors SET status = 'complete', current_score = 80, current_grade = 'B', \
                   risk_level = 'Low', last_scanned_at = created_at";
    let sqlite = !target.starts_with("postgres");
    if sqlite {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{target}"))
            .await
            .unwrap();
        sqlx::raw_sql(scanned).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(target).await.unwrap();
        sqlx::raw_sql(scanned).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    let all = store.all_vendors(account).await.unwrap();
    assert_eq!(all.vendors.len(), VENDORS);

    time("all_vendors (1,000, one statement)", 50, || async {
        store.all_vendors(account).await.unwrap()
    })
    .await;
    time("list_vendors, two pages of 500", 50, || async {
        let mut v = Vec::new();
        for offset in [0, 500] {
            v.extend(
                store
                    .list_vendors(account, Page { offset, limit: 500 })
                    .await
                    .unwrap()
                    .vendors,
            );
        }
        v
    })
    .await;
    if sqlite {
        let pool = sqlx::SqlitePool::connect_with(
            sqlx::sqlite::SqliteConnectOptions::new().filename(target),
        )
        .await
        .unwrap();
        time(
            "row by row through sqlx (former query, no decoding)",
            50,
            || async {
                sqlx::query(ROWS)
                    .bind(account.0)
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                    .len()
            },
        )
        .await;
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(target).await.unwrap();
        time(
            "row by row through sqlx (former query, no decoding)",
            50,
            || async {
                sqlx::query(ROWS)
                    .bind(account.0)
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                    .len()
            },
        )
        .await;
        pool.close().await;
    }
    time(
        "JSON encoding of the 1,000 vendors (serde_json)",
        50,
        || async { serde_json::to_vec(&all).unwrap().len() },
    )
    .await;
    time("data_version", 500, || async {
        store.data_version(account).await.unwrap()
    })
    .await;
    store.close().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.db").display().to_string();
        println!("== SQLite ({path})");
        bench(&path).await;

        let admin = std::env::var("NIS2_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        match sqlx::PgConnection::connect(&admin).await {
            Err(e) => println!("== PostgreSQL NOT RUN: cannot connect to {admin}: {e}"),
            Ok(mut conn) => {
                let name = format!("nis2_bench_{}", Uuid::new_v4().simple());
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let (server, _) = admin.split('?').next().unwrap().rsplit_once('/').unwrap();
                let url = format!("{server}/{name}");
                println!("== PostgreSQL ({url})");
                bench(&url).await;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .unwrap();
            }
        }
    });
}
