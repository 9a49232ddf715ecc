//! The answer cache of `GET /vendors` and `GET /dashboard/summary` is exact:
//! with a time to live of an hour, a write made through the server (handlers
//! or its worker) or through another store handle on the same database (as
//! a `nis2 worker`, the CLI or an embedder makes it) shows in the very next
//! request, on SQLite and on PostgreSQL. The cache is really in use: a change
//! made behind the store's back (raw SQL, no data version bump) stays hidden
//! until the next store write or the time to live; zero turns the cache off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use nis2_core::{Engine, Scanner, VendorStatus};
use nis2_http::{SystemClock, WakeNotifier};
use nis2_store::{JobFailure, JobPolicy, NewVendor, SqlStore};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection as _;

async fn get(base: &str, tok: &str, path: &str) -> Value {
    let (s, _, v) = call(Method::GET, &format!("{base}{path}"), Some(tok), None).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Runs `sql` on the database behind the store's back.
async fn raw_sql(db: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if db.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(db).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{db}"))
            .await
            .unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_writes_show_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    // Long enough that any write the cache missed would show as stale.
    cfg.response_cache_ttl = Duration::from_secs(3_600);
    let scanner = SampleScanner::default();
    *scanner.delay.lock().unwrap() = Duration::from_millis(500);
    let srv = start_with(cfg, scanner.clone()).await;
    let (base, tok) = (srv.base.clone(), token("cached"));
    let other = token("cached-other");

    assert_eq!(get(&base, &tok, "/vendors").await["total"], 0);
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        0
    );
    let id = add_vendor(&base, &tok, "cached.example").await;
    assert_eq!(
        get(&base, &tok, "/vendors").await["total"],
        1,
        "create shows"
    );
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        1
    );
    // Another account's writes do not touch this account's answers, nor leak.
    add_vendor(&base, &other, "other.example").await;
    assert_eq!(get(&base, &tok, "/vendors").await["total"], 1);
    assert_eq!(get(&base, &other, "/vendors").await["total"], 1);

    let (s, _, _) = call(
        Method::POST,
        &format!("{base}/scans/trigger"),
        Some(&tok),
        Some(json!({"vendor_id": id})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        get(&base, &tok, "/vendors").await["vendors"][0]["status"],
        "scanning",
        "the trigger shows"
    );
    // The worker's result shows (polling: the scan takes 500 ms).
    let done = eventually(30, || async {
        let v = get(&base, &tok, "/vendors").await;
        (v["vendors"][0]["status"] == "complete").then_some(v)
    })
    .await;
    assert_eq!(done["vendors"][0]["current_grade"], "A");
    let d = get(&base, &tok, "/dashboard/summary").await;
    assert_eq!(d["grade_distribution"]["A"], 1, "{d}");
    assert_eq!(d["average_score"], 100);

    let (s, _, _) = call(
        Method::DELETE,
        &format!("{base}/vendors/{id}"),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        get(&base, &tok, "/vendors").await["total"],
        0,
        "delete shows"
    );
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        0
    );
    srv.stop().await;
}

/// Against a server on `db` (a SQLite path or PostgreSQL URL) whose cache
/// keeps answers for an hour: every write through another store handle
/// shows in the very next GET.
async fn writes_by_another_handle_show_in_the_next_request(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("unused.db"));
    cfg.database = db.to_owned();
    cfg.response_cache_ttl = Duration::from_secs(3_600);
    // The other handle plays the worker.
    cfg.worker.enabled = false;
    cfg.webhooks.enabled = false;
    let srv = start_with(cfg, SampleScanner::default()).await;
    let (base, tok) = (srv.base.clone(), token("elsewhere"));
    assert_eq!(get(&base, &tok, "/vendors").await["total"], 0);
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        0
    );

    // Another store handle: its own pool and connections, as another process has.
    let other = SqlStore::open(db).await.unwrap();
    let account = other
        .account_by_subject("elsewhere")
        .await
        .unwrap()
        .unwrap();
    let mut new = NewVendor::new("elsewhere.example", true);
    new.vendor_name = Some("Before".into());
    let vendor = other.create_vendor(account.id, &new, now()).await.unwrap();
    let list = get(&base, &tok, "/vendors").await;
    assert_eq!(list["total"], 1, "created elsewhere: {list}");
    assert_eq!(list["vendors"][0]["vendor_name"], "Before");
    assert_eq!(
        get(&base, &tok, "/dashboard/summary").await["total_vendors"],
        1
    );

    // The answers are really cached: a change behind the store's back
    // (no data version bump) is not seen...
    raw_sql(
        db,
        &format!(
            "UPDATE vendors SET vendor_name = 'Behind' WHERE domain = '{}'",
            vendor.domain
        ),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            get(&base, &tok, "/vendors").await["vendors"][0]["vendor_name"],
            "Before",
            "served from the cache"
        );
    }
    // ...until the next write through the store, which shows at once.
    other
        .enqueue_scan(account.id, vendor.id, now())
        .await
        .unwrap();
    let list = get(&base, &tok, "/vendors").await;
    assert_eq!(list["vendors"][0]["status"], "scanning", "{list}");
    assert_eq!(list["vendors"][0]["vendor_name"], "Behind");

    // A worker elsewhere scans it (weak: grade F, critical).
    let scanner = SampleScanner::default();
    scanner.set("elsewhere.example", Quality::Weak);
    let scanner: Arc<dyn Scanner> = Arc::new(scanner);
    let engine = Engine::new(
        scanner,
        Arc::new(other.clone()),
        Arc::new(WakeNotifier(Arc::new(tokio::sync::Notify::new()))),
        Arc::new(SystemClock),
    );
    let job = other.claim_job("elsewhere", now()).await.unwrap().unwrap();
    let current = other.vendor(account.id, vendor.id).await.unwrap();
    let out = engine.scan_vendor(&current).await.unwrap();
    let list = get(&base, &tok, "/vendors").await;
    assert_eq!(list["vendors"][0]["status"], "complete", "{list}");
    assert_eq!(
        list["vendors"][0]["current_score"],
        u64::from(out.assessment.score)
    );
    let d = get(&base, &tok, "/dashboard/summary").await;
    assert_eq!(d["average_score"], u64::from(out.assessment.score), "{d}");
    assert_eq!(d["scanned_this_month"], 1, "{d}");
    assert_eq!(
        d["grade_distribution"][out.assessment.grade.as_str()],
        1,
        "{d}"
    );
    other.complete_job(&job, now()).await.unwrap();

    // A scan that fails for good elsewhere: `error` at once.
    let once = other.clone().with_job_policy(JobPolicy {
        max_attempts: 1,
        ..JobPolicy::default()
    });
    once.enqueue_scan(account.id, vendor.id, now())
        .await
        .unwrap();
    assert_eq!(
        get(&base, &tok, "/vendors").await["vendors"][0]["status"],
        "scanning"
    );
    let job = once.claim_job("elsewhere", now()).await.unwrap().unwrap();
    assert_eq!(
        once.fail_job(&job, now(), "unreachable").await.unwrap(),
        JobFailure::Failed
    );
    assert_eq!(
        get(&base, &tok, "/vendors").await["vendors"][0]["status"],
        "error"
    );
    assert_eq!(
        other.vendor(account.id, vendor.id).await.unwrap().status,
        VendorStatus::Error
    );

    other.delete_vendor(account.id, vendor.id).await.unwrap();
    assert_eq!(get(&base, &tok, "/vendors").await["total"], 0);
    let d = get(&base, &tok, "/dashboard/summary").await;
    assert_eq!(
        (d["total_vendors"].clone(), d["average_score"].clone()),
        (json!(0), Value::Null)
    );
    other.close().await;
    srv.stop().await;
}

/// Under concurrent load (requests sharing version reads and waiting for
/// one another's answers), every request sent after a write by another
/// handle finished shows it.
async fn under_load_every_request_after_a_write_shows_it(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("unused.db"));
    cfg.database = db.to_owned();
    cfg.response_cache_ttl = Duration::from_secs(3_600);
    cfg.worker.enabled = false;
    cfg.webhooks.enabled = false;
    let mut limits = nis2_http::RateLimits::default();
    limits.get = u32::MAX;
    cfg.rate_limits = limits;
    let srv = start_with(cfg, SampleScanner::default()).await;
    let (base, tok) = (srv.base.clone(), token("loaded"));
    assert_eq!(get(&base, &tok, "/vendors").await["total"], 0);
    let other = SqlStore::open(db).await.unwrap();
    let account = other.account_by_subject("loaded").await.unwrap().unwrap();

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let http = client();
    let clients: Vec<_> = (0..16)
        .map(|i| {
            let (stop, http, tok) = (stop.clone(), http.clone(), tok.clone());
            let url = format!(
                "{base}{}",
                if i % 2 == 0 {
                    "/vendors"
                } else {
                    "/dashboard/summary"
                }
            );
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let sent = tokio::time::Instant::now();
                    let v: Value = http
                        .get(&url)
                        .bearer_auth(&tok)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let total = v["total"].as_u64().or(v["total_vendors"].as_u64()).unwrap();
                    seen.push((sent, total));
                }
                seen
            })
        })
        .collect();
    // Writes by the other handle, each time noting when it had committed.
    let mut written = Vec::new();
    for i in 0..20 {
        tokio::time::sleep(Duration::from_millis(15)).await;
        other
            .create_vendor(
                account.id,
                &NewVendor::new(format!("l{i}.example"), true),
                now(),
            )
            .await
            .unwrap();
        written.push((tokio::time::Instant::now(), i + 1));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut answers = 0;
    for c in clients {
        for (sent, total) in c.await.unwrap() {
            let due = written
                .iter()
                .filter(|(done, _)| *done < sent)
                .map(|(_, n)| *n)
                .max()
                .unwrap_or(0);
            assert!(
                total >= due,
                "a request sent after vendor {due} was written showed {total}"
            );
            answers += 1;
        }
    }
    assert!(answers > 100, "only {answers} answers");
    other.close().await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_by_another_handle_show_in_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nis2.db").display().to_string();
    writes_by_another_handle_show_in_the_next_request(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writes_by_another_handle_show_in_the_next_request() {
    let Some((url, name)) = pg_fresh_database("the answer cache").await else {
        return;
    };
    writes_by_another_handle_show_in_the_next_request(&url).await;
    pg_drop_database(&name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_under_load_every_request_after_a_write_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nis2.db").display().to_string();
    under_load_every_request_after_a_write_shows_it(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_under_load_every_request_after_a_write_shows_it() {
    let Some((url, name)) = pg_fresh_database("the answer cache under load").await else {
        return;
    };
    under_load_every_request_after_a_write_shows_it(&url).await;
    pg_drop_database(&name).await;
}

/// A change made behind the store's back shows once the time to live is
/// over; with zero, at once (no cache).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_behind_the_stores_back_show_within_the_time_to_live() {
    for ttl in [Duration::from_millis(300), Duration::ZERO] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nis2.db").display().to_string();
        let mut cfg = config(std::path::Path::new(&db));
        cfg.response_cache_ttl = ttl;
        let srv = start_with(cfg, SampleScanner::default()).await;
        let (base, tok) = (srv.base.clone(), token("behind"));
        add_vendor(&base, &tok, "behind.example").await;
        assert_eq!(
            get(&base, &tok, "/vendors").await["vendors"][0]["vendor_name"],
            "V"
        );
        raw_sql(&db, "UPDATE vendors SET vendor_name = 'Behind'").await;
        if ttl.is_zero() {
            assert_eq!(
                get(&base, &tok, "/vendors").await["vendors"][0]["vendor_name"],
                "Behind",
                "no cache"
            );
        } else {
            eventually(10, || async {
                (get(&base, &tok, "/vendors").await["vendors"][0]["vendor_name"] == "Behind")
                    .then_some(())
            })
            .await;
        }
        srv.stop().await;
    }
}
