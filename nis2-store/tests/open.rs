//! Opening stores: SQLite files, bad targets, and the two migration files
//! staying one logical schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nis2_core::Timestamp;
use nis2_store::{Backend, Error, NewVendor, SqlStore, StoreOptions};
use sqlx::Connection;

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    assert!(!path.exists());
    let store = SqlStore::open(path.to_str().unwrap()).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists());
    let now = Timestamp::UNIX_EPOCH;
    let a = store.create_account("Acme", None, now).await.unwrap();
    store
        .create_vendor(a.id, &NewVendor::new("v.example", true), now)
        .await
        .unwrap();
    store.close().await;

    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for t in [
        "accounts",
        "api_tokens",
        "outbox",
        "scan_jobs",
        "scans",
        "vendors",
        "webhook_endpoints",
    ] {
        assert!(tables.iter().any(|n| n == t), "{t} missing from {tables:?}");
    }
    conn.close().await.unwrap();

    // Foreign keys are on for the store's connections: a vendor of a missing account cannot be written.
    let store = SqlStore::open(path.to_str().unwrap()).await.unwrap();
    let ghost = nis2_core::AccountId(uuid::Uuid::new_v4());
    assert!(matches!(
        store
            .create_vendor(ghost, &NewVendor::new("x.example", true), now)
            .await,
        Err(Error::NotFound { what: "account" })
    ));
}

#[tokio::test]
async fn missing_directories_of_a_sqlite_path_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("no/such/dir/x.db");
    let store = SqlStore::open(nested.to_str().unwrap()).await.unwrap();
    store
        .create_account("Acme", None, Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    store.close().await;
    assert!(nested.is_file());
    // A `sqlite:` URL too.
    let url_path = dir.path().join("other/dir/y.db");
    let store = SqlStore::open(&format!("sqlite://{}", url_path.display()))
        .await
        .unwrap();
    store.close().await;
    assert!(url_path.is_file());
}

/// `nis2 serve` and `nis2 worker` started at once on a new SQLite file: every
/// process's migrations succeed (SQLite has no advisory lock; the store
/// serializes them under the write lock) and the schema is there once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_opens_of_a_new_sqlite_file_all_succeed() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("race.db").to_str().unwrap().to_owned();
        let opens: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                tokio::spawn(async move { SqlStore::open(&path).await })
            })
            .collect();
        for o in opens {
            let store = o
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
            store.close().await;
        }
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
            .unwrap()
            .count();
        assert_eq!(
            applied,
            i64::try_from(embedded).unwrap(),
            "each migration once"
        );
        conn.close().await.unwrap();
    }
}

#[tokio::test]
async fn unusable_targets_are_errors() {
    assert!(matches!(SqlStore::open("").await, Err(Error::Open { .. })));
    assert!(
        matches!(SqlStore::open("postgres://u:pw@/%%%").await, Err(Error::Open { target, .. }) if !target.contains("pw"))
    );
    // A directory where the file's parent directory should be: a clear error naming it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let under_file = file.join("x.db");
    let err = SqlStore::open(under_file.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Open { reason, .. } if reason.contains("cannot create directory")),
        "{err:?}"
    );
    // A file that is not a SQLite database: an error, and the file is left as it was.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database file, it is text").unwrap();
    assert!(SqlStore::open(junk.to_str().unwrap()).await.is_err());
    assert_eq!(
        std::fs::read(&junk).unwrap(),
        b"this is not a database file, it is text"
    );
    // Nothing listens on port 1: an error after the acquire timeout, not a hang or a panic.
    let quick = StoreOptions {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..StoreOptions::default()
    };
    let err = SqlStore::open_with("postgres://postgres@127.0.0.1:1/none", quick)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
}

#[tokio::test]
async fn in_memory_store_works() {
    let store = SqlStore::open(":memory:").await.unwrap();
    let a = store
        .create_account("Acme", None, Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(store.account(a.id).await.unwrap(), a);
}

/// The SQLite and PostgreSQL migrations differ only in types.
#[test]
fn migrations_are_one_logical_schema() {
    let root = env!("CARGO_MANIFEST_DIR");
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(format!("{root}/migrations/{dir}"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    let files = names("sqlite");
    assert_eq!(files, names("postgres"), "the same migrations for both");
    assert!(files.len() >= 2, "{files:?}");
    let read = |p: &str| std::fs::read_to_string(format!("{root}/migrations/{p}")).unwrap();
    let strip = |s: String| -> Vec<String> {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .map(str::to_owned)
            .collect()
    };
    for file in &files {
        let sqlite = read(&format!("sqlite/{file}"))
            .replace("BLOB PRIMARY KEY NOT NULL", "UUID PRIMARY KEY")
            .replace(
                "INTEGER PRIMARY KEY AUTOINCREMENT",
                "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            )
            .replace("BLOB", "UUID");
        assert_eq!(
            strip(sqlite),
            strip(read(&format!("postgres/{file}"))),
            "{file}"
        );
    }
}

mod common;

/// A database made by the previous release (migrations 0001 and 0002 only)
/// with vendors in it: opening it with this one adds the data version
/// (starting at 0) and keeps the data; writes bump it from there.
async fn upgrade_keeps_data_and_adds_the_data_version(target: &str, flavour: &str) {
    let dir = tempfile::tempdir().unwrap();
    for file in ["0001_initial.sql", "0002_rescan_index.sql"] {
        std::fs::copy(
            format!("{}/migrations/{flavour}/{file}", env!("CARGO_MANIFEST_DIR")),
            dir.path().join(file),
        )
        .unwrap();
    }
    let old = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    let account = uuid::Uuid::new_v4();
    let insert_account = "INSERT INTO accounts (id, name, created_at) VALUES ($1, 'Old', 0)";
    let insert_vendor = "INSERT INTO vendors (id, account_id, domain, consent_given, consent_timestamp, \
                         status, created_at) VALUES ($1, $2, 'old.example', TRUE, 0, 'pending', 0)";
    if flavour == "sqlite" {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(target)
            .create_if_missing(true);
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        old.run(&mut c).await.unwrap();
        sqlx::query(insert_account)
            .bind(account)
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(insert_vendor)
            .bind(uuid::Uuid::new_v4())
            .bind(account)
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(target).await.unwrap();
        old.run(&mut c).await.unwrap();
        sqlx::query(insert_account)
            .bind(account)
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(insert_vendor)
            .bind(uuid::Uuid::new_v4())
            .bind(account)
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    let store = SqlStore::open(target).await.unwrap();
    let a = nis2_core::AccountId(account);
    assert_eq!(store.data_version(a).await.unwrap(), 0);
    let all = store.all_vendors(a).await.unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(all.vendors[0].domain, "old.example");
    store
        .create_vendor(
            a,
            &NewVendor::new("new.example", true),
            Timestamp::UNIX_EPOCH,
        )
        .await
        .unwrap();
    assert_eq!(store.data_version(a).await.unwrap(), 1);
    store.close().await;
}

#[tokio::test]
async fn sqlite_upgrade_keeps_data_and_adds_the_data_version() {
    let fresh = common::sqlite_fresh();
    upgrade_keeps_data_and_adds_the_data_version(&fresh.target, "sqlite").await;
}

#[tokio::test]
async fn postgres_upgrade_keeps_data_and_adds_the_data_version() {
    let Some(fresh) = common::postgres_fresh("open::postgres_upgrade").await else {
        return;
    };
    upgrade_keeps_data_and_adds_the_data_version(&fresh.target, "postgres").await;
}
