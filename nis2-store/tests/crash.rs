//! Crash and concurrency tests: a worker or dispatcher process killed with
//! SIGKILL while holding a claim, and several workers sharing one queue.
//!
//! The killed process is this test binary run again with only
//! [`crash_helper`] selected and `NIS2_CRASH_ROLE` set: it claims, says so on
//! stderr, and sleeps until it is killed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Ctx, record};
use nis2_core::{Timestamp, VendorStatus};
use nis2_store::{JobPolicy, JobState, NewVendor, OutboxPolicy, OutboxState, SqlStore};
use time::OffsetDateTime;

contract!(
    job_of_killed_worker_is_reclaimed_and_done_once,
    outbox_entry_of_killed_dispatcher_is_delivered,
    concurrent_workers_do_each_job_once
);

const ROLE: &str = "NIS2_CRASH_ROLE";
const TARGET: &str = "NIS2_CRASH_TARGET";
/// Short leases so the tests wait seconds, not minutes.
const LEASE: Duration = Duration::from_secs(2);

fn now() -> Timestamp {
    OffsetDateTime::now_utc().into()
}

fn short_leases(s: SqlStore) -> SqlStore {
    s.with_job_policy(JobPolicy {
        lease: LEASE,
        ..JobPolicy::default()
    })
    .with_outbox_policy(OutboxPolicy {
        lease: LEASE,
        ..OutboxPolicy::default()
    })
}

/// The process the crash tests kill. Does nothing unless started by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper process for the crash tests; they start it with NIS2_CRASH_ROLE set"]
async fn crash_helper() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let target = std::env::var(TARGET).unwrap();
    let store = short_leases(SqlStore::open(&target).await.unwrap());
    let said = match role.as_str() {
        "worker" => {
            let job = store
                .claim_job("doomed-worker", now())
                .await
                .unwrap()
                .expect("a queued job");
            format!("CLAIMED job {}", job.id)
        }
        "dispatcher" => {
            let entries = store
                .claim_outbox("doomed-dispatcher", now(), 10)
                .await
                .unwrap();
            assert!(!entries.is_empty());
            format!("CLAIMED outbox {}", entries.len())
        }
        other => panic!("unknown role {other}"),
    };
    // Straight to the process's stderr (the harness captures eprintln!).
    let mut err = std::io::stderr();
    writeln!(err, "{said}").unwrap();
    err.flush().unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;
}

/// Starts the helper in `role`, waits until it has claimed, SIGKILLs it.
async fn run_and_kill(role: &str, target: &str) -> String {
    let role = role.to_owned();
    let target = target.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "crash_helper",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(ROLE, &role)
            .env(TARGET, &target)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut said = None;
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.starts_with("CLAIMED") {
                said = Some(line);
                break;
            }
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let said = said.unwrap_or_else(|| panic!("helper ended without claiming: {status}"));
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL");
        said
    })
    .await
    .unwrap()
}

async fn job_of_killed_worker_is_reclaimed_and_done_once(ctx: &Ctx) {
    let s = short_leases(ctx.store.clone());
    let a = s.create_account("Acme", None, now()).await.unwrap().id;
    let v = s
        .create_vendor(a, &NewVendor::new("vendor.example", true), now())
        .await
        .unwrap()
        .id;
    let queued = s.enqueue_scan(a, v, now()).await.unwrap().job;

    let said = run_and_kill("worker", &ctx.target).await;
    assert_eq!(said, format!("CLAIMED job {}", queued.id));
    let held = s.job(a, queued.id).await.unwrap();
    assert_eq!(
        (held.state, held.worker.as_deref(), held.attempts),
        (JobState::Running, Some("doomed-worker"), 1)
    );
    // Dead, but its lease still runs: nobody may take the job yet.
    let until = held.lease_until.unwrap();
    if now() < until {
        assert_eq!(s.claim_job("rescuer", now()).await.unwrap(), None);
    }
    // After the lease, a live worker takes it and finishes it.
    while now() <= until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = s
        .claim_job("rescuer", now())
        .await
        .unwrap()
        .expect("re-claimed after the lease");
    assert_eq!((job.id, job.attempt), (queued.id, 2));
    record(&s, a, v, "vendor.example", 90, now()).await;
    s.complete_job(&job, now()).await.unwrap();

    let done = s.job(a, queued.id).await.unwrap();
    assert_eq!(
        (done.state, done.attempts, done.worker.as_deref()),
        (JobState::Done, 2, Some("rescuer"))
    );
    assert_eq!(s.vendor_jobs(a, v).await.unwrap().len(), 1);
    assert_eq!(
        s.scan_history(a, v, nis2_store::Page::default())
            .await
            .unwrap()
            .len(),
        1,
        "completed once"
    );
    assert_eq!(s.vendor(a, v).await.unwrap().status, VendorStatus::Complete);
    tokio::time::sleep(LEASE + Duration::from_millis(200)).await;
    assert_eq!(
        s.claim_job("rescuer", now()).await.unwrap(),
        None,
        "never handed out again"
    );
}

async fn outbox_entry_of_killed_dispatcher_is_delivered(ctx: &Ctx) {
    let s = short_leases(ctx.store.clone());
    let a = s.create_account("Acme", None, now()).await.unwrap().id;
    let v = s
        .create_vendor(a, &NewVendor::new("vendor.example", true), now())
        .await
        .unwrap()
        .id;
    // Score 30: scan_completed and critical_alert.
    record(&s, a, v, "vendor.example", 30, now()).await;
    let written = s.outbox_entries(a, 10).await.unwrap();
    assert_eq!(written.len(), 2);

    let said = run_and_kill("dispatcher", &ctx.target).await;
    assert_eq!(said, "CLAIMED outbox 2");
    let claimed = s.outbox_entries(a, 10).await.unwrap();
    let until = claimed
        .iter()
        .map(|e| e.claimed_until.unwrap())
        .max()
        .unwrap();
    if now() < until {
        assert!(
            s.claim_outbox("restarted", now(), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
    while now() <= until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The restarted dispatcher gets both entries, with their exact bodies, and delivers them.
    let entries = s.claim_outbox("restarted", now(), 10).await.unwrap();
    let mut expected: Vec<_> = written.iter().map(|e| (e.id, e.body.clone())).collect();
    expected.sort();
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.id, e.body.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    for e in &entries {
        s.mark_delivered(e.id, now()).await.unwrap();
    }
    assert!(
        s.outbox_entries(a, 10)
            .await
            .unwrap()
            .iter()
            .all(|e| e.state == OutboxState::Delivered)
    );
    assert_eq!(s.pending_outbox_count().await.unwrap(), 0);
}

async fn concurrent_workers_do_each_job_once(ctx: &Ctx) {
    const JOBS: usize = 60;
    const WORKERS: usize = 4;
    let s = &ctx.store;
    let a = s.create_account("Acme", None, now()).await.unwrap().id;
    let mut expected = HashSet::new();
    for i in 0..JOBS {
        let v = s
            .create_vendor(a, &NewVendor::new(format!("v{i}.example"), true), now())
            .await
            .unwrap()
            .id;
        expected.insert(s.enqueue_scan(a, v, now()).await.unwrap().job.id);
    }
    let done = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for w in 0..WORKERS {
        // Each worker has its own pool, as separate processes would.
        let store = SqlStore::open(&ctx.target).await.unwrap();
        let done = Arc::clone(&done);
        handles.push(tokio::spawn(async move {
            let name = format!("worker-{w}");
            while let Some(job) = store.claim_job(&name, now()).await.unwrap() {
                record(
                    &store,
                    job.account_id,
                    job.vendor_id,
                    &job.domain,
                    80,
                    now(),
                )
                .await;
                store.complete_job(&job, now()).await.unwrap();
                done.lock().unwrap().push((job.id, name.clone()));
            }
            store.close().await;
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let done = done.lock().unwrap().clone();
    let ids: HashSet<_> = done.iter().map(|(id, _)| *id).collect();
    assert_eq!(done.len(), JOBS, "no job done twice");
    assert_eq!(ids, expected, "no job lost");
    let workers: HashSet<_> = done.iter().map(|(_, w)| w.clone()).collect();
    assert!(!workers.is_empty());
    for id in &expected {
        let job = s.job(a, *id).await.unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Done, 1));
    }
    let page = s
        .list_vendors(a, nis2_store::Page::first(500))
        .await
        .unwrap();
    assert!(
        page.vendors
            .iter()
            .all(|v| v.status == VendorStatus::Complete && v.current_score == Some(80))
    );
    assert_eq!(s.outbox_entries(a, 1_000).await.unwrap().len(), JOBS);
}
