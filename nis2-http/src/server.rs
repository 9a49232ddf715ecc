//! The process entry points: [`Server`] (`nis2 serve`) and [`run_worker`]
//! (`nis2 worker`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use nis2_core::Scanner;
use nis2_store::SqlStore;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::ServerConfig;
use crate::state::{AppState, SetupError, base_url};
use crate::worker::{Dispatcher, Phase, Worker, stop_requested};

/// A bound server: API, scan workers and webhook dispatcher in one process.
pub struct Server {
    config: ServerConfig,
    state: AppState,
    listener: TcpListener,
    scanner: Arc<dyn Scanner>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the store (running migrations), builds the state and binds the
    /// listen address. `scanner` scans portfolio vendors; `demo_scanner`
    /// serves `/scan/demo` and must use the strict target policy.
    pub async fn bind(
        mut config: ServerConfig,
        scanner: Arc<dyn Scanner>,
        demo_scanner: Arc<dyn Scanner>,
    ) -> Result<Server, SetupError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| SetupError::Bind {
                    addr: config.listen,
                    source,
                })?;
        if let Ok(addr) = listener.local_addr() {
            // Port 0 was replaced by the real one: links must name it.
            config.listen = addr;
        }
        let store = SqlStore::open_with(&config.database, config.store).await?;
        let state = AppState::new(&config, store, demo_scanner).await?;
        Ok(Server {
            config,
            state,
            listener,
            scanner,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The state (for embedding or tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting, lets
    /// in-flight requests, scans and deliveries finish within
    /// [`ServerConfig::shutdown_grace`], and abandons what is left (their
    /// leases lapse, so they run again).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), SetupError> {
        let (stop_tx, stop_rx) = watch::channel(Phase::Run);
        let mut tasks = JoinSet::new();
        start_background(
            &self.config,
            self.state.store().clone(),
            self.scanner.clone(),
            Links {
                worker_wake: self.state.worker_wakeup(),
                dispatcher_wake: Arc::new(Notify::new()),
            },
            &mut tasks,
            &stop_rx,
        )?;
        let app = crate::app(self.state.clone());
        let addr = self.local_addr();
        tracing::info!(?addr, base_url = %base_url(&self.config), "nis2 API listening");
        let mut serve_stop = stop_rx.clone();
        let http = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop_requested(&mut serve_stop).await;
        });
        let http = tokio::spawn(async move { http.await });
        shutdown.await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(Phase::Stop);
        let started = tokio::time::Instant::now();
        drain(&mut tasks, self.config.shutdown_grace, &stop_tx).await;
        let left = self
            .config
            .shutdown_grace
            .saturating_sub(started.elapsed())
            .max(std::time::Duration::from_secs(1));
        match tokio::time::timeout(left, http).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "HTTP server stopped with an error"),
            Ok(Err(e)) => tracing::warn!(error = %e, "HTTP server task failed"),
            Err(_) => tracing::warn!("HTTP connections still open after the grace period"),
        }
        self.state.store().close().await;
        Ok(())
    }
}

/// What ties the background tasks to the API of the same process.
struct Links {
    /// Woken when the API queues a scan.
    worker_wake: Arc<Notify>,
    /// Woken when a scan stored events.
    dispatcher_wake: Arc<Notify>,
}

fn start_background(
    config: &ServerConfig,
    store: SqlStore,
    scanner: Arc<dyn Scanner>,
    links: Links,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<Phase>,
) -> Result<(), SetupError> {
    let Links {
        worker_wake,
        dispatcher_wake,
    } = links;
    if config.worker.enabled {
        Worker::new(
            store.clone(),
            scanner,
            config.worker.clone(),
            base_url(config),
            worker_wake,
            dispatcher_wake.clone(),
        )
        .spawn(tasks, stop);
    }
    if config.webhooks.enabled {
        Dispatcher::new(
            store,
            config.webhooks.clone(),
            &config.resolver,
            format!("{}-dispatcher", config.worker.name),
            dispatcher_wake,
        )?
        .spawn(tasks, stop);
    }
    Ok(())
}

/// How long tasks get to give back what they hold once the grace period is over.
const RELEASE_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits for the background tasks to finish their work; after `grace`, tells
/// them to give it back (scans are queued again), and after a little more
/// aborts what is left (its leases lapse, so it runs again).
async fn drain(tasks: &mut JoinSet<()>, grace: std::time::Duration, phase: &watch::Sender<Phase>) {
    async fn all(tasks: &mut JoinSet<()>) {
        while tasks.join_next().await.is_some() {}
    }
    if tokio::time::timeout(grace, all(tasks)).await.is_ok() {
        return;
    }
    tracing::warn!(
        left = tasks.len(),
        "work still running after the grace period; giving it back"
    );
    let _ = phase.send(Phase::Abandon);
    if tokio::time::timeout(RELEASE_TIME, all(tasks))
        .await
        .is_err()
    {
        tracing::warn!(
            left = tasks.len(),
            "aborting work that did not stop (its leases lapse and it runs again)"
        );
        tasks.abort_all();
        all(tasks).await;
    }
}

/// Binds and runs a server until `shutdown` completes (see [`Server::run`]).
pub async fn serve(
    config: ServerConfig,
    scanner: Arc<dyn Scanner>,
    demo_scanner: Arc<dyn Scanner>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SetupError> {
    Server::bind(config, scanner, demo_scanner)
        .await?
        .run(shutdown)
        .await
}

/// Runs scan workers and the webhook dispatcher without the HTTP API (for
/// more machines on a shared PostgreSQL store), as enabled in `config`,
/// until `shutdown` completes.
pub async fn run_worker(
    config: ServerConfig,
    scanner: Arc<dyn Scanner>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SetupError> {
    let store = SqlStore::open_with(&config.database, config.store).await?;
    let (stop_tx, stop_rx) = watch::channel(Phase::Run);
    let mut tasks = JoinSet::new();
    start_background(
        &config,
        store.clone(),
        scanner,
        Links {
            worker_wake: Arc::new(Notify::new()),
            dispatcher_wake: Arc::new(Notify::new()),
        },
        &mut tasks,
        &stop_rx,
    )?;
    tracing::info!(name = %config.worker.name, "nis2 worker running");
    shutdown.await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(Phase::Stop);
    drain(&mut tasks, config.shutdown_grace, &stop_tx).await;
    store.close().await;
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM: a ready-made `shutdown` future.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
