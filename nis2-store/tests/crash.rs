//! Crash and concurrency tests: a worker or dispatcher process killed with
//! SIGKILL while holding a claim, and several worker processes sharing one
//! queue — on SQLite and on PostgreSQL.
//!
//! The processes are this test binary started again with `NIS2_CRASH_ROLE`
//! set. So that the helper is not a (skipped) test of its own, this file has
//! its own small `main` (`harness = false` in Cargo.toml): with the role set
//! it plays that role; otherwise it runs the cases below, taking the usual
//! name filters (`--exact`, `--skip`, `--list`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::pin::Pin;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Ctx, record};
use nis2_core::{Timestamp, VendorStatus};
use nis2_store::{Backend, JobPolicy, JobState, NewVendor, OutboxPolicy, OutboxState, SqlStore};
use time::OffsetDateTime;

const ROLE: &str = "NIS2_CRASH_ROLE";
const TARGET: &str = "NIS2_CRASH_TARGET";
const WORKER: &str = "NIS2_CRASH_WORKER";
/// Short leases so the tests wait seconds, not minutes.
const LEASE: Duration = Duration::from_secs(2);
/// A case that takes longer than this has hung: it fails.
const CASE_TIMEOUT: Duration = Duration::from_secs(180);

type Case = fn() -> Pin<Box<dyn Future<Output = Ran> + Send>>;

/// Whether a case ran, or could not (no PostgreSQL and not required).
enum Ran {
    Yes,
    NotRun,
}

/// Each case on SQLite and on PostgreSQL.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        &[
            $(
                (concat!("on_sqlite::", stringify!($name)), || Box::pin(async {
                    let ctx = common::sqlite().await;
                    assert_eq!(ctx.store.backend(), Backend::Sqlite);
                    $name(&ctx).await;
                    Ran::Yes
                })),
                (concat!("on_postgres::", stringify!($name)), || Box::pin(async {
                    let test = concat!("crash::on_postgres::", stringify!($name));
                    let Some(ctx) = common::postgres(test).await else { return Ran::NotRun };
                    assert_eq!(ctx.store.backend(), Backend::Postgres);
                    $name(&ctx).await;
                    Ran::Yes
                })),
            )*
        ]
    };
}

const CASES: &[(&str, Case)] = cases!(
    job_of_killed_worker_is_reclaimed_and_done_once,
    outbox_entry_of_killed_dispatcher_is_delivered,
    concurrent_workers_do_each_job_once,
    worker_processes_do_each_job_once,
);

fn main() -> ExitCode {
    if let Ok(role) = std::env::var(ROLE) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(helper(&role));
        return ExitCode::SUCCESS;
    }
    run_cases()
}

/// Runs the selected cases, each on a thread and runtime of its own, and
/// reports like libtest.
fn run_cases() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut filters, mut skips, mut exact, mut list, mut only_ignored) =
        (Vec::new(), Vec::new(), false, false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--exact" => exact = true,
            "--list" => list = true,
            "--ignored" => only_ignored = true,
            "--skip" => skips.extend(args.next()),
            // Options with a value this runner does not use.
            "--test-threads" | "--color" | "--format" | "--logfile" | "-Z" => {
                args.next();
            }
            flag if flag.starts_with('-') => {}
            filter => filters.push(filter.to_owned()),
        }
    }
    let matches = |name: &str, pattern: &str| {
        if exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    let selected: Vec<&(&str, Case)> = CASES
        .iter()
        .filter(|_| !only_ignored)
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| matches(name, f)))
        .filter(|(name, _)| !skips.iter().any(|f| matches(name, f)))
        .collect();
    if list {
        for (name, _) in &selected {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    println!("\nrunning {} tests", selected.len());
    let handles: Vec<_> = selected
        .iter()
        .map(|&&(name, case)| {
            let handle = std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .unwrap();
                    match rt.block_on(async { tokio::time::timeout(CASE_TIMEOUT, case()).await }) {
                        Ok(ran) => ran,
                        Err(_) => {
                            // Do not wait for whatever hangs (dropping the runtime would).
                            rt.shutdown_timeout(Duration::from_secs(1));
                            panic!("{name} did not finish in {CASE_TIMEOUT:?}")
                        }
                    }
                })
                .unwrap();
            (name, handle)
        })
        .collect();
    let (mut passed, mut failed, mut not_run) = (0, Vec::new(), 0);
    for (name, handle) in handles {
        match handle.join() {
            Ok(Ran::Yes) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Ok(Ran::NotRun) => {
                not_run += 1;
                println!("test {name} ... NOT RUN (no PostgreSQL)");
            }
            Err(_) => {
                failed.push(name);
                println!("test {name} ... FAILED");
            }
        }
    }
    let verdict = if failed.is_empty() { "ok" } else { "FAILED" };
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {verdict}. {passed} passed; {} failed; {not_run} not run; {} filtered out\n",
        failed.len(),
        CASES.len() - selected.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(101)
    }
}

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

/// What a child process does.
async fn helper(role: &str) {
    let target = std::env::var(TARGET).unwrap();
    let store = short_leases(SqlStore::open(&target).await.unwrap());
    // Straight to the process's stderr/stdout, flushed, for the parent to read.
    let say = |line: String| {
        let mut out = std::io::stdout();
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
    };
    match role {
        "worker" => {
            let job = store
                .claim_job("doomed-worker", now())
                .await
                .unwrap()
                .expect("a queued job");
            say(format!("CLAIMED job {}", job.id));
        }
        "dispatcher" => {
            let entries = store
                .claim_outbox("doomed-dispatcher", now(), 10)
                .await
                .unwrap();
            assert!(!entries.is_empty());
            say(format!("CLAIMED outbox {}", entries.len()));
        }
        "drain" => {
            // Wait for the parent's GO, so all workers start together.
            let name = std::env::var(WORKER).unwrap();
            say("READY".into());
            let mut go = String::new();
            std::io::stdin().read_line(&mut go).unwrap();
            assert_eq!(go.trim(), "GO");
            while let Some(job) = store.claim_job(&name, now()).await.unwrap() {
                // The "scan": takes a little while, so the workers overlap.
                tokio::time::sleep(Duration::from_millis(15)).await;
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
                say(format!("DONE {}", job.id));
            }
            say("EMPTY".into());
            store.close().await;
            return;
        }
        other => panic!("unknown role {other}"),
    }
    // Hold the claim until killed.
    tokio::time::sleep(Duration::from_secs(600)).await;
}

fn helper_command(role: &str, target: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(ROLE, role)
        .env(TARGET, target)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    cmd
}

/// Starts the helper in `role`, waits until it has claimed, SIGKILLs it.
async fn run_and_kill(role: &str, target: &str) -> String {
    let mut cmd = helper_command(role, target);
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.stdin(Stdio::null()).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut said = None;
        for line in BufReader::new(stdout).lines() {
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
                // The "scan" takes a little while, so the workers overlap.
                tokio::time::sleep(Duration::from_millis(5)).await;
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
    assert!(
        workers.len() >= 2,
        "the workers did not overlap: {workers:?}"
    );
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

/// Several worker *processes*, each with its own connection pool, drain one
/// queue together: every job is done exactly once, none is lost.
async fn worker_processes_do_each_job_once(ctx: &Ctx) {
    const JOBS: usize = 120;
    const PROCESSES: usize = 4;
    let s = &ctx.store;
    let a = s.create_account("Acme", None, now()).await.unwrap().id;
    let mut expected = HashSet::new();
    for i in 0..JOBS {
        let v = s
            .create_vendor(a, &NewVendor::new(format!("p{i}.example"), true), now())
            .await
            .unwrap()
            .id;
        expected.insert(s.enqueue_scan(a, v, now()).await.unwrap().job.id.0);
    }
    let target = ctx.target.clone();
    let done: Vec<(String, i64)> = tokio::task::spawn_blocking(move || {
        let mut children: Vec<_> = (0..PROCESSES)
            .map(|w| {
                let mut cmd = helper_command("drain", &target);
                cmd.env(WORKER, format!("proc-{w}")).stdin(Stdio::piped());
                let mut child = cmd.spawn().unwrap();
                let lines = BufReader::new(child.stdout.take().unwrap()).lines();
                (format!("proc-{w}"), child, lines)
            })
            .collect();
        for (name, _, lines) in &mut children {
            let first = lines.next().unwrap().unwrap();
            assert_eq!(first, "READY", "{name}");
        }
        for (_, child, _) in &mut children {
            writeln!(child.stdin.as_mut().unwrap(), "GO").unwrap();
        }
        let mut done = Vec::new();
        for (name, mut child, lines) in children {
            let mut empty = false;
            for line in lines {
                let line = line.unwrap();
                if let Some(id) = line.strip_prefix("DONE ") {
                    done.push((name.clone(), id.parse::<i64>().unwrap()));
                } else if line == "EMPTY" {
                    empty = true;
                }
            }
            let status = child.wait().unwrap();
            assert!(status.success() && empty, "{name} ended with {status}");
        }
        done
    })
    .await
    .unwrap();

    let ids: Vec<i64> = done.iter().map(|(_, id)| *id).collect();
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "a job was done twice");
    assert_eq!(unique, expected, "a job was lost");
    let mut per_process: HashMap<&str, usize> = HashMap::new();
    for (name, _) in &done {
        *per_process.entry(name.as_str()).or_default() += 1;
    }
    assert!(
        per_process.len() >= 2,
        "the processes did not overlap: {per_process:?}"
    );
    for id in &expected {
        let job = s.job(a, nis2_store::JobId(*id)).await.unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Done, 1));
        let vendor = s.vendor(a, job.vendor_id).await.unwrap();
        assert_eq!(vendor.status, VendorStatus::Complete);
        assert_eq!(
            s.scan_history(a, job.vendor_id, nis2_store::Page::default())
                .await
                .unwrap()
                .len(),
            1
        );
    }
    assert_eq!(s.outbox_entries(a, 1_000).await.unwrap().len(), JOBS);
    assert_eq!(s.claim_job("late", now()).await.unwrap(), None);
}
