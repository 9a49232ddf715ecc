//! The scan job queue: enqueue, claim with a lease, heartbeat, complete,
//! fail with retries or release (give back uncounted), periodic rescans.
//!
//! A vendor never has two jobs queued or running: a partial unique index
//! (`scan_jobs_one_active`) holds the rule, and [`SqlStore::enqueue_scan`]
//! is idempotent over it. Claims are leases: a worker that dies stops
//! heartbeating, its lease runs out, and the next claim takes the job again
//! (counting an attempt). Each claim carries a fresh lease token that
//! heartbeat, complete and fail must present, so a worker that lost its
//! lease cannot finish a job someone else now holds.

use std::time::Duration;

use nis2_core::{AccountId, Timestamp, VendorId};
use uuid::Uuid;

use crate::convert::{self, after, from_micros, micros, opt_from_micros};
use crate::error::Error;
use crate::model::{ClaimedJob, Enqueued, Job, JobFailure, JobId, JobState, backoff};
use crate::store::SqlStore;
use crate::validate::{self, limits};

macro_rules! job_columns {
    () => {
        "id, account_id, vendor_id, state, attempts, max_attempts, run_after, lease_until, heartbeat_at, \
         worker, last_error, created_at, finished_at"
    };
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    account_id: Uuid,
    vendor_id: Uuid,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_after: i64,
    lease_until: Option<i64>,
    heartbeat_at: Option<i64>,
    worker: Option<String>,
    last_error: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

fn job_state(s: &str) -> Result<JobState, Error> {
    match s {
        "queued" => Ok(JobState::Queued),
        "running" => Ok(JobState::Running),
        "done" => Ok(JobState::Done),
        "failed" => Ok(JobState::Failed),
        other => Err(Error::corrupt(format!("job state `{other}`"))),
    }
}

impl TryFrom<JobRow> for Job {
    type Error = Error;
    fn try_from(r: JobRow) -> Result<Self, Error> {
        Ok(Job {
            id: JobId(r.id),
            account_id: AccountId(r.account_id),
            vendor_id: VendorId(r.vendor_id),
            state: job_state(&r.state)?,
            attempts: convert::attempts(r.attempts)?,
            max_attempts: convert::attempts(r.max_attempts)?,
            run_after: from_micros(r.run_after)?,
            lease_until: opt_from_micros(r.lease_until)?,
            heartbeat_at: opt_from_micros(r.heartbeat_at)?,
            worker: r.worker,
            last_error: r.last_error,
            created_at: from_micros(r.created_at)?,
            finished_at: opt_from_micros(r.finished_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    account_id: Uuid,
    vendor_id: Uuid,
    attempts: i64,
    max_attempts: i64,
}

/// Claims the oldest due job: queued and due, or running with an expired
/// lease and attempts left. PostgreSQL skips rows other claimers hold
/// (`FOR UPDATE SKIP LOCKED`); SQLite runs it under its write lock.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE scan_jobs SET state = 'running', attempts = attempts + 1, lease_token = $1, \
             lease_until = $2, heartbeat_at = $3, worker = $4 \
             WHERE id = (SELECT id FROM scan_jobs \
               WHERE (state = 'queued' AND run_after <= $3) \
                  OR (state = 'running' AND lease_until < $3 AND attempts < max_attempts) \
               ORDER BY run_after, id LIMIT 1",
            $lock,
            ") RETURNING id, account_id, vendor_id, attempts, max_attempts"
        )
    };
}

/// Fails, for good, running jobs whose lease expired on their last attempt.
/// PostgreSQL skips rows another claimer is reaping (no lock-order deadlock
/// between concurrent reapers).
macro_rules! reap_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE scan_jobs SET state = 'failed', finished_at = $1, lease_token = NULL, \
             last_error = 'the worker stopped (lease expired) on the last attempt' \
             WHERE id IN (SELECT id FROM scan_jobs \
               WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts",
            $lock,
            ") RETURNING account_id, vendor_id"
        )
    };
}

impl SqlStore {
    /// Queues a scan of one of the account's vendors and sets the vendor's
    /// status to `scanning`, in one transaction. Idempotent: when the vendor
    /// already has a job queued or running, that job is returned with
    /// `created == false` and nothing changes.
    pub async fn enqueue_scan(
        &self,
        account: AccountId,
        vendor: VendorId,
        now: Timestamp,
    ) -> Result<Enqueued, Error> {
        let max_attempts = i64::from(self.jobs.max_attempts.max(1));
        let (row, created): (JobRow, bool) = write_tx!(self, tx => {
            let found: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM vendors WHERE id = $1 AND account_id = $2")
                .bind(vendor.0)
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(Error::NotFound { what: "vendor" });
            }
            // On PostgreSQL the active job the insert ran into can finish before the
            // read below; then the insert is tried again (each statement sees the
            // latest commits). SQLite holds its write lock, so it never loops.
            let mut tries = 0;
            loop {
                tries += 1;
                let inserted: Option<JobRow> = sqlx::query_as(concat!(
                    "INSERT INTO scan_jobs (account_id, vendor_id, state, attempts, max_attempts, run_after, created_at) \
                     VALUES ($1, $2, 'queued', 0, $3, $4, $4) \
                     ON CONFLICT (vendor_id) WHERE state IN ('queued', 'running') DO NOTHING RETURNING ",
                    job_columns!()
                ))
                .bind(account.0)
                .bind(vendor.0)
                .bind(max_attempts)
                .bind(micros(now))
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = inserted {
                    sqlx::query("UPDATE vendors SET status = 'scanning' WHERE id = $1 AND account_id = $2")
                        .bind(vendor.0)
                        .bind(account.0)
                        .execute(&mut *tx)
                        .await?;
                    bump_version!(tx, account.0);
                    break (row, true);
                }
                let active: Option<JobRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    job_columns!(),
                    " FROM scan_jobs WHERE vendor_id = $1 AND account_id = $2 AND state IN ('queued', 'running')"
                ))
                .bind(vendor.0)
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await?;
                match active {
                    Some(row) => break (row, false),
                    None if tries < 5 => continue,
                    None => {
                        return Err(Error::Conflict {
                            message: "the vendor's scan jobs kept changing; try again".into(),
                        })
                    }
                }
            }
        });
        Ok(Enqueued {
            job: row.try_into()?,
            created,
        })
    }

    /// Claims the next due job for `worker`, leased for the policy's lease
    /// from `now`; `None` when no job is due. Jobs whose worker died on their
    /// last attempt are failed (vendor status `error`) on the way.
    ///
    /// A job whose vendor's stored domain cannot be read (not UTF-8: a SQLite
    /// file changed by another program) is failed for good, with the vendor's
    /// status `error`, and reported as [`Error::Corrupt`]; the next claim goes
    /// on with the other jobs.
    pub async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
    ) -> Result<Option<ClaimedJob>, Error> {
        validate::required("worker", worker, limits::WORKER)?;
        if self.backend() == crate::Backend::Sqlite {
            // Polling an empty queue should not take SQLite's write lock every time.
            let due: bool = on_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM scan_jobs WHERE (state = 'queued' AND run_after <= $1) \
                     OR (state = 'running' AND lease_until < $1))",
                )
                .bind(micros(now))
                .fetch_one(pool)
                .await?
            });
            if !due {
                return Ok(None);
            }
        }
        let token = Uuid::new_v4();
        let lease_until = after(now, self.jobs.lease);
        let claimed: Option<Result<(ClaimRow, String), Error>> = write_tx!(self, tx => {
            let reap = match self.backend() {
                crate::Backend::Postgres => reap_sql!(" FOR UPDATE SKIP LOCKED"),
                crate::Backend::Sqlite => reap_sql!(""),
            };
            let reaped: Vec<(Uuid, Uuid)> = sqlx::query_as(reap).bind(micros(now)).fetch_all(&mut *tx).await?;
            let mut changed: Vec<Uuid> = Vec::new();
            for (account, vendor) in reaped {
                // Only while still `scanning`: a worker may have stored the scan and died before completing.
                let n = sqlx::query(
                    "UPDATE vendors SET status = 'error', \
                     last_error = 'scan abandoned: the worker stopped on the last attempt' \
                     WHERE id = $1 AND status = 'scanning'",
                )
                .bind(vendor)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n > 0 {
                    changed.push(account);
                }
            }
            let sql = match self.backend() {
                crate::Backend::Postgres => claim_sql!(" FOR UPDATE SKIP LOCKED"),
                crate::Backend::Sqlite => claim_sql!(""),
            };
            let row: Option<ClaimRow> = sqlx::query_as(sql)
                .bind(token)
                .bind(lease_until)
                .bind(micros(now))
                .bind(worker)
                .fetch_optional(&mut *tx)
                .await?;
            match row {
                Some(row) => {
                    // Read as bytes: a domain that is not UTF-8 (a SQLite file changed by
                    // another program) must fail its own job, not every claim after it.
                    let domain_sql = match self.backend() {
                        crate::Backend::Postgres => "SELECT convert_to(domain, 'UTF8') FROM vendors WHERE id = $1",
                        crate::Backend::Sqlite => "SELECT CAST(domain AS BLOB) FROM vendors WHERE id = $1",
                    };
                    let (bytes,): (Vec<u8>,) = sqlx::query_as(domain_sql)
                        .bind(row.vendor_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    match String::from_utf8(bytes) {
                        Ok(domain) => {
                            bump_versions!(tx, changed);
                            Some(Ok((row, domain)))
                        }
                        Err(e) => {
                            let message = format!("the vendor's stored domain is not valid UTF-8: {e}");
                            sqlx::query(
                                "UPDATE scan_jobs SET state = 'failed', finished_at = $2, lease_token = NULL, \
                                 lease_until = NULL, last_error = $3 WHERE id = $1",
                            )
                            .bind(row.id)
                            .bind(micros(now))
                            .bind(&message)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query("UPDATE vendors SET status = 'error', last_error = $2 WHERE id = $1")
                                .bind(row.vendor_id)
                                .bind(&message)
                                .execute(&mut *tx)
                                .await?;
                            changed.push(row.account_id);
                            bump_versions!(tx, changed);
                            Some(Err(Error::Corrupt {
                                message: format!("scan job {}: {message}; the job failed", row.id),
                            }))
                        }
                    }
                }
                None => {
                    bump_versions!(tx, changed);
                    None
                }
            }
        });
        let Some(claimed) = claimed else {
            return Ok(None);
        };
        let (row, domain) = claimed?;
        Ok(Some(ClaimedJob {
            id: JobId(row.id),
            account_id: AccountId(row.account_id),
            vendor_id: VendorId(row.vendor_id),
            domain,
            attempt: convert::attempts(row.attempts)?,
            max_attempts: convert::attempts(row.max_attempts)?,
            lease_token: token,
            lease_until: from_micros(lease_until)?,
        }))
    }

    /// Extends a held lease to `now` plus the policy's lease; returns its new
    /// end. [`Error::LeaseLost`] when the job is no longer this claim's.
    pub async fn heartbeat_job(
        &self,
        job: &ClaimedJob,
        now: Timestamp,
    ) -> Result<Timestamp, Error> {
        let until = after(now, self.jobs.lease);
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scan_jobs SET lease_until = $3, heartbeat_at = $4 \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
            )
            .bind(job.id.0)
            .bind(job.lease_token)
            .bind(until)
            .bind(micros(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(Error::LeaseLost { job: job.id });
        }
        from_micros(until)
    }

    /// Marks a held job done. [`Error::LeaseLost`] when the job is no longer
    /// this claim's (then someone else completes it).
    pub async fn complete_job(&self, job: &ClaimedJob, now: Timestamp) -> Result<(), Error> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scan_jobs SET state = 'done', finished_at = $3, lease_token = NULL, lease_until = NULL \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
            )
            .bind(job.id.0)
            .bind(job.lease_token)
            .bind(micros(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(Error::LeaseLost { job: job.id });
        }
        Ok(())
    }

    /// Records a failed attempt of a held job. With attempts left it is
    /// queued again after an exponential back-off; after the last it fails
    /// and the vendor's status becomes `error` with `message`.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        now: Timestamp,
        message: &str,
    ) -> Result<JobFailure, Error> {
        let message = validate::message(message);
        let policy = self.jobs;
        let outcome = write_tx!(self, tx => {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT attempts, max_attempts FROM scan_jobs WHERE id = $1 AND lease_token = $2 AND state = 'running'",
            )
            .bind(job.id.0)
            .bind(job.lease_token)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((attempts, max_attempts)) = row else {
                return Err(Error::LeaseLost { job: job.id });
            };
            if attempts < max_attempts {
                let delay = backoff(policy.retry_base, policy.retry_max, convert::attempts(attempts)?);
                let at = after(now, delay);
                sqlx::query(
                    "UPDATE scan_jobs SET state = 'queued', run_after = $2, lease_token = NULL, lease_until = NULL, \
                     last_error = $3 WHERE id = $1",
                )
                .bind(job.id.0)
                .bind(at)
                .bind(&message)
                .execute(&mut *tx)
                .await?;
                JobFailure::Retry { at: from_micros(at)? }
            } else {
                sqlx::query(
                    "UPDATE scan_jobs SET state = 'failed', finished_at = $2, lease_token = NULL, lease_until = NULL, \
                     last_error = $3 WHERE id = $1",
                )
                .bind(job.id.0)
                .bind(micros(now))
                .bind(&message)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE vendors SET status = 'error', last_error = $3 WHERE id = $1 AND account_id = $2")
                    .bind(job.vendor_id.0)
                    .bind(job.account_id.0)
                    .bind(&message)
                    .execute(&mut *tx)
                    .await?;
                bump_version!(tx, job.account_id.0);
                JobFailure::Failed
            }
        });
        Ok(outcome)
    }

    /// Gives a held job back without it counting as a failure: it is queued
    /// again, claimable from `now`, its lease cleared, and the attempt its
    /// claim counted is taken back (the next claim has the same attempt
    /// number). The vendor stays `scanning` and the job's last error is kept.
    /// For a worker that stops (graceful shutdown) before its scan finished.
    /// [`Error::LeaseLost`] when the job is no longer this claim's.
    pub async fn release_job(&self, job: &ClaimedJob, now: Timestamp) -> Result<(), Error> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scan_jobs SET state = 'queued', \
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = $3, \
                 lease_token = NULL, lease_until = NULL \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
            )
            .bind(job.id.0)
            .bind(job.lease_token)
            .bind(micros(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(Error::LeaseLost { job: job.id });
        }
        Ok(())
    }

    /// One of the account's jobs.
    pub async fn job(&self, account: AccountId, id: JobId) -> Result<Job, Error> {
        let row: Option<JobRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!("SELECT ", job_columns!(), " FROM scan_jobs WHERE id = $1 AND account_id = $2"))
                .bind(id.0)
                .bind(account.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(Error::NotFound { what: "scan job" })?.try_into()
    }

    /// A vendor's jobs, newest first (at most 100).
    pub async fn vendor_jobs(
        &self,
        account: AccountId,
        vendor: VendorId,
    ) -> Result<Vec<Job>, Error> {
        self.vendor_exists(account, vendor).await?;
        let rows: Vec<JobRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                job_columns!(),
                " FROM scan_jobs WHERE account_id = $1 AND vendor_id = $2 ORDER BY id DESC LIMIT 100"
            ))
            .bind(account.0)
            .bind(vendor.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Job::try_from).collect()
    }

    /// Queues rescans, across all accounts, of up to `limit` vendors whose
    /// latest scan is older than `interval` before `now` (or that were never
    /// scanned and were added longer ago than that) and that have no job
    /// queued or running; sets their status to `scanning`. Returns how many
    /// jobs it queued. Run it periodically from one scheduler or many: the
    /// one-active-job rule keeps concurrent runs from doubling jobs.
    pub async fn enqueue_due_rescans(
        &self,
        now: Timestamp,
        interval: Duration,
        limit: u32,
    ) -> Result<u64, Error> {
        let cutoff = micros(now).saturating_sub(convert::duration_micros(interval));
        let max_attempts = i64::from(self.jobs.max_attempts.max(1));
        let queued: Vec<(Uuid, Uuid)> = write_tx!(self, tx => {
            let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
                "INSERT INTO scan_jobs (account_id, vendor_id, state, attempts, max_attempts, run_after, created_at) \
                 SELECT v.account_id, v.id, 'queued', 0, $2, $3, $3 FROM vendors v \
                 WHERE COALESCE(v.last_scanned_at, v.created_at) < $1 \
                   AND NOT EXISTS (SELECT 1 FROM scan_jobs j WHERE j.vendor_id = v.id AND j.state IN ('queued', 'running')) \
                 ORDER BY COALESCE(v.last_scanned_at, v.created_at), v.id LIMIT $4 \
                 ON CONFLICT (vendor_id) WHERE state IN ('queued', 'running') DO NOTHING \
                 RETURNING account_id, vendor_id",
            )
            .bind(cutoff)
            .bind(max_attempts)
            .bind(micros(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            // Their vendors are `scanning` now: one statement per 500 (within both databases' bind limits).
            for chunk in rows.chunks(500) {
                let mut update = sqlx::QueryBuilder::new("UPDATE vendors SET status = 'scanning' WHERE id IN (");
                let mut ids = update.separated(", ");
                for (_, vendor) in chunk {
                    ids.push_bind(*vendor);
                }
                update.push(")");
                update.build().execute(&mut *tx).await?;
            }
            bump_versions!(tx, rows.iter().map(|(account, _)| *account).collect());
            rows
        });
        Ok(queued.len() as u64)
    }
}
