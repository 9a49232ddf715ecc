//! The contract suite: every case runs against SQLite (a temporary file) and
//! against PostgreSQL (a database of its own).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{
    Ctx, assessment, events_for, exec, fingerprint, observations, record, stored_anywhere, ts,
};
use nis2_core::{
    AccountId, CheckId, Grade, NewScan, RiskLevel, ScanId, Store as _, StoreError, Timestamp,
    VendorId, VendorStatus,
};
use nis2_store::{
    DeliveryFailure, Error, JobFailure, JobPolicy, JobState, NewVendor, OutboxPolicy, OutboxState,
    Page, SqlStore, limits,
};
use uuid::Uuid;

contract!(
    migrations_run_once_and_reopen,
    accounts,
    vendors_create_get_list_delete,
    vendor_rules,
    deleting_a_vendor_removes_its_scans_and_jobs,
    bad_input_changes_nothing,
    record_scan_updates_vendor_and_outbox,
    record_scan_rolls_back_on_conflict,
    older_scan_does_not_replace_current,
    scans_of_the_same_second_come_last_stored_first,
    record_scan_failure_sets_error,
    isolation_between_accounts,
    jobs_enqueue_claim_heartbeat_complete,
    jobs_concurrent_enqueue_makes_one_job,
    jobs_expired_lease_is_reclaimed,
    jobs_retry_with_backoff_then_fail,
    jobs_dead_worker_on_last_attempt_is_failed,
    jobs_periodic_rescans,
    outbox_claim_deliver_retry_dead,
    dashboard_summary,
    api_tokens,
    webhook_endpoints,
    scan_and_its_events_commit_together,
    outbox_backoff_is_capped,
    jobs_concurrent_rescans_make_one_job_per_vendor,
    data_version_follows_every_listed_change,
    data_version_is_shared_by_all_handles,
    jobs_release_gives_the_job_back_uncounted,
    vendor_lists_read_back_every_value_exactly,
);

const NOW: &str = "2026-06-27T10:00:00Z";

async fn account(s: &SqlStore, name: &str) -> AccountId {
    s.create_account(name, None, ts(NOW)).await.unwrap().id
}

async fn vendor(s: &SqlStore, account: AccountId, domain: &str) -> VendorId {
    s.create_vendor(account, &NewVendor::new(domain, true), ts(NOW))
        .await
        .unwrap()
        .id
}

fn secs(t: Timestamp, s: i64) -> Timestamp {
    Timestamp::from_unix(t.unix() + s).unwrap()
}

async fn migrations_run_once_and_reopen(ctx: &Ctx) {
    let a = account(&ctx.store, "Acme").await;
    let v = vendor(&ctx.store, a, "vendor.example").await;
    // Opening again runs the (already applied) migrations again without harm and sees the data.
    let again = SqlStore::open(&ctx.target).await.unwrap();
    assert_eq!(again.backend(), ctx.store.backend());
    assert_eq!(again.vendor(a, v).await.unwrap().domain, "vendor.example");
    again.close().await;
}

async fn accounts(ctx: &Ctx) {
    let s = &ctx.store;
    let a = s
        .create_account("Acme", Some("auth0|1"), ts(NOW))
        .await
        .unwrap();
    assert_eq!(a.name, "Acme");
    assert_eq!(a.created_at, ts(NOW));
    assert_eq!(s.account(a.id).await.unwrap(), a);
    assert_eq!(
        s.account_by_subject("auth0|1").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(s.account_by_subject("auth0|2").await.unwrap(), None);
    let dup = s
        .create_account("Other", Some("auth0|1"), ts(NOW))
        .await
        .unwrap_err();
    assert!(matches!(dup, Error::Conflict { .. }), "{dup}");
    // Get-or-create: the existing account, then a new one, then the same new one again.
    assert_eq!(
        s.account_for_subject("auth0|1", "ignored", ts(NOW))
            .await
            .unwrap(),
        a
    );
    let b = s
        .account_for_subject("auth0|2", "Beta", ts(NOW))
        .await
        .unwrap();
    assert_eq!(b.name, "Beta");
    assert_eq!(
        s.account_for_subject("auth0|2", "Beta again", ts(NOW))
            .await
            .unwrap(),
        b
    );
    let missing = s.account(AccountId(Uuid::new_v4())).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound { what: "account" }));
    assert!(matches!(
        s.create_account("", None, ts(NOW)).await,
        Err(Error::Invalid { .. })
    ));
}

async fn vendors_create_get_list_delete(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let new = NewVendor {
        domain: " Stripe.COM. ".into(),
        vendor_name: Some("Stripe Inc".into()),
        notes: Some("Payment processor".into()),
        consent_given: true,
    };
    let v = s.create_vendor(a, &new, ts(NOW)).await.unwrap();
    assert_eq!(v.domain, "stripe.com");
    assert_eq!(v.status, VendorStatus::Pending);
    assert_eq!(v.consent_timestamp, ts(NOW));
    assert_eq!(v.created_at, ts(NOW));
    assert!(v.consent_given);
    assert_eq!(
        (
            v.current_score,
            v.current_grade,
            v.risk_level,
            v.last_scanned_at
        ),
        (None, None, None, None)
    );
    assert_eq!(s.vendor(a, v.id).await.unwrap(), v);

    // 120 more vendors, one second apart: pages come newest first, with the total.
    let t0 = ts(NOW);
    for i in 0..120 {
        s.create_vendor(
            a,
            &NewVendor::new(format!("v{i:03}.example"), true),
            secs(t0, i + 1),
        )
        .await
        .unwrap();
    }
    let first = s.list_vendors(a, Page::default()).await.unwrap();
    assert_eq!(first.total, 121);
    assert_eq!(first.vendors.len(), 50);
    assert_eq!(first.vendors[0].domain, "v119.example");
    let last = s
        .list_vendors(
            a,
            Page {
                offset: 100,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(last.vendors.len(), 21);
    assert_eq!(last.vendors[20].domain, "stripe.com");
    let mut all = Vec::new();
    for p in 0..3 {
        all.extend(
            s.list_vendors(
                a,
                Page {
                    offset: p * 50,
                    limit: 50,
                },
            )
            .await
            .unwrap()
            .vendors,
        );
    }
    all.sort_by(|x, y| x.domain.cmp(&y.domain));
    all.dedup_by(|x, y| x.id == y.id);
    assert_eq!(all.len(), 121, "pages overlap or miss vendors");

    s.delete_vendor(a, v.id).await.unwrap();
    assert!(matches!(
        s.vendor(a, v.id).await,
        Err(Error::NotFound { what: "vendor" })
    ));
    assert!(matches!(
        s.delete_vendor(a, v.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(s.list_vendors(a, Page::default()).await.unwrap().total, 120);
    // The domain can be added again once deleted.
    s.create_vendor(a, &NewVendor::new("stripe.com", true), ts(NOW))
        .await
        .unwrap();
}

async fn deleting_a_vendor_removes_its_scans_and_jobs(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    let (scan, _) = record(s, a, v, "vendor.example", 80, ts(NOW)).await;
    let job = s.enqueue_scan(a, v, ts(NOW)).await.unwrap().job;
    s.delete_vendor(a, v).await.unwrap();
    assert!(matches!(s.scan(a, scan).await, Err(Error::NotFound { .. })));
    assert!(matches!(
        s.job(a, job.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(s.claim_job("w", ts(NOW)).await.unwrap(), None);
    // Events already raised are still delivered.
    assert_eq!(s.outbox_entries(a, 10).await.unwrap().len(), 1);
}

async fn vendor_rules(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let b = account(s, "Beta").await;
    vendor(s, a, "vendor.example").await;
    // Same domain, other spelling: a duplicate.
    let dup = s
        .create_vendor(a, &NewVendor::new("VENDOR.example.", true), ts(NOW))
        .await
        .unwrap_err();
    assert!(
        matches!(&dup, Error::Conflict { message } if message.contains("vendor.example")),
        "{dup}"
    );
    // The same domain in another account is fine.
    vendor(s, b, "vendor.example").await;
    // No consent, no vendor.
    let no = s
        .create_vendor(a, &NewVendor::new("other.example", false), ts(NOW))
        .await
        .unwrap_err();
    assert!(matches!(
        no,
        Error::Invalid {
            field: "consent_given",
            ..
        }
    ));
    // A missing account.
    let ghost = AccountId(Uuid::new_v4());
    let e = s
        .create_vendor(ghost, &NewVendor::new("x.example", true), ts(NOW))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { what: "account" }));
    assert_eq!(s.list_vendors(a, Page::default()).await.unwrap().total, 1);
    // Port mapping.
    assert!(matches!(StoreError::from(dup), StoreError::Conflict { .. }));
    assert!(matches!(StoreError::from(no), StoreError::Invalid { .. }));
}

async fn bad_input_changes_nothing(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "kept.example").await;
    let before = s.list_vendors(a, Page::first(500)).await.unwrap();
    let version = s.data_version(a).await.unwrap();
    // Every row of every table: what "unchanged" is checked against.
    let untouched = fingerprint(ctx).await;
    assert!(
        untouched
            .iter()
            .any(|(t, rows)| t == "vendors" && rows.len() == 1)
    );

    let long_domain = format!("{}.example", "a".repeat(250));
    let cases: Vec<(NewVendor, &str)> = vec![
        (NewVendor::new(long_domain, true), "domain"),
        (NewVendor::new("", true), "domain"),
        (NewVendor::new("nul\0.example", true), "domain"),
        (NewVendor::new("a b.example", true), "domain"),
        (
            NewVendor {
                notes: Some("x".repeat(limits::NOTES + 1)),
                ..NewVendor::new("notes.example", true)
            },
            "notes",
        ),
        (
            NewVendor {
                notes: Some("a\0b".into()),
                ..NewVendor::new("nulnotes.example", true)
            },
            "notes",
        ),
        (
            NewVendor {
                vendor_name: Some("n".repeat(limits::VENDOR_NAME + 1)),
                ..NewVendor::new("n.example", true)
            },
            "vendor_name",
        ),
        (
            NewVendor {
                vendor_name: Some("\0".into()),
                ..NewVendor::new("n2.example", true)
            },
            "vendor_name",
        ),
        (NewVendor::new("kept.example", true), "duplicate"),
        (NewVendor::new(" KEPT.Example. ", true), "duplicate"),
        (NewVendor::new("no-consent.example", false), "consent_given"),
    ];
    for (new, what) in cases {
        let err = s.create_vendor(a, &new, ts(NOW)).await.unwrap_err();
        match (what, &err) {
            ("duplicate", Error::Conflict { .. }) => {}
            (field, Error::Invalid { field: f, .. } | Error::TooLong { field: f, .. }) => {
                assert_eq!(*f, field)
            }
            _ => panic!("{what}: unexpected {err:?}"),
        }
        assert!(!err.to_string().is_empty());
        assert_eq!(
            fingerprint(ctx).await,
            untouched,
            "{what}: database changed"
        );
    }
    // Bad account and token input.
    assert!(matches!(
        s.create_account(&"n".repeat(limits::ACCOUNT_NAME + 1), None, ts(NOW))
            .await,
        Err(Error::TooLong { .. })
    ));
    assert!(matches!(
        s.create_account("Acme", Some("sub\0"), ts(NOW)).await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        s.create_api_token(a, &"t".repeat(limits::TOKEN_NAME + 1), ts(NOW))
            .await,
        Err(Error::TooLong { .. })
    ));
    assert_eq!(fingerprint(ctx).await, untouched);
    // Limits are inclusive: exactly at the limit is accepted.
    let at_limit = NewVendor {
        notes: Some("é".repeat(limits::NOTES)),
        ..NewVendor::new(format!("{}.example", "b".repeat(limits::DOMAIN - 8)), true)
    };
    let ok = s.create_vendor(a, &at_limit, ts(NOW)).await.unwrap();
    assert_eq!(ok.domain.len(), limits::DOMAIN);
    s.delete_vendor(a, ok.id).await.unwrap();
    assert_eq!(s.list_vendors(a, Page::first(500)).await.unwrap(), before);
    // The account's data version moved on by the two listed changes; set
    // back, nothing else differs.
    assert_eq!(s.data_version(a).await.unwrap(), version + 2);
    exec(
        ctx,
        &format!("UPDATE accounts SET data_version = {version}"),
    )
    .await;
    assert_eq!(fingerprint(ctx).await, untouched);

    // A scan with an impossible score is refused and writes nothing (no scan, no outbox row).
    let mut bad = assessment(90, ts(NOW), &[]);
    bad.score = 101;
    let o = observations("kept.example", ts(NOW));
    let err = s
        .record_scan(NewScan {
            scan_id: ScanId(Uuid::new_v4()),
            account_id: a,
            vendor_id: v,
            observations: &o,
            assessment: &bad,
            events: &events_for(v, "kept.example", None, &bad),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert!(
        s.scan_history(a, v, Page::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.outbox_entries(a, 100).await.unwrap().is_empty());
    assert_eq!(s.vendor(a, v).await.unwrap(), before.vendors[0]);
    assert_eq!(
        fingerprint(ctx).await,
        untouched,
        "bad scan wrote something"
    );

    // Bad webhook input leaves the endpoint as it was.
    s.set_webhook_endpoint(a, "https://hooks.example/a", "s3cret", ts(NOW))
        .await
        .unwrap();
    let with_endpoint = fingerprint(ctx).await;
    for (url, secret) in [
        ("ftp://x", "s"),
        ("https://h/x", ""),
        ("https://h/\0", "s"),
        ("https://h/x", "a\0"),
    ] {
        assert!(
            s.set_webhook_endpoint(a, url, secret, ts(NOW))
                .await
                .is_err(),
            "{url:?} {secret:?}"
        );
    }
    let long = format!("https://h/{}", "x".repeat(limits::URL));
    assert!(matches!(
        s.set_webhook_endpoint(a, &long, "s", ts(NOW)).await,
        Err(Error::TooLong { .. })
    ));
    assert_eq!(
        s.webhook_endpoint(a).await.unwrap().unwrap().url,
        "https://hooks.example/a"
    );
    assert_eq!(fingerprint(ctx).await, with_endpoint);
}

/// Two scans in one second (the engine's clock is truncated to seconds):
/// the one stored last is the newest everywhere, whatever its random id.
async fn scans_of_the_same_second_come_last_stored_first(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    let t = ts("2026-06-01T08:00:00Z");
    let mut ids = Vec::new();
    // Ids in descending order, so that a tie broken by id alone would put
    // the first stored scan first.
    for (score, id) in [(90u8, u128::MAX), (40, 2), (70, 1)] {
        let asmt = assessment(score, t, &[CheckId::HttpHstsMissing]);
        let obs = observations("vendor.example", t);
        let id = ScanId(Uuid::from_u128(id));
        s.record_scan(NewScan {
            scan_id: id,
            account_id: a,
            vendor_id: v,
            observations: &obs,
            assessment: &asmt,
            events: &[],
        })
        .await
        .unwrap();
        ids.push(id);
        // created_at is in microseconds: make each store call a later one.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    ids.reverse();
    let history = s.scan_history(a, v, Page::default()).await.unwrap();
    assert_eq!(history.iter().map(|h| h.id).collect::<Vec<_>>(), ids);
    assert_eq!(history[0].score, 70);
    let past = s.previous_scans(a, v, 10).await.unwrap();
    assert_eq!(past.iter().map(|p| p.scan_id).collect::<Vec<_>>(), ids);
    assert_eq!(s.latest_scan(a, v).await.unwrap().unwrap().id, ids[0]);
    let vend = s.vendor(a, v).await.unwrap();
    assert_eq!(vend.current_score, Some(70));
}

async fn record_scan_updates_vendor_and_outbox(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    assert!(s.previous_scans(a, v, 5).await.unwrap().is_empty());
    assert_eq!(s.latest_scan(a, v).await.unwrap(), None);

    // First scan: B. Second: F (grade changed, critical alert).
    let t1 = ts("2026-06-01T08:00:00Z");
    let a1 = assessment(85, t1, &[CheckId::HttpHstsMissing]);
    let o1 = observations("vendor.example", t1);
    let e1 = events_for(v, "vendor.example", None, &a1);
    let id1 = ScanId(Uuid::new_v4());
    s.record_scan(NewScan {
        scan_id: id1,
        account_id: a,
        vendor_id: v,
        observations: &o1,
        assessment: &a1,
        events: &e1,
    })
    .await
    .unwrap();
    let t2 = ts("2026-06-20T08:00:00.250Z");
    let a2 = assessment(40, t2, &[CheckId::CertExpired, CheckId::TlsTls10Enabled]);
    let o2 = observations("vendor.example", t2);
    let e2 = events_for(v, "vendor.example", Some(&a1), &a2);
    assert_eq!(e2.len(), 3);
    let id2 = ScanId(Uuid::new_v4());
    s.record_scan(NewScan {
        scan_id: id2,
        account_id: a,
        vendor_id: v,
        observations: &o2,
        assessment: &a2,
        events: &e2,
    })
    .await
    .unwrap();

    let vend = s.vendor(a, v).await.unwrap();
    assert_eq!(vend.status, VendorStatus::Complete);
    assert_eq!(vend.current_score, Some(40));
    assert_eq!(vend.current_grade, Some(Grade::F));
    assert_eq!(vend.risk_level, Some(RiskLevel::Critical));
    assert_eq!(vend.last_scanned_at, Some(t2));

    let past = s.previous_scans(a, v, 10).await.unwrap();
    assert_eq!(
        past.iter().map(|p| p.scan_id).collect::<Vec<_>>(),
        vec![id2, id1]
    );
    assert_eq!(
        past[0].failing,
        vec![CheckId::CertExpired, CheckId::TlsTls10Enabled]
    );
    assert_eq!(past[1].grade, Grade::B);
    assert_eq!(past[1].scanned_at, t1);
    assert_eq!(s.previous_scans(a, v, 1).await.unwrap().len(), 1);

    let history = s.scan_history(a, v, Page::default()).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].assessment, a2);
    assert_eq!(history[0].observations, o2);
    assert_eq!(history[1].assessment, a1);
    assert_eq!(s.latest_scan(a, v).await.unwrap().unwrap().id, id2);
    let one = s.scan(a, id1).await.unwrap();
    assert_eq!(
        (one.score, one.grade, one.risk_level, one.method.as_str()),
        (85, Grade::B, RiskLevel::Low, "nis2-score/1")
    );
    assert_eq!(one.vendor_id, v);

    // Outbox: every event, exact body, oldest first.
    let mut out = s.outbox_entries(a, 100).await.unwrap();
    out.reverse();
    let expected: Vec<(String, String)> = e1
        .iter()
        .chain(&e2)
        .map(|e| (e.name().to_owned(), e.to_json()))
        .collect();
    let got: Vec<(String, String)> = out
        .iter()
        .map(|o| (o.event_name.clone(), o.body.clone()))
        .collect();
    assert_eq!(got, expected);
    assert!(
        out.iter()
            .all(|o| o.state == OutboxState::Pending && o.attempts == 0)
    );
    assert_eq!(s.pending_outbox_count().await.unwrap(), 4);
}

async fn record_scan_rolls_back_on_conflict(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    let (id, _) = record(s, a, v, "vendor.example", 95, ts("2026-06-01T00:00:00Z")).await;
    let before = s.vendor(a, v).await.unwrap();
    // Same scan id again, with a different result and events: refused whole.
    let a2 = assessment(10, ts("2026-06-02T00:00:00Z"), &[]);
    let o2 = observations("vendor.example", ts("2026-06-02T00:00:00Z"));
    let e2 = events_for(v, "vendor.example", None, &a2);
    let err = s
        .record_scan(NewScan {
            scan_id: id,
            account_id: a,
            vendor_id: v,
            observations: &o2,
            assessment: &a2,
            events: &e2,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(s.vendor(a, v).await.unwrap(), before);
    assert_eq!(
        s.scan_history(a, v, Page::default()).await.unwrap().len(),
        1
    );
    assert_eq!(s.outbox_entries(a, 100).await.unwrap().len(), 1);
    // An unknown vendor: NotFound, nothing written.
    let ghost = VendorId(Uuid::new_v4());
    let err = s
        .record_scan(NewScan {
            scan_id: ScanId(Uuid::new_v4()),
            account_id: a,
            vendor_id: ghost,
            observations: &o2,
            assessment: &a2,
            events: &e2,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    assert_eq!(s.outbox_entries(a, 100).await.unwrap().len(), 1);
}

async fn older_scan_does_not_replace_current(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    record(s, a, v, "vendor.example", 92, ts("2026-06-10T00:00:00Z")).await;
    let (old, _) = record(s, a, v, "vendor.example", 50, ts("2026-06-01T00:00:00Z")).await;
    let vend = s.vendor(a, v).await.unwrap();
    assert_eq!(vend.current_score, Some(92));
    assert_eq!(vend.last_scanned_at, Some(ts("2026-06-10T00:00:00Z")));
    let history = s.scan_history(a, v, Page::default()).await.unwrap();
    assert_eq!(history[1].id, old);
}

async fn record_scan_failure_sets_error(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    s.record_scan_failure(a, v, "cannot resolve `vendor.example`\0")
        .await
        .unwrap();
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Error);
    assert_eq!(
        s.vendor_error(a, v).await.unwrap().as_deref(),
        Some("cannot resolve `vendor.example`\u{fffd}")
    );
    let long = "x".repeat(10_000);
    s.record_scan_failure(a, v, &long).await.unwrap();
    assert_eq!(
        s.vendor_error(a, v).await.unwrap().unwrap().len(),
        limits::ERROR_MESSAGE
    );
    // A later successful scan clears it.
    record(s, a, v, "vendor.example", 95, ts(NOW)).await;
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Complete);
    assert_eq!(s.vendor_error(a, v).await.unwrap(), None);
    let err = s
        .record_scan_failure(a, VendorId(Uuid::new_v4()), "x")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }));
}

async fn isolation_between_accounts(ctx: &Ctx) {
    let s = &ctx.store;
    let mine = account(s, "Mine").await;
    let theirs = account(s, "Theirs").await;
    let their_vendor = vendor(s, theirs, "their.example").await;
    let (their_scan, _) = record(s, theirs, their_vendor, "their.example", 70, ts(NOW)).await;
    let their_token = s.create_api_token(theirs, "ci", ts(NOW)).await.unwrap();
    s.set_webhook_endpoint(
        theirs,
        "https://their.example/hook",
        "their-secret",
        ts(NOW),
    )
    .await
    .unwrap();
    let their_job = s
        .enqueue_scan(theirs, their_vendor, ts(NOW))
        .await
        .unwrap()
        .job;
    let snapshot = |s: SqlStore| async move {
        (
            s.vendor(theirs, their_vendor).await.unwrap(),
            s.scan_history(theirs, their_vendor, Page::default())
                .await
                .unwrap(),
            s.list_api_tokens(theirs).await.unwrap(),
            s.webhook_endpoint(theirs).await.unwrap(),
            s.job(theirs, their_job.id).await.unwrap(),
            s.outbox_entries(theirs, 100).await.unwrap(),
            s.dashboard_summary(theirs, ts(NOW)).await.unwrap(),
        )
    };
    let before = snapshot(s.clone()).await;

    let untouched = fingerprint(ctx).await;

    // Another account's id must behave exactly like an id that exists nowhere:
    // the same error, to the letter, for every read and write.
    let ghost_vendor = VendorId(Uuid::new_v4());
    let ghost_scan = ScanId(Uuid::new_v4());
    let ghost_job = nis2_store::JobId(their_job.id.0 + 1_000_000);
    let ghost_token = nis2_store::TokenId(Uuid::new_v4());
    fn same(what: &str, theirs: Error, missing: Error) {
        assert!(
            matches!(theirs, Error::NotFound { .. }),
            "{what}: expected NotFound, got {theirs:?}"
        );
        assert_eq!(
            format!("{theirs:?} / {theirs}"),
            format!("{missing:?} / {missing}"),
            "{what}"
        );
    }
    fn same_port(what: &str, theirs: StoreError, missing: StoreError) {
        assert!(
            matches!(theirs, StoreError::NotFound { .. }),
            "{what}: expected NotFound, got {theirs:?}"
        );
        assert_eq!(format!("{theirs:?}"), format!("{missing:?}"), "{what}");
    }
    // Reads (the letter and report endpoints read vendor, latest scan and scan).
    same(
        "vendor",
        s.vendor(mine, their_vendor).await.unwrap_err(),
        s.vendor(mine, ghost_vendor).await.unwrap_err(),
    );
    same(
        "scan_history",
        s.scan_history(mine, their_vendor, Page::default())
            .await
            .unwrap_err(),
        s.scan_history(mine, ghost_vendor, Page::default())
            .await
            .unwrap_err(),
    );
    same(
        "latest_scan",
        s.latest_scan(mine, their_vendor).await.unwrap_err(),
        s.latest_scan(mine, ghost_vendor).await.unwrap_err(),
    );
    same(
        "scan",
        s.scan(mine, their_scan).await.unwrap_err(),
        s.scan(mine, ghost_scan).await.unwrap_err(),
    );
    same(
        "vendor_error",
        s.vendor_error(mine, their_vendor).await.unwrap_err(),
        s.vendor_error(mine, ghost_vendor).await.unwrap_err(),
    );
    same(
        "job",
        s.job(mine, their_job.id).await.unwrap_err(),
        s.job(mine, ghost_job).await.unwrap_err(),
    );
    same(
        "vendor_jobs",
        s.vendor_jobs(mine, their_vendor).await.unwrap_err(),
        s.vendor_jobs(mine, ghost_vendor).await.unwrap_err(),
    );
    same_port(
        "previous_scans",
        s.previous_scans(mine, their_vendor, 5).await.unwrap_err(),
        s.previous_scans(mine, ghost_vendor, 5).await.unwrap_err(),
    );
    assert_eq!(
        s.list_vendors(mine, Page::default()).await.unwrap().total,
        0
    );
    assert!(s.list_api_tokens(mine).await.unwrap().is_empty());
    assert!(s.outbox_entries(mine, 100).await.unwrap().is_empty());
    assert_eq!(s.webhook_endpoint(mine).await.unwrap(), None);
    let dash = s.dashboard_summary(mine, ts(NOW)).await.unwrap();
    assert_eq!((dash.total_vendors, dash.average_score), (0, None));
    // Writes: delete, trigger (enqueue), revoke, scan results and failures.
    same(
        "delete_vendor",
        s.delete_vendor(mine, their_vendor).await.unwrap_err(),
        s.delete_vendor(mine, ghost_vendor).await.unwrap_err(),
    );
    same(
        "enqueue_scan",
        s.enqueue_scan(mine, their_vendor, ts(NOW))
            .await
            .unwrap_err(),
        s.enqueue_scan(mine, ghost_vendor, ts(NOW))
            .await
            .unwrap_err(),
    );
    same(
        "revoke_api_token",
        s.revoke_api_token(mine, their_token.token.id, ts(NOW))
            .await
            .unwrap_err(),
        s.revoke_api_token(mine, ghost_token, ts(NOW))
            .await
            .unwrap_err(),
    );
    same_port(
        "record_scan_failure",
        s.record_scan_failure(mine, their_vendor, "x")
            .await
            .unwrap_err(),
        s.record_scan_failure(mine, ghost_vendor, "x")
            .await
            .unwrap_err(),
    );
    let a = assessment(10, ts(NOW), &[]);
    let o = observations("their.example", ts(NOW));
    let e = events_for(their_vendor, "their.example", None, &a);
    let scan_for = |vendor_id| NewScan {
        scan_id: ScanId(Uuid::new_v4()),
        account_id: mine,
        vendor_id,
        observations: &o,
        assessment: &a,
        events: &e,
    };
    same_port(
        "record_scan",
        s.record_scan(scan_for(their_vendor)).await.unwrap_err(),
        s.record_scan(scan_for(ghost_vendor)).await.unwrap_err(),
    );
    // Even with their scan id: refused as a missing vendor, not as a taken id.
    let reuse = NewScan {
        scan_id: their_scan,
        ..scan_for(their_vendor)
    };
    same_port(
        "record_scan (their scan id)",
        s.record_scan(reuse).await.unwrap_err(),
        s.record_scan(scan_for(ghost_vendor)).await.unwrap_err(),
    );
    assert!(!s.delete_webhook_endpoint(mine).await.unwrap());
    assert_eq!(
        fingerprint(ctx).await,
        untouched,
        "a refused cross-account call changed the database"
    );
    // Setting my own webhook endpoint and token leaves theirs as they were.
    s.set_webhook_endpoint(mine, "https://mine.example/hook", "my-secret", ts(NOW))
        .await
        .unwrap();
    s.create_api_token(mine, "mine", ts(NOW)).await.unwrap();
    // Creating my own vendor with their domain does not touch theirs.
    vendor(s, mine, "their.example").await;

    assert_eq!(snapshot(s.clone()).await, before);
    // Their token still authenticates as them only.
    let owner = s
        .authenticate_token(&their_token.secret, ts(NOW))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.account_id, theirs);
}

async fn jobs_enqueue_claim_heartbeat_complete(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    let t = ts(NOW);
    assert_eq!(s.claim_job("w1", t).await.unwrap(), None);

    let q = s.enqueue_scan(a, v, t).await.unwrap();
    assert!(q.created);
    assert_eq!(q.job.state, JobState::Queued);
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Scanning);
    // Idempotent while queued.
    let again = s.enqueue_scan(a, v, t).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.job.id, q.job.id);

    let job = s.claim_job("w1", t).await.unwrap().unwrap();
    assert_eq!(
        (job.id, job.account_id, job.vendor_id, job.domain.as_str()),
        (q.job.id, a, v, "vendor.example")
    );
    assert_eq!(job.attempt, 1);
    assert_eq!(job.lease_until, secs(t, 300));
    // Idempotent while running too; nobody else gets it.
    assert!(!s.enqueue_scan(a, v, t).await.unwrap().created);
    assert_eq!(s.claim_job("w2", t).await.unwrap(), None);
    let stored = s.job(a, job.id).await.unwrap();
    assert_eq!(
        (stored.state, stored.worker.as_deref(), stored.attempts),
        (JobState::Running, Some("w1"), 1)
    );

    // A heartbeat at +200 s holds the lease past the first lease's end.
    assert_eq!(
        s.heartbeat_job(&job, secs(t, 200)).await.unwrap(),
        secs(t, 500)
    );
    assert_eq!(s.claim_job("w2", secs(t, 400)).await.unwrap(), None);
    s.complete_job(&job, secs(t, 450)).await.unwrap();
    let done = s.job(a, job.id).await.unwrap();
    assert_eq!(
        (done.state, done.finished_at),
        (JobState::Done, Some(secs(t, 450)))
    );
    assert!(matches!(
        s.complete_job(&job, secs(t, 451)).await,
        Err(Error::LeaseLost { .. })
    ));
    assert!(matches!(
        s.heartbeat_job(&job, secs(t, 451)).await,
        Err(Error::LeaseLost { .. })
    ));
    assert_eq!(s.claim_job("w2", secs(t, 10_000)).await.unwrap(), None);
    // Done: a new scan can be queued.
    let next = s.enqueue_scan(a, v, secs(t, 500)).await.unwrap();
    assert!(next.created);
    assert_ne!(next.job.id, job.id);
    assert_eq!(s.vendor_jobs(a, v).await.unwrap().len(), 2);
    assert!(matches!(
        s.claim_job("", t).await,
        Err(Error::Invalid { .. })
    ));
}

async fn jobs_concurrent_enqueue_makes_one_job(ctx: &Ctx) {
    let a = account(&ctx.store, "Acme").await;
    let v = vendor(&ctx.store, a, "vendor.example").await;
    let mut handles = Vec::new();
    for _ in 0..8 {
        let s = SqlStore::open(&ctx.target).await.unwrap();
        handles.push(tokio::spawn(async move {
            let r = s.enqueue_scan(a, v, ts(NOW)).await.unwrap();
            s.close().await;
            r
        }));
    }
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| r.created).count(), 1);
    assert!(results.iter().all(|r| r.job.id == results[0].job.id));
    assert_eq!(ctx.store.vendor_jobs(a, v).await.unwrap().len(), 1);
}

async fn jobs_expired_lease_is_reclaimed(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    let t = ts(NOW);
    s.enqueue_scan(a, v, t).await.unwrap();
    let first = s.claim_job("dead-worker", t).await.unwrap().unwrap();
    // Just at the lease's end it is still held; just after it is claimable.
    assert_eq!(s.claim_job("w2", secs(t, 300)).await.unwrap(), None);
    let second = s.claim_job("w2", secs(t, 301)).await.unwrap().unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.attempt, 2);
    assert_ne!(second.lease_token, first.lease_token);
    // The first worker comes back: its lease is gone.
    assert!(matches!(
        s.heartbeat_job(&first, secs(t, 302)).await,
        Err(Error::LeaseLost { .. })
    ));
    assert!(matches!(
        s.complete_job(&first, secs(t, 302)).await,
        Err(Error::LeaseLost { .. })
    ));
    assert!(matches!(
        s.fail_job(&first, secs(t, 302), "x").await,
        Err(Error::LeaseLost { .. })
    ));
    s.complete_job(&second, secs(t, 303)).await.unwrap();
    assert_eq!(s.job(a, first.id).await.unwrap().state, JobState::Done);
}

async fn jobs_retry_with_backoff_then_fail(ctx: &Ctx) {
    let s = ctx.store.clone().with_job_policy(JobPolicy {
        lease: Duration::from_secs(60),
        max_attempts: 3,
        retry_base: Duration::from_secs(30),
        retry_max: Duration::from_secs(45),
    });
    let a = account(&s, "Acme").await;
    let v = vendor(&s, a, "vendor.example").await;
    let t = ts(NOW);
    s.enqueue_scan(a, v, t).await.unwrap();
    let j1 = s.claim_job("w", t).await.unwrap().unwrap();
    assert_eq!(
        s.fail_job(&j1, t, "timeout").await.unwrap(),
        JobFailure::Retry { at: secs(t, 30) }
    );
    let queued = s.job(a, j1.id).await.unwrap();
    assert_eq!(
        (queued.state, queued.last_error.as_deref()),
        (JobState::Queued, Some("timeout"))
    );
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Scanning);
    assert!(
        !s.enqueue_scan(a, v, t).await.unwrap().created,
        "a retrying job is still the active one"
    );
    assert_eq!(s.claim_job("w", secs(t, 29)).await.unwrap(), None);
    let j2 = s.claim_job("w", secs(t, 30)).await.unwrap().unwrap();
    assert_eq!(j2.attempt, 2);
    // Second back-off would be 60 s; capped at 45.
    assert_eq!(
        s.fail_job(&j2, secs(t, 30), "timeout").await.unwrap(),
        JobFailure::Retry { at: secs(t, 75) }
    );
    let j3 = s.claim_job("w", secs(t, 75)).await.unwrap().unwrap();
    assert_eq!(j3.attempt, 3);
    assert_eq!(
        s.fail_job(&j3, secs(t, 80), "refused").await.unwrap(),
        JobFailure::Failed
    );
    let failed = s.job(a, j1.id).await.unwrap();
    assert_eq!((failed.state, failed.attempts), (JobState::Failed, 3));
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Error);
    assert_eq!(
        s.vendor_error(a, v).await.unwrap().as_deref(),
        Some("refused")
    );
    assert_eq!(s.claim_job("w", secs(t, 100_000)).await.unwrap(), None);
    assert!(s.enqueue_scan(a, v, secs(t, 90)).await.unwrap().created);
}

async fn jobs_dead_worker_on_last_attempt_is_failed(ctx: &Ctx) {
    let s = ctx.store.clone().with_job_policy(JobPolicy {
        max_attempts: 2,
        ..JobPolicy::default()
    });
    let a = account(&s, "Acme").await;
    let v = vendor(&s, a, "vendor.example").await;
    let t = ts(NOW);
    s.enqueue_scan(a, v, t).await.unwrap();
    let j1 = s.claim_job("w", t).await.unwrap().unwrap();
    let j2 = s.claim_job("w", secs(t, 301)).await.unwrap().unwrap();
    assert_eq!((j2.id, j2.attempt), (j1.id, 2));
    // The second worker dies too: after its lease the job fails instead of running a third time.
    assert_eq!(s.claim_job("w", secs(t, 700)).await.unwrap(), None);
    let job = s.job(a, j1.id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(job.last_error.unwrap().contains("lease expired"));
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Error);
}

async fn jobs_periodic_rescans(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let b = account(s, "Beta").await;
    let day = 86_400;
    let t = ts(NOW);
    let stale = vendor(s, a, "stale.example").await;
    let fresh = vendor(s, a, "fresh.example").await;
    let other = vendor(s, b, "other.example").await;
    let busy = vendor(s, b, "busy.example").await;
    record(s, a, stale, "stale.example", 90, secs(t, -10 * day)).await;
    record(s, a, fresh, "fresh.example", 90, secs(t, -day)).await;
    record(s, b, other, "other.example", 90, secs(t, -30 * day)).await;
    record(s, b, busy, "busy.example", 90, secs(t, -30 * day)).await;
    let busy_job = s.enqueue_scan(b, busy, t).await.unwrap().job;
    // Never scanned, added long ago (vendors are created at NOW - so ask from a later time).
    let week = Duration::from_secs(7 * 86_400);
    let n = s.enqueue_due_rescans(t, week, 100).await.unwrap();
    assert_eq!(n, 2, "stale and other");
    assert_eq!(
        s.vendor(a, stale).await.unwrap().status,
        VendorStatus::Scanning
    );
    assert_eq!(
        s.vendor(b, other).await.unwrap().status,
        VendorStatus::Scanning
    );
    assert_eq!(
        s.vendor(a, fresh).await.unwrap().status,
        VendorStatus::Complete
    );
    assert_eq!(s.vendor_jobs(a, fresh).await.unwrap().len(), 0);
    assert_eq!(
        s.vendor_jobs(b, busy).await.unwrap(),
        vec![s.job(b, busy_job.id).await.unwrap()]
    );
    // Nothing doubles on a second run.
    assert_eq!(s.enqueue_due_rescans(t, week, 100).await.unwrap(), 0);
    // Limit.
    let later = secs(t, 30 * day);
    let n = s.enqueue_due_rescans(later, week, 1).await.unwrap();
    assert_eq!(n, 1, "only fresh is left without a job");
    assert_eq!(s.vendor_jobs(a, fresh).await.unwrap().len(), 1);
}

async fn outbox_claim_deliver_retry_dead(ctx: &Ctx) {
    let s = ctx.store.clone().with_outbox_policy(OutboxPolicy {
        lease: Duration::from_secs(60),
        max_attempts: 3,
        retry_base: Duration::from_secs(10),
        retry_max: Duration::from_secs(3_600),
    });
    let a = account(&s, "Acme").await;
    let v = vendor(&s, a, "vendor.example").await;
    let t = ts(NOW);
    // One scan at F: scan_completed and critical_alert.
    let (_, asmt) = record(&s, a, v, "vendor.example", 30, t).await;
    let expected = events_for(v, "vendor.example", None, &asmt);
    assert_eq!(expected.len(), 2);

    let claimed = s.claim_outbox("d1", t, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].body, expected[0].to_json());
    assert_eq!(claimed[1].event_name, "critical_alert");
    assert_eq!(claimed[0].claimed_until, Some(secs(t, 60)));
    assert!(
        s.claim_outbox("d2", t, 10).await.unwrap().is_empty(),
        "claimed entries are not handed out twice"
    );

    s.mark_delivered(claimed[0].id, t).await.unwrap();
    s.mark_delivered(claimed[0].id, secs(t, 5)).await.unwrap();
    assert_eq!(
        s.fail_delivery(claimed[0].id, t, "late").await.unwrap(),
        DeliveryFailure::AlreadyDelivered
    );
    // Failures back off 10 s, 20 s, then the entry is dead.
    assert_eq!(
        s.fail_delivery(claimed[1].id, t, "503").await.unwrap(),
        DeliveryFailure::Retry { at: secs(t, 10) }
    );
    assert!(
        s.claim_outbox("d1", secs(t, 9), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = s.claim_outbox("d1", secs(t, 10), 10).await.unwrap();
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![claimed[1].id]
    );
    assert_eq!(again[0].attempts, 1);
    assert_eq!(
        s.fail_delivery(claimed[1].id, secs(t, 10), "503")
            .await
            .unwrap(),
        DeliveryFailure::Retry { at: secs(t, 30) }
    );
    // A claim that lapses (dispatcher died) makes the entry claimable again.
    let c = s.claim_outbox("d-dead", secs(t, 30), 10).await.unwrap();
    assert_eq!(c.len(), 1);
    assert!(
        s.claim_outbox("d2", secs(t, 90), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let c = s.claim_outbox("d2", secs(t, 91), 10).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(
        s.fail_delivery(c[0].id, secs(t, 91), "timeout")
            .await
            .unwrap(),
        DeliveryFailure::Dead
    );
    assert!(
        s.claim_outbox("d2", secs(t, 1_000_000), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let entries = s.outbox_entries(a, 10).await.unwrap();
    let dead = entries.iter().find(|e| e.id == claimed[1].id).unwrap();
    assert_eq!(
        (dead.state, dead.attempts, dead.last_error.as_deref()),
        (OutboxState::Dead, 3, Some("timeout"))
    );
    let done = entries.iter().find(|e| e.id == claimed[0].id).unwrap();
    assert_eq!(
        (done.state, done.delivered_at),
        (OutboxState::Delivered, Some(t))
    );
    assert_eq!(s.pending_outbox_count().await.unwrap(), 0);
    assert!(matches!(
        s.mark_delivered(nis2_store::OutboxId(i64::MAX), t).await,
        Err(Error::NotFound { .. })
    ));
}

async fn dashboard_summary(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let now = ts("2026-06-27T10:00:00Z");
    let empty = s.dashboard_summary(a, now).await.unwrap();
    assert_eq!(
        (
            empty.total_vendors,
            empty.scanned_this_month,
            empty.critical_risks
        ),
        (0, 0, 0)
    );
    assert_eq!(empty.average_score, None);

    // Scores 95 (A, this month), 91 (A, last month), 85 (B), 72 (C), 20 (F, critical), one unscanned.
    let cases = [
        ("a1.example", 95, "2026-06-01T00:00:00Z"),
        ("a2.example", 91, "2026-05-31T23:59:59Z"),
        ("b.example", 85, "2026-06-15T00:00:00Z"),
        ("c.example", 72, "2026-06-20T00:00:00Z"),
        ("f.example", 20, "2026-06-27T09:00:00Z"),
    ];
    for (d, score, at) in cases {
        let v = vendor(s, a, d).await;
        record(s, a, v, d, score, ts(at)).await;
    }
    vendor(s, a, "new.example").await;
    let other = account(s, "Other").await;
    let ov = vendor(s, other, "o.example").await;
    record(s, other, ov, "o.example", 10, now).await;

    let d = s.dashboard_summary(a, now).await.unwrap();
    assert_eq!(d.total_vendors, 6);
    assert_eq!(d.scanned_this_month, 4);
    assert_eq!(d.critical_risks, 1);
    // (95 + 91 + 85 + 72 + 20) / 5 = 72.6 -> 73
    assert_eq!(d.average_score, Some(73));
    let g = d.grade_distribution;
    assert_eq!((g.A, g.B, g.C, g.D, g.F), (2, 1, 1, 0, 1));
    // In July nothing was scanned "this month".
    assert_eq!(
        s.dashboard_summary(a, ts("2026-07-01T00:00:00Z"))
            .await
            .unwrap()
            .scanned_this_month,
        0
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["grade_distribution"]["A"], 2);
    assert_eq!(json["average_score"], 73);
}

async fn api_tokens(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let b = account(s, "Beta").await;
    let issued = s.create_api_token(a, "ci", ts(NOW)).await.unwrap();
    assert!(issued.secret.starts_with("nis2_"));
    assert_eq!(issued.secret.len(), 5 + 64);
    assert!(issued.secret[5..].chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(issued.token.prefix, issued.secret[..13]);
    assert!(!format!("{issued:?}").contains(&issued.secret[5..]));
    // Only the token's hash is stored: not the token, not its random part.
    assert!(!stored_anywhere(ctx, &issued.secret[5..]).await);
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        issued.secret.as_bytes(),
    ));
    assert!(
        stored_anywhere(ctx, &hash).await,
        "the SHA-256 is what is kept"
    );
    let second = s.create_api_token(a, "laptop", ts(NOW)).await.unwrap();
    assert_ne!(second.secret, issued.secret);
    s.create_api_token(b, "theirs", ts(NOW)).await.unwrap();

    let owner = s
        .authenticate_token(&issued.secret, secs(ts(NOW), 60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((owner.account_id, owner.token_id), (a, issued.token.id));
    let list = s.list_api_tokens(a).await.unwrap();
    assert_eq!(list.len(), 2);
    let t = list.iter().find(|t| t.id == issued.token.id).unwrap();
    assert_eq!(t.last_used_at, Some(secs(ts(NOW), 60)));
    assert_eq!(t.name, "ci");
    // The last use is kept to the minute: a use 59 s later leaves it, one a
    // minute after the recorded use moves it, an earlier clock never moves it back.
    let token_id = issued.token.id;
    let last_used = |s: &SqlStore| {
        let s = s.clone();
        async move {
            s.list_api_tokens(a)
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.id == token_id)
                .unwrap()
                .last_used_at
        }
    };
    for (at, expected) in [(119, 60), (120, 120), (30, 120), (179, 120), (181, 181)] {
        assert!(
            s.authenticate_token(&issued.secret, secs(ts(NOW), at))
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            last_used(s).await,
            Some(secs(ts(NOW), expected)),
            "use at +{at}s"
        );
    }

    // Wrong, truncated, altered, foreign-prefix tokens: nothing.
    let mut altered = issued.secret.clone();
    altered.pop();
    altered.push(if issued.secret.ends_with('0') {
        '1'
    } else {
        '0'
    });
    for bad in [
        "",
        "nis2_",
        &issued.secret[..40],
        &altered,
        &issued.secret[5..],
        "Bearer x",
    ] {
        assert_eq!(
            s.authenticate_token(bad, ts(NOW)).await.unwrap(),
            None,
            "{bad:?}"
        );
    }
    s.revoke_api_token(a, issued.token.id, secs(ts(NOW), 120))
        .await
        .unwrap();
    s.revoke_api_token(a, issued.token.id, secs(ts(NOW), 999))
        .await
        .unwrap();
    assert_eq!(
        s.authenticate_token(&issued.secret, ts(NOW)).await.unwrap(),
        None
    );
    let t = s
        .list_api_tokens(a)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id == issued.token.id)
        .unwrap();
    assert_eq!(t.revoked_at, Some(secs(ts(NOW), 120)));
    assert!(
        s.authenticate_token(&second.secret, ts(NOW))
            .await
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        s.create_api_token(a, "", ts(NOW)).await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        s.create_api_token(AccountId(Uuid::new_v4()), "x", ts(NOW))
            .await,
        Err(Error::NotFound { .. })
    ));
}

async fn webhook_endpoints(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    assert_eq!(s.webhook_endpoint(a).await.unwrap(), None);
    let e = s
        .set_webhook_endpoint(a, "https://hooks.example/nis2", "k1", ts(NOW))
        .await
        .unwrap();
    assert_eq!(
        (e.url.as_str(), e.secret.as_str(), e.created_at),
        ("https://hooks.example/nis2", "k1", ts(NOW))
    );
    assert!(!format!("{e:?}").contains("k1"));
    let later = secs(ts(NOW), 60);
    let e2 = s
        .set_webhook_endpoint(a, "http://127.0.0.1:9/x", "k2", later)
        .await
        .unwrap();
    assert_eq!(
        (e2.created_at, e2.updated_at, e2.secret.as_str()),
        (ts(NOW), later, "k2")
    );
    assert_eq!(s.webhook_endpoint(a).await.unwrap(), Some(e2));
    assert!(s.delete_webhook_endpoint(a).await.unwrap());
    assert_eq!(s.webhook_endpoint(a).await.unwrap(), None);
    let ghost = AccountId(Uuid::new_v4());
    assert!(matches!(
        s.set_webhook_endpoint(ghost, "https://x/", "k", ts(NOW))
            .await,
        Err(Error::NotFound { .. })
    ));
}

/// The scan, the vendor's new current values and the outbox rows are one
/// transaction: when writing an event fails (here a trigger refuses outbox
/// rows), nothing of the scan is left behind either.
async fn scan_and_its_events_commit_together(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v = vendor(s, a, "vendor.example").await;
    let untouched = fingerprint(ctx).await;
    match s.backend() {
        nis2_store::Backend::Sqlite => {
            exec(
                ctx,
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox \
                 BEGIN SELECT RAISE(ABORT, 'outbox refused'); END;",
            )
            .await
        }
        nis2_store::Backend::Postgres => {
            exec(
                ctx,
                "CREATE FUNCTION refuse_outbox() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'outbox refused'; END $$; \
                 CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox \
                 FOR EACH ROW EXECUTE FUNCTION refuse_outbox();",
            )
            .await
        }
    }
    let a1 = assessment(30, ts(NOW), &[CheckId::CertExpired]);
    let o1 = observations("vendor.example", ts(NOW));
    let e1 = events_for(v, "vendor.example", None, &a1);
    assert_eq!(e1.len(), 2);
    let scan_id = ScanId(Uuid::new_v4());
    let scan = || NewScan {
        scan_id,
        account_id: a,
        vendor_id: v,
        observations: &o1,
        assessment: &a1,
        events: &e1,
    };
    let err = s.record_scan(scan()).await.unwrap_err();
    assert!(err.to_string().contains("outbox refused"), "{err}");
    assert_eq!(
        fingerprint(ctx).await,
        untouched,
        "the scan was kept without its events"
    );
    // Once events can be written again, the same scan goes in whole.
    match s.backend() {
        nis2_store::Backend::Sqlite => exec(ctx, "DROP TRIGGER refuse_outbox").await,
        nis2_store::Backend::Postgres => exec(ctx, "DROP TRIGGER refuse_outbox ON outbox").await,
    }
    s.record_scan(scan()).await.unwrap();
    assert_eq!(
        s.scan_history(a, v, Page::default()).await.unwrap().len(),
        1
    );
    assert_eq!(s.outbox_entries(a, 10).await.unwrap().len(), 2);
    assert_eq!(s.vendor(a, v).await.unwrap().current_score, Some(30));
}

async fn outbox_backoff_is_capped(ctx: &Ctx) {
    let s = ctx.store.clone().with_outbox_policy(OutboxPolicy {
        lease: Duration::from_secs(60),
        max_attempts: 6,
        retry_base: Duration::from_secs(10),
        retry_max: Duration::from_secs(35),
    });
    let a = account(&s, "Acme").await;
    let v = vendor(&s, a, "vendor.example").await;
    let t = ts(NOW);
    record(&s, a, v, "vendor.example", 90, t).await;
    // Back-off 10, 20, then capped at 35, 35, 35; the sixth failure is the last.
    let mut at = t;
    for (failure, wait) in [(1, 10), (2, 20), (3, 35), (4, 35), (5, 35)] {
        let c = s.claim_outbox("d", at, 10).await.unwrap();
        assert_eq!(c.len(), 1, "failure {failure}");
        assert_eq!(c[0].attempts, failure - 1);
        assert_eq!(
            s.fail_delivery(c[0].id, at, "503").await.unwrap(),
            DeliveryFailure::Retry { at: secs(at, wait) },
            "failure {failure}"
        );
        assert!(
            s.claim_outbox("d", secs(at, wait - 1), 10)
                .await
                .unwrap()
                .is_empty()
        );
        at = secs(at, wait);
    }
    let c = s.claim_outbox("d", at, 10).await.unwrap();
    assert_eq!(
        s.fail_delivery(c[0].id, at, "503").await.unwrap(),
        DeliveryFailure::Dead
    );
    assert_eq!(s.pending_outbox_count().await.unwrap(), 0);
}

/// Several schedulers and manual triggers at once still leave each vendor
/// exactly one active job.
async fn jobs_concurrent_rescans_make_one_job_per_vendor(ctx: &Ctx) {
    const VENDORS: usize = 40;
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let long_ago = ts("2026-01-01T00:00:00Z");
    let mut ids = Vec::new();
    for i in 0..VENDORS {
        let v = s
            .create_vendor(a, &NewVendor::new(format!("v{i}.example"), true), long_ago)
            .await
            .unwrap();
        ids.push(v.id);
    }
    let mut handles = Vec::new();
    for w in 0..4 {
        let store = SqlStore::open(&ctx.target).await.unwrap();
        let ids = ids.clone();
        handles.push(tokio::spawn(async move {
            let mut created = 0u64;
            for round in 0..3 {
                created += store
                    .enqueue_due_rescans(ts(NOW), Duration::from_secs(86_400), 7)
                    .await
                    .unwrap();
                // Manual triggers of some vendors meanwhile.
                for v in ids.iter().skip(w * 3 + round).step_by(5) {
                    if store.enqueue_scan(a, *v, ts(NOW)).await.unwrap().created {
                        created += 1;
                    }
                }
            }
            created += store
                .enqueue_due_rescans(ts(NOW), Duration::from_secs(86_400), 1_000)
                .await
                .unwrap();
            store.close().await;
            created
        }));
    }
    let mut created = 0;
    for h in handles {
        created += h.await.unwrap();
    }
    assert_eq!(created, VENDORS as u64, "jobs reported created");
    for v in &ids {
        let jobs = s.vendor_jobs(a, *v).await.unwrap();
        assert_eq!(jobs.len(), 1, "vendor {v}: {jobs:?}");
        assert_eq!(jobs[0].state, JobState::Queued);
        assert_eq!(
            s.vendor(a, *v).await.unwrap().status,
            VendorStatus::Scanning
        );
    }
}

/// On PostgreSQL a claim skips a job another claimer has locked instead of
/// waiting for it (`FOR UPDATE SKIP LOCKED`), and gets it once it is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claim_skips_locked_jobs() {
    use sqlx::Connection as _;
    let Some(ctx) = common::postgres("postgres_claim_skips_locked_jobs").await else {
        return;
    };
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let v1 = vendor(s, a, "one.example").await;
    let v2 = vendor(s, a, "two.example").await;
    let j1 = s.enqueue_scan(a, v1, ts(NOW)).await.unwrap().job;
    let j2 = s.enqueue_scan(a, v2, secs(ts(NOW), 1)).await.unwrap().job;
    // Another claimer holds the oldest job's row lock, mid-transaction.
    let mut other = sqlx::PgConnection::connect(&ctx.target).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    let locked: i64 = sqlx::query_scalar("SELECT id FROM scan_jobs WHERE id = $1 FOR UPDATE")
        .bind(j1.id.0)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(locked, j1.id.0);
    let claim = tokio::time::timeout(Duration::from_secs(10), s.claim_job("w", secs(ts(NOW), 5)))
        .await
        .expect("the claim waited for the locked row instead of skipping it")
        .unwrap()
        .unwrap();
    assert_eq!(claim.id, j2.id, "skipped the locked job, took the next");
    let none = tokio::time::timeout(Duration::from_secs(10), s.claim_job("w", secs(ts(NOW), 5)))
        .await
        .expect("blocked on the locked row")
        .unwrap();
    assert_eq!(none, None);
    tx.rollback().await.unwrap();
    let freed = s.claim_job("w", secs(ts(NOW), 5)).await.unwrap().unwrap();
    assert_eq!(freed.id, j1.id);
}

/// PostgreSQL: several processes starting at once on a new database all run
/// (or wait for) the migrations without error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_opens_of_a_new_database_all_succeed() {
    let Some(fresh) =
        common::postgres_fresh("postgres_concurrent_opens_of_a_new_database_all_succeed").await
    else {
        return;
    };
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let target = fresh.target.clone();
            tokio::spawn(async move { SqlStore::open(&target).await })
        })
        .collect();
    for o in opens {
        o.await.unwrap().unwrap().close().await;
    }
    let ctx = fresh.open().await;
    let a = account(&ctx.store, "Acme").await;
    vendor(&ctx.store, a, "v.example").await;
}

/// SQLite stores text as the bytes it is given, so a file written by another
/// program can hold text that is not UTF-8. Reading such a row is a clear
/// `Corrupt` error naming the problem — no panic, nothing changed — and a job
/// whose vendor domain is unreadable fails alone instead of blocking the queue.
/// (PostgreSQL refuses invalid UTF-8 at the server, and the store's API takes
/// `&str`, so no invalid UTF-8 can be written through it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stored_invalid_utf8_is_a_clear_error() {
    let ctx = common::sqlite().await;
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let good = vendor(s, a, "good.example").await;
    let bad = vendor(s, a, "bad.example").await;
    exec(
        &ctx,
        "UPDATE vendors SET notes = CAST(X'6869FF21' AS TEXT) WHERE domain = 'bad.example'",
    )
    .await;
    let untouched = fingerprint(&ctx).await;
    let err = s.vendor(a, bad).await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("utf-8"), "{err}");
    assert!(matches!(
        s.list_vendors(a, Page::default()).await.unwrap_err(),
        Error::Corrupt { .. }
    ));
    assert!(matches!(
        StoreError::from(s.vendor(a, bad).await.unwrap_err()),
        StoreError::Backend { .. }
    ));
    // Everything else still works, and the failed reads changed nothing.
    assert_eq!(s.vendor(a, good).await.unwrap().domain, "good.example");
    assert_eq!(
        s.dashboard_summary(a, ts(NOW)).await.unwrap().total_vendors,
        2
    );
    assert_eq!(fingerprint(&ctx).await, untouched);

    // An unreadable domain: its job fails alone; the queue goes on.
    let bad_job = s.enqueue_scan(a, bad, ts(NOW)).await.unwrap().job;
    let good_job = s.enqueue_scan(a, good, secs(ts(NOW), 1)).await.unwrap().job;
    exec(
        &ctx,
        "UPDATE vendors SET domain = CAST(X'626164FF2E6578' AS TEXT) WHERE domain = 'bad.example'",
    )
    .await;
    let version = s.data_version(a).await.unwrap();
    let err = s.claim_job("w", secs(ts(NOW), 5)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { message } if message.contains("UTF-8")),
        "{err:?}"
    );
    assert!(
        s.data_version(a).await.unwrap() > version,
        "the vendor's status changed to `error`"
    );
    let failed = s.job(a, bad_job.id).await.unwrap();
    assert_eq!(failed.state, JobState::Failed);
    let next = s.claim_job("w", secs(ts(NOW), 5)).await.unwrap().unwrap();
    assert_eq!(
        (next.id, next.domain.as_str()),
        (good_job.id, "good.example")
    );
    // The broken vendor can still be removed.
    s.delete_vendor(a, bad).await.unwrap();
    assert_eq!(s.list_vendors(a, Page::default()).await.unwrap().total, 1);
}

/// An account's data version and what its `/vendors` and `/dashboard/summary` show.
type Shown = (u64, Vec<nis2_core::Vendor>, nis2_store::DashboardSummary);

async fn views(s: &SqlStore, a: AccountId) -> Shown {
    (
        s.data_version(a).await.unwrap(),
        s.list_vendors(a, Page::first(500)).await.unwrap().vendors,
        s.dashboard_summary(a, ts(NOW)).await.unwrap(),
    )
}

/// Follows the data versions of accounts across writes: whenever what an
/// account shows changed, its version must have changed; `expect` says
/// whether the write should have bumped it.
struct Versions {
    seen: Vec<(AccountId, Shown)>,
}

impl Versions {
    async fn new(s: &SqlStore, accounts: &[AccountId]) -> Self {
        let mut seen = Vec::new();
        for a in accounts {
            seen.push((*a, views(s, *a).await));
        }
        Self { seen }
    }

    /// After a write: `bumped` lists the accounts whose version must have
    /// changed; every other account's must not have.
    async fn after(&mut self, s: &SqlStore, what: &str, bumped: &[AccountId]) {
        for (a, before) in &mut self.seen {
            let now = views(s, *a).await;
            if (&now.1, &now.2) != (&before.1, &before.2) {
                assert_ne!(
                    now.0, before.0,
                    "{what}: what account {a} shows changed but its data version did not"
                );
            }
            if bumped.contains(a) {
                assert!(
                    now.0 > before.0,
                    "{what}: account {a}'s version was not bumped"
                );
            } else {
                assert_eq!(
                    (&now.0, &now.1, &now.2),
                    (&before.0, &before.1, &before.2),
                    "{what}: account {a} changed"
                );
            }
            *before = now;
        }
    }
}

/// Every write that changes an account's vendor list or dashboard bumps its
/// data version, in that account only; writes that change neither do not.
async fn data_version_follows_every_listed_change(ctx: &Ctx) {
    let s = ctx.store.clone().with_job_policy(JobPolicy {
        lease: Duration::from_secs(60),
        max_attempts: 2,
        retry_base: Duration::from_secs(30),
        retry_max: Duration::from_secs(30),
    });
    let a = account(&s, "Acme").await;
    let b = account(&s, "Beta").await;
    assert_eq!(s.data_version(a).await.unwrap(), 0);
    assert!(matches!(
        s.data_version(AccountId(Uuid::new_v4())).await,
        Err(Error::NotFound { what: "account" })
    ));
    let t = ts(NOW);
    let mut w = Versions::new(&s, &[a, b]).await;

    let v1 = vendor(&s, a, "one.example").await;
    w.after(&s, "create_vendor", &[a]).await;
    let v2 = vendor(&s, a, "two.example").await;
    let bv = vendor(&s, b, "beta.example").await;
    w.after(&s, "create_vendor in both", &[a, b]).await;
    assert!(
        s.create_vendor(a, &NewVendor::new("one.example", true), t)
            .await
            .is_err()
    );
    assert!(
        s.create_vendor(a, &NewVendor::new("x.example", false), t)
            .await
            .is_err()
    );
    w.after(&s, "refused create_vendor", &[]).await;

    // Writes that change no listed value.
    s.create_api_token(a, "ci", t).await.unwrap();
    s.set_webhook_endpoint(a, "https://acme.example/hook", "secret", t)
        .await
        .unwrap();
    s.account_for_subject("auth0|x", "X", t).await.unwrap();
    w.after(&s, "tokens, webhooks, accounts", &[]).await;

    // A scan: queued (status scanning), claimed, beaten, stored, completed.
    s.enqueue_scan(a, v1, t).await.unwrap();
    w.after(&s, "enqueue_scan", &[a]).await;
    assert!(!s.enqueue_scan(a, v1, t).await.unwrap().created);
    w.after(&s, "enqueue_scan of a queued vendor", &[]).await;
    let job = s.claim_job("w", t).await.unwrap().unwrap();
    s.heartbeat_job(&job, secs(t, 1)).await.unwrap();
    w.after(&s, "claim_job, heartbeat_job", &[]).await;
    s.release_job(&job, secs(t, 2)).await.unwrap();
    w.after(&s, "release_job", &[]).await;
    let job = s.claim_job("w", secs(t, 2)).await.unwrap().unwrap();
    record(&s, a, v1, "one.example", 85, t).await;
    w.after(&s, "record_scan", &[a]).await;
    s.complete_job(&job, secs(t, 3)).await.unwrap();
    w.after(&s, "complete_job", &[]).await;
    record(&s, a, v1, "one.example", 10, secs(t, -3_600)).await;
    w.after(&s, "record_scan older than the latest", &[]).await;
    let entries = s.claim_outbox("d", t, 100).await.unwrap();
    assert!(!entries.is_empty());
    s.mark_delivered(entries[0].id, t).await.unwrap();
    s.fail_delivery(entries[1].id, t, "refused").await.unwrap();
    w.after(&s, "outbox", &[]).await;
    s.record_scan_failure(a, v1, "unreachable").await.unwrap();
    w.after(&s, "record_scan_failure", &[a]).await;

    // Failures: a retry changes nothing listed; the last failure sets `error`.
    s.enqueue_scan(a, v2, t).await.unwrap();
    w.after(&s, "enqueue_scan", &[a]).await;
    let j1 = s.claim_job("w", t).await.unwrap().unwrap();
    assert!(matches!(
        s.fail_job(&j1, t, "timeout").await.unwrap(),
        JobFailure::Retry { .. }
    ));
    w.after(&s, "fail_job with a retry left", &[]).await;
    let j2 = s.claim_job("w", secs(t, 30)).await.unwrap().unwrap();
    assert_eq!(
        s.fail_job(&j2, secs(t, 30), "timeout").await.unwrap(),
        JobFailure::Failed
    );
    w.after(&s, "fail_job, last attempt", &[a]).await;

    // A worker dying on the last attempt: the next claim fails the job (vendor `error`).
    s.enqueue_scan(b, bv, t).await.unwrap();
    w.after(&s, "enqueue_scan", &[b]).await;
    s.claim_job("w", t).await.unwrap().unwrap();
    s.claim_job("w", secs(t, 61)).await.unwrap().unwrap();
    w.after(&s, "claim after an expired lease", &[]).await;
    assert_eq!(s.claim_job("w", secs(t, 200)).await.unwrap(), None);
    w.after(&s, "claim_job reaping a dead last attempt", &[b])
        .await;
    assert_eq!(s.vendor(b, bv).await.unwrap().status, VendorStatus::Error);
    // Reaping on the way to claiming another account's job.
    s.enqueue_scan(b, bv, secs(t, 300)).await.unwrap();
    s.claim_job("w", secs(t, 300)).await.unwrap().unwrap();
    s.claim_job("w", secs(t, 361)).await.unwrap().unwrap();
    s.enqueue_scan(a, v2, secs(t, 400)).await.unwrap();
    w.after(&s, "enqueue_scan", &[a, b]).await;
    let claimed = s.claim_job("w", secs(t, 500)).await.unwrap().unwrap();
    assert_eq!(claimed.vendor_id, v2);
    w.after(&s, "claim_job reaping and claiming", &[b]).await;
    s.complete_job(&claimed, secs(t, 501)).await.unwrap();

    // Periodic rescans touch every account they queue for.
    let month = Duration::from_secs(30 * 86_400);
    assert_eq!(
        s.enqueue_due_rescans(secs(t, 60 * 86_400), month, 100)
            .await
            .unwrap(),
        3
    );
    w.after(&s, "enqueue_due_rescans", &[a, b]).await;
    assert_eq!(
        s.enqueue_due_rescans(secs(t, 60 * 86_400), month, 100)
            .await
            .unwrap(),
        0
    );
    w.after(&s, "enqueue_due_rescans with nothing due", &[])
        .await;

    s.delete_vendor(a, v2).await.unwrap();
    w.after(&s, "delete_vendor", &[a]).await;
    assert!(s.delete_vendor(a, v2).await.is_err());
    assert!(s.delete_vendor(a, bv).await.is_err());
    assert!(s.record_scan_failure(a, bv, "x").await.is_err());
    w.after(&s, "refused deletes and failures", &[]).await;
}

/// A write through another store handle (its own connections, as another
/// process has) shows in this handle's next data version read.
async fn data_version_is_shared_by_all_handles(ctx: &Ctx) {
    let a = account(&ctx.store, "Acme").await;
    let before = ctx.store.data_version(a).await.unwrap();
    let other = SqlStore::open(&ctx.target).await.unwrap();
    let v = vendor(&other, a, "elsewhere.example").await;
    let after_create = ctx.store.data_version(a).await.unwrap();
    assert!(after_create > before);
    other.enqueue_scan(a, v, ts(NOW)).await.unwrap();
    assert!(ctx.store.data_version(a).await.unwrap() > after_create);
    other.close().await;
}

/// A released job is queued again at once, its attempt not counted, its
/// vendor still `scanning`; a stale claim cannot release it.
async fn jobs_release_gives_the_job_back_uncounted(ctx: &Ctx) {
    let s = ctx.store.clone().with_job_policy(JobPolicy {
        max_attempts: 1,
        ..JobPolicy::default()
    });
    let a = account(&s, "Acme").await;
    let v = vendor(&s, a, "vendor.example").await;
    let t = ts(NOW);
    let queued = s.enqueue_scan(a, v, t).await.unwrap().job;
    let first = s.claim_job("stopping", t).await.unwrap().unwrap();
    assert_eq!(first.attempt, 1);
    // Even on its only attempt, releasing neither fails the job nor marks the vendor.
    for round in 0..3 {
        let held = if round == 0 {
            first.clone()
        } else {
            s.claim_job("stopping", secs(t, round))
                .await
                .unwrap()
                .unwrap()
        };
        assert_eq!((held.id, held.attempt), (queued.id, 1), "round {round}");
        s.release_job(&held, secs(t, round)).await.unwrap();
        let job = s.job(a, queued.id).await.unwrap();
        assert_eq!(
            (
                job.state,
                job.attempts,
                job.lease_until,
                job.run_after,
                job.finished_at
            ),
            (JobState::Queued, 0, None, secs(t, round), None),
            "round {round}"
        );
        assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Scanning);
        assert_eq!(s.vendor_error(a, v).await.unwrap(), None);
        // Released twice, or heartbeat/complete/fail after the release: the lease is gone.
        assert!(matches!(
            s.release_job(&held, secs(t, round)).await,
            Err(Error::LeaseLost { .. })
        ));
        assert!(matches!(
            s.heartbeat_job(&held, secs(t, round)).await,
            Err(Error::LeaseLost { .. })
        ));
        assert!(matches!(
            s.complete_job(&held, secs(t, round)).await,
            Err(Error::LeaseLost { .. })
        ));
        assert!(matches!(
            s.fail_job(&held, secs(t, round), "x").await,
            Err(Error::LeaseLost { .. })
        ));
    }
    // Still one active job for the vendor; the next worker runs it and finishes it.
    assert!(!s.enqueue_scan(a, v, t).await.unwrap().created);
    let next = s.claim_job("next", secs(t, 10)).await.unwrap().unwrap();
    assert_eq!((next.id, next.attempt), (queued.id, 1));
    record(&s, a, v, "vendor.example", 90, secs(t, 11)).await;
    s.complete_job(&next, secs(t, 12)).await.unwrap();
    assert_eq!(s.job(a, queued.id).await.unwrap().state, JobState::Done);
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Complete);

    // A claim that lost its lease (expired, claimed by another) cannot release the job.
    let s2 = ctx.store.clone();
    let second = s2.enqueue_scan(a, v, secs(t, 20)).await.unwrap().job;
    let lapsed = s2.claim_job("dead", secs(t, 20)).await.unwrap().unwrap();
    let taker = s2
        .claim_job("alive", secs(t, 20 + 301))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taker.id, taker.attempt), (second.id, 2));
    assert!(matches!(
        s2.release_job(&lapsed, secs(t, 322)).await,
        Err(Error::LeaseLost { .. })
    ));
    let job = s2.job(a, second.id).await.unwrap();
    assert_eq!(
        (job.state, job.worker.as_deref()),
        (JobState::Running, Some("alive"))
    );
}

/// The vendor lists (one statement, rows aggregated as JSON by the
/// database) read back every value exactly as stored — awkward text
/// included — newest first (ties by id), pages and totals right, other
/// accounts' vendors never.
async fn vendor_lists_read_back_every_value_exactly(ctx: &Ctx) {
    let s = &ctx.store;
    let a = account(s, "Acme").await;
    let b = account(s, "Beta").await;
    let empty = s.all_vendors(a).await.unwrap();
    assert_eq!((empty.vendors.len(), empty.total), (0, 0));
    let awkward = [
        "quote \" backslash \\ slash / tab \t newline \n cr \r",
        "control \u{1}\u{1f}\u{7f} nul-free",
        "unicode é ß 漢字 🦀 \u{2028}\u{2029} \u{feff}",
        "</script><!-- {\"json\": [1, 2]} -->",
        "",
    ];
    let mut ids = Vec::new();
    for (i, text) in awkward.iter().enumerate() {
        let new = NewVendor {
            vendor_name: Some((*text).to_owned()),
            notes: (i % 2 == 0).then(|| format!("{text} / notes {i}")),
            ..NewVendor::new(format!("v{i}.example"), true)
        };
        // Two at each time stamp: the order falls back to the id.
        let at = secs(ts(NOW), i64::try_from(i / 2).unwrap());
        ids.push(s.create_vendor(a, &new, at).await.unwrap().id);
    }
    let long = NewVendor {
        vendor_name: None,
        notes: Some("ü".repeat(limits::NOTES)),
        ..NewVendor::new(format!("{}.example", "l".repeat(limits::DOMAIN - 8)), true)
    };
    ids.push(s.create_vendor(a, &long, ts(NOW)).await.unwrap().id);
    vendor(s, b, "other.example").await;
    // Scanned, failed, queued: every column set or unset somewhere.
    record(s, a, ids[0], "v0.example", 97, secs(ts(NOW), 5)).await;
    record(s, a, ids[1], "v1.example", 12, secs(ts(NOW), 6)).await;
    s.record_scan_failure(a, ids[2], "down").await.unwrap();
    s.enqueue_scan(a, ids[3], ts(NOW)).await.unwrap();

    let mut expected = Vec::new();
    for id in &ids {
        expected.push(s.vendor(a, *id).await.unwrap());
    }
    expected.sort_by_key(|v| std::cmp::Reverse((v.created_at, v.id)));
    let all = s.all_vendors(a).await.unwrap();
    assert_eq!(all.total, 6);
    assert_eq!(all.vendors, expected);
    assert_eq!(all.vendors[0].domain, "v4.example", "the newest");
    assert!(all.vendors.iter().any(|v| v.vendor_name.is_none()));
    assert!(all.vendors.iter().any(|v| v.notes.is_none()));
    let mut paged = Vec::new();
    for offset in (0..8).step_by(4) {
        let page = s.list_vendors(a, Page { offset, limit: 4 }).await.unwrap();
        assert_eq!(page.total, 6);
        paged.extend(page.vendors);
    }
    assert_eq!(paged, expected);
    let past = s
        .list_vendors(
            a,
            Page {
                offset: 100,
                limit: 4,
            },
        )
        .await
        .unwrap();
    assert_eq!((past.vendors.len(), past.total), (0, 6));
    let theirs = s.all_vendors(b).await.unwrap();
    assert_eq!(theirs.total, 1);
    assert_eq!(theirs.vendors[0].domain, "other.example");
    assert_eq!(theirs.vendors[0].account_id, b);
}
