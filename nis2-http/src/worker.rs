//! The scan worker and the webhook dispatcher, both driven by the store's
//! job queue and outbox (leases, retries, at-least-once).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use nis2_core::{AccountId, Engine, Event, Notifier, NotifyError, Scanner};
use nis2_scanner::{PolicyOptions, Purpose, ResolverOptions, TargetPolicy};
use nis2_store::{ClaimedJob, OutboxEntry, SqlStore, WebhookEndpoint};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::auth::error_chain;
use crate::clock::{SystemClock, now};
use crate::config::{WebhookConfig, WorkerConfig};
use crate::state::{SetupError, report_url};

/// The header carrying the outbox entry's id, for de-duplication by receivers
/// (delivery is at least once).
pub const EVENT_ID_HEADER: &str = "X-NIS2-Event-Id";
/// The header carrying the event's name.
pub const EVENT_HEADER: &str = "X-NIS2-Event";

/// Where a process is in its life: background tasks finish what they hold
/// on [`Phase::Stop`] and give it up on [`Phase::Abandon`] (the grace period
/// is over).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    Run,
    Stop,
    Abandon,
}

/// Whether the process is stopping (or its owner went away).
pub(crate) fn stopping(phase: &watch::Receiver<Phase>) -> bool {
    *phase.borrow() != Phase::Run || phase.has_changed().is_err()
}

/// Completes when the process starts stopping (or its owner went away).
pub(crate) async fn stop_requested(phase: &mut watch::Receiver<Phase>) {
    let _ = phase.wait_for(|p| *p != Phase::Run).await;
}

/// Completes when the grace period is over; never when the owner went away
/// without saying so (the task is then aborted instead).
async fn abandon_requested(phase: &mut watch::Receiver<Phase>) {
    if phase.wait_for(|p| *p == Phase::Abandon).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The core's notifier: wakes the in-process dispatcher. Events are already
/// in the outbox, so a dispatcher elsewhere finds them by polling.
#[derive(Clone, Debug)]
pub struct WakeNotifier(pub Arc<Notify>);

#[async_trait]
impl Notifier for WakeNotifier {
    async fn notify(&self, _account: AccountId, _events: &[Event]) -> Result<(), NotifyError> {
        self.0.notify_one();
        Ok(())
    }
}

/// Runs scan jobs from the store.
#[derive(Clone)]
pub(crate) struct Worker {
    pub(crate) store: SqlStore,
    pub(crate) engine: Engine,
    pub(crate) config: WorkerConfig,
    pub(crate) wake: Arc<Notify>,
}

impl Worker {
    pub(crate) fn new(
        store: SqlStore,
        scanner: Arc<dyn Scanner>,
        config: WorkerConfig,
        base_url: String,
        wake: Arc<Notify>,
        dispatcher_wake: Arc<Notify>,
    ) -> Self {
        let link = Arc::new(move |_vendor, scan| report_url(&base_url, scan));
        let engine = Engine::new(
            scanner,
            Arc::new(store.clone()),
            Arc::new(WakeNotifier(dispatcher_wake)),
            Arc::new(SystemClock),
        )
        .with_report_link(link);
        Self {
            store,
            engine,
            config,
            wake,
        }
    }

    /// Spawns the worker loops (and the rescan scheduler) into `set`.
    pub(crate) fn spawn(&self, set: &mut JoinSet<()>, stop: &watch::Receiver<Phase>) {
        for i in 0..self.config.concurrency.max(1) {
            let w = self.clone();
            let stop = stop.clone();
            set.spawn(async move { w.run(i, stop).await });
        }
        if let Some(interval) = self.config.rescan_interval {
            let store = self.store.clone();
            let wake = self.wake.clone();
            let mut stop = stop.clone();
            set.spawn(async move {
                loop {
                    match store.enqueue_due_rescans(now(), interval, 500).await {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::info!(queued = n, "periodic rescans queued");
                            wake.notify_waiters();
                        }
                        Err(e) => tracing::warn!(error = %e, "queueing rescans failed"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                        _ = stop_requested(&mut stop) => return,
                    }
                }
            });
        }
    }

    async fn run(self, index: usize, mut stop: watch::Receiver<Phase>) {
        let name = format!("{}-{index}", self.config.name);
        loop {
            if stopping(&stop) {
                return;
            }
            match self.store.claim_job(&name, now()).await {
                Ok(Some(job)) => {
                    let span = tracing::info_span!("scan_job", job = %job.id, vendor = %job.vendor_id, attempt = job.attempt);
                    self.run_job(&job, stop.clone()).instrument(span).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "claiming a scan job failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = self.wake.notified() => {}
                _ = stop_requested(&mut stop) => {}
            }
        }
    }

    /// Runs a claimed job to its end, or until the shutdown grace period is
    /// over: then the job is given back ([`SqlStore::release_job`]: queued
    /// again at once, the attempt not counted, the vendor still `scanning`)
    /// so another worker, or the next start, runs it.
    async fn run_job(&self, job: &ClaimedJob, mut phase: watch::Receiver<Phase>) {
        let vendor = match self.store.vendor(job.account_id, job.vendor_id).await {
            Ok(v) => v,
            Err(nis2_store::Error::NotFound { .. }) => {
                // Deleted meanwhile: nothing to scan.
                if let Err(e) = self.store.complete_job(job, now()).await {
                    tracing::warn!(job = %job.id, error = %e, "completing a job of a deleted vendor failed");
                }
                return;
            }
            Err(e) => {
                self.fail(job, &e.to_string()).await;
                return;
            }
        };
        tracing::info!(job = %job.id, vendor = %vendor.id, domain = %vendor.domain, "scan started");
        let scan = self.engine.scan_vendor(&vendor);
        tokio::pin!(scan);
        let mut beat = tokio::time::interval(self.config.heartbeat_interval);
        beat.tick().await;
        let outcome = loop {
            tokio::select! {
                out = &mut scan => break out,
                _ = beat.tick() => {
                    if let Err(e) = self.store.heartbeat_job(job, now()).await {
                        tracing::warn!(job = %job.id, error = %e, "heartbeat failed");
                    }
                }
                _ = abandon_requested(&mut phase) => {
                    // Dropping the scan drops its store transaction unfinished:
                    // nothing of it is written. The job is queued again, the
                    // attempt not counted and the vendor left `scanning`.
                    tracing::warn!(job = %job.id, "shutting down mid-scan; giving the job back");
                    if let Err(e) = self.store.release_job(job, now()).await {
                        tracing::warn!(job = %job.id, error = %e, "giving the job back failed (its lease lapses instead)");
                    }
                    return;
                }
            }
        };
        match outcome {
            Ok(out) => {
                tracing::info!(job = %job.id, score = out.assessment.score, grade = %out.assessment.grade, events = out.events.len(), "scan done");
                if let Err(e) = self.store.complete_job(job, now()).await {
                    tracing::warn!(job = %job.id, error = %e, "completing the job failed");
                }
            }
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "scan failed");
                self.fail(job, &e.to_string()).await;
            }
        }
    }

    async fn fail(&self, job: &ClaimedJob, message: &str) {
        match self.store.fail_job(job, now(), message).await {
            Ok(outcome) => tracing::info!(job = %job.id, ?outcome, "job failure recorded"),
            Err(e) => tracing::warn!(job = %job.id, error = %e, "recording the job failure failed"),
        }
    }
}

/// Resolves webhook hosts through the target policy, so deliveries go only
/// to checked addresses (no second lookup, no rebinding).
struct PolicyResolver(TargetPolicy);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let target = policy
                .resolve(&name)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
            let addrs: Vec<SocketAddr> = target.socket_addrs(0);
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

/// Delivers outbox entries to the accounts' webhook endpoints.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    store: SqlStore,
    config: WebhookConfig,
    name: String,
    policy: TargetPolicy,
    http: reqwest::Client,
    pub(crate) wake: Arc<Notify>,
}

impl Dispatcher {
    pub(crate) fn new(
        store: SqlStore,
        config: WebhookConfig,
        resolver: &ResolverOptions,
        name: String,
        wake: Arc<Notify>,
    ) -> Result<Self, SetupError> {
        let policy = TargetPolicy::new(
            PolicyOptions::new()
                .allow_private(config.allow_private)
                .allow_ip_literals(true)
                .purpose(Purpose::Webhooks),
            resolver,
        )?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PolicyResolver(policy.clone())))
            .user_agent(concat!("nis2-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError::Http(e.to_string()))?;
        Ok(Self {
            store,
            config,
            name,
            policy,
            http,
            wake,
        })
    }

    pub(crate) fn spawn(&self, set: &mut JoinSet<()>, stop: &watch::Receiver<Phase>) {
        let d = self.clone();
        let stop = stop.clone();
        set.spawn(async move { d.run(stop).await });
    }

    /// Claims due entries while it has room for them (at most
    /// [`WebhookConfig::batch`] in flight) and delivers them: one account's
    /// entries in order, accounts side by side, so a slow or dead endpoint
    /// delays only its own account.
    async fn run(self, mut stop: watch::Receiver<Phase>) {
        let slots = Arc::new(Semaphore::new(self.config.batch.max(1) as usize));
        let mut flying: JoinSet<()> = JoinSet::new();
        loop {
            if stopping(&stop) {
                break;
            }
            while flying.try_join_next().is_some() {}
            let free = slots.available_permits();
            let mut full = false;
            if free > 0 {
                let want = u32::try_from(free).unwrap_or(u32::MAX);
                match self.store.claim_outbox(&self.name, now(), want).await {
                    Ok(entries) => {
                        full = entries.len() == free;
                        self.start(entries, &slots, &mut flying);
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming outbox entries failed"),
                }
                if full {
                    continue;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = self.wake.notified() => {}
                _ = flying.join_next(), if !flying.is_empty() => {}
                _ = stop_requested(&mut stop) => {}
            }
        }
        // Finish what is in flight; once the grace period is over, abandon
        // it (the claims lapse and the entries are delivered again).
        loop {
            tokio::select! {
                done = flying.join_next() => if done.is_none() { return },
                _ = abandon_requested(&mut stop) => {
                    tracing::warn!(left = flying.len(), "abandoning webhook deliveries in flight; they are sent again");
                    flying.abort_all();
                    while flying.join_next().await.is_some() {}
                    return;
                }
            }
        }
    }

    /// Starts delivering claimed entries, one task per account.
    fn start(&self, entries: Vec<OutboxEntry>, slots: &Arc<Semaphore>, flying: &mut JoinSet<()>) {
        let mut by_account: Vec<(AccountId, Vec<OutboxEntry>)> = Vec::new();
        for entry in entries {
            match by_account.iter_mut().find(|(a, _)| *a == entry.account_id) {
                Some((_, list)) => list.push(entry),
                None => by_account.push((entry.account_id, vec![entry])),
            }
        }
        for (account, list) in by_account {
            let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
            // Only this loop takes slots, and it claimed no more than were free.
            let permit = slots.clone().try_acquire_many_owned(n).ok();
            let d = self.clone();
            flying.spawn(async move {
                d.deliver_account(account, list).await;
                drop(permit);
            });
        }
    }

    async fn deliver_account(&self, account: AccountId, entries: Vec<OutboxEntry>) {
        let endpoint = match self.store.webhook_endpoint(account).await {
            Ok(e) => e,
            Err(e) => {
                for entry in &entries {
                    self.failed(entry, &format!("reading the webhook endpoint: {e}"))
                        .await;
                }
                return;
            }
        };
        for entry in entries {
            let Some(endpoint) = &endpoint else {
                // No endpoint configured: nothing to deliver to; the event
                // stays in the outbox table as delivered for inspection.
                tracing::debug!(entry = %entry.id, %account, "no webhook endpoint; event not sent");
                if let Err(e) = self.store.mark_delivered(entry.id, now()).await {
                    tracing::warn!(entry = %entry.id, error = %e, "marking an entry failed");
                }
                continue;
            };
            match self.deliver(&entry, endpoint).await {
                Ok(()) => {
                    tracing::info!(entry = %entry.id, event = %entry.event_name, %account, "webhook delivered");
                    if let Err(e) = self.store.mark_delivered(entry.id, now()).await {
                        tracing::warn!(entry = %entry.id, error = %e, "marking an entry delivered failed");
                    }
                }
                Err(why) => self.failed(&entry, &why).await,
            }
        }
    }

    async fn failed(&self, entry: &OutboxEntry, why: &str) {
        match self.store.fail_delivery(entry.id, now(), why).await {
            Ok(outcome) => {
                tracing::warn!(entry = %entry.id, error = %why, ?outcome, "webhook delivery failed")
            }
            Err(e) => {
                tracing::warn!(entry = %entry.id, error = %e, "recording a failed delivery failed")
            }
        }
    }

    async fn deliver(&self, entry: &OutboxEntry, endpoint: &WebhookEndpoint) -> Result<(), String> {
        let url = reqwest::Url::parse(&endpoint.url).map_err(|e| format!("bad URL: {e}"))?;
        let host = url.host_str().ok_or("URL has no host")?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            // IP literals are not resolved, so the resolver cannot check them.
            Ok(ip) => self.policy.check_ip(ip).map_err(|e| e.to_string())?,
            Err(_) => {
                self.policy.parse(bare).map_err(|e| e.to_string())?;
            }
        }
        let signature = nis2_core::signing::sign(endpoint.secret.as_bytes(), entry.body.as_bytes());
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(nis2_core::signing::SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, entry.id.to_string())
            .header(EVENT_HEADER, entry.event_name.as_str())
            .body(entry.body.clone())
            .send()
            .await
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("receiver answered {status}"))
        }
    }
}
