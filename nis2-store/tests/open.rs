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
async fn unusable_targets_are_errors() {
    assert!(matches!(SqlStore::open("").await, Err(Error::Open { .. })));
    assert!(
        matches!(SqlStore::open("postgres://u:pw@/%%%").await, Err(Error::Open { target, .. }) if !target.contains("pw"))
    );
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("no/such/dir/x.db");
    assert!(SqlStore::open(nested.to_str().unwrap()).await.is_err());
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
    let read = |p: &str| std::fs::read_to_string(format!("{root}/migrations/{p}")).unwrap();
    let strip = |s: String| -> Vec<String> {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .map(str::to_owned)
            .collect()
    };
    let sqlite = read("sqlite/0001_initial.sql")
        .replace("BLOB PRIMARY KEY NOT NULL", "UUID PRIMARY KEY")
        .replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        )
        .replace("BLOB", "UUID");
    assert_eq!(strip(sqlite), strip(read("postgres/0001_initial.sql")));
}
