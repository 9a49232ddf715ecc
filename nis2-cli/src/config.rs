//! `nis2 serve` and `nis2 worker`: configuration from flags, `NIS2_*`
//! environment variables and a TOML file, in that order of precedence.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::cli::{ServeArgs, WorkerArgs};
use crate::output::write_stdout;
use crate::{Global, Outcome};

/// The TOML file (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    /// Address to listen on.
    pub(crate) listen: Option<String>,
    /// SQLite path or PostgreSQL URL.
    pub(crate) db: Option<String>,
    /// HS256 JWT secret.
    pub(crate) jwt_secret: Option<String>,
    /// Scan jobs run at once.
    pub(crate) workers: Option<usize>,
    /// Allow vendors on private addresses (labs only).
    pub(crate) allow_private: Option<bool>,
}

/// The configuration in effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Effective {
    /// Address to listen on.
    pub(crate) listen: SocketAddr,
    /// SQLite path or PostgreSQL URL.
    pub(crate) db: String,
    /// HS256 JWT secret (never printed).
    #[serde(serialize_with = "redacted")]
    pub(crate) jwt_secret: Option<String>,
    /// Scan jobs run at once (0: none in this process).
    pub(crate) workers: usize,
    /// Allow vendors on private addresses (labs only).
    pub(crate) allow_private: bool,
}

fn redacted<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("***"),
        None => s.serialize_none(),
    }
}

/// Values given on the command line.
#[derive(Debug, Default)]
pub(crate) struct Flags<'a> {
    pub(crate) listen: Option<&'a str>,
    pub(crate) db: Option<&'a str>,
    pub(crate) jwt_secret: Option<&'a str>,
    pub(crate) workers: Option<usize>,
    pub(crate) allow_private: bool,
}

/// Reads the TOML file.
pub(crate) fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "config {}: {}",
            path.display(),
            crate::one_line(&e.to_string())
        )
    })
}

/// Flags, then `NIS2_*` variables, then the file, then defaults.
pub(crate) fn resolve(
    flags: &Flags<'_>,
    env: impl Fn(&str) -> Option<String>,
    file: FileConfig,
) -> anyhow::Result<Effective> {
    let pick = |flag: Option<&str>, var: &str, file: Option<String>| -> Option<String> {
        flag.map(str::to_owned)
            .or_else(|| env(var).filter(|v| !v.is_empty()))
            .or(file)
    };
    let listen = pick(flags.listen, "NIS2_LISTEN", file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let listen: SocketAddr = listen
        .parse()
        .map_err(|_| anyhow::anyhow!("listen address `{listen}` is not IP:PORT"))?;
    let db = pick(flags.db, "NIS2_DB", file.db).unwrap_or_else(|| "./nis2.db".to_owned());
    let jwt_secret = pick(flags.jwt_secret, "NIS2_JWT_SECRET", file.jwt_secret);
    let workers = match flags.workers {
        Some(n) => n,
        None => match env("NIS2_WORKERS").filter(|v| !v.is_empty()) {
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("NIS2_WORKERS `{v}` is not a number"))?,
            None => file.workers.unwrap_or(4),
        },
    };
    let allow_private = if flags.allow_private {
        true
    } else {
        match env("NIS2_ALLOW_PRIVATE").filter(|v| !v.is_empty()) {
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => bail!("NIS2_ALLOW_PRIVATE `{v}` is not true or false"),
            },
            None => file.allow_private.unwrap_or(false),
        }
    };
    if workers > 256 {
        bail!("workers = {workers} is too many (at most 256)");
    }
    Ok(Effective {
        listen,
        db,
        jwt_secret,
        workers,
        allow_private,
    })
}

fn load(config: Option<&Path>, flags: &Flags<'_>) -> anyhow::Result<Effective> {
    let file = match config {
        Some(p) => read_file(p)?,
        None => FileConfig::default(),
    };
    resolve(flags, |k| std::env::var(k).ok(), file)
}

/// `nis2 serve`.
pub(crate) async fn serve(_global: &Global, args: &ServeArgs) -> anyhow::Result<Outcome> {
    let flags = Flags {
        listen: args.listen.as_deref(),
        db: args.db.as_deref(),
        jwt_secret: args.jwt_secret.as_deref(),
        workers: args.workers,
        allow_private: args.allow_private,
    };
    let cfg = load(args.config.as_deref(), &flags)?;
    if args.print_config {
        let mut s = toml::to_string(&cfg)?;
        if !s.ends_with('\n') {
            s.push('\n');
        }
        write_stdout(s.as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let mut config = server_config(&cfg);
    config.worker.enabled = cfg.workers > 0;
    let scanner = crate::scan::build_scanner(
        nis2_scanner::ScannerOptions::new().allow_private(cfg.allow_private),
    )?;
    // The public demo endpoint never scans private addresses.
    let demo = crate::scan::build_scanner(nis2_scanner::ScannerOptions::new())?;
    let server = nis2_http::Server::bind(config, Arc::new(scanner), Arc::new(demo))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let addr = server
        .local_addr()
        .map_or_else(|| cfg.listen.to_string(), |a| a.to_string());
    write_stdout(
        format!(
            "nis2 serving on http://{addr} (database {}); API docs at http://{addr}/docs\n",
            crate::portfolio::redact(&cfg.db)
        )
        .as_bytes(),
    )?;
    server
        .run(nis2_http::shutdown_signal())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Outcome::Ok)
}

/// The server's configuration from the effective one; everything else keeps
/// nis2-http's documented defaults.
fn server_config(cfg: &Effective) -> nis2_http::ServerConfig {
    let mut c = nis2_http::ServerConfig::default();
    c.listen = cfg.listen;
    c.database = cfg.db.clone();
    c.auth.hs256_secret = cfg.jwt_secret.clone();
    c.allow_private_vendors = cfg.allow_private;
    if cfg.workers > 0 {
        c.worker.concurrency = cfg.workers;
    }
    c
}

/// `nis2 worker`: claims scan jobs from the store's queue and runs them
/// through the core engine (results, history and webhook events stored in
/// one transaction; the events wait in the outbox for the server's dispatcher).
pub(crate) async fn worker(global: &Global, args: &WorkerArgs) -> anyhow::Result<Outcome> {
    let flags = Flags {
        db: args.db.as_deref(),
        workers: args.workers,
        allow_private: args.scanner.allow_private,
        ..Flags::default()
    };
    let cfg = load(args.config.as_deref(), &flags)?;
    if args.print_config {
        let s = format!(
            "db = {:?}\nworkers = {}\n",
            crate::portfolio::redact(&cfg.db),
            cfg.workers
        );
        write_stdout(s.as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let options = crate::scan::scanner_options(&args.scanner)?;
    if !args.once {
        let mut config = server_config(&cfg);
        config.worker.concurrency = cfg.workers.max(1);
        let scanner = crate::scan::build_scanner(options)?;
        let mut err = std::io::stderr().lock();
        let _ = std::io::Write::write_all(
            &mut err,
            format!(
                "nis2 worker: {} scan(s) at once on {}; Ctrl-C stops it\n",
                config.worker.concurrency,
                crate::portfolio::redact(&cfg.db)
            )
            .as_bytes(),
        );
        drop(err);
        nis2_http::run_worker(config, Arc::new(scanner), nis2_http::shutdown_signal())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(Outcome::Ok);
    }
    // `--once`: drain the queue and exit (cron, CI). Webhook events stay in
    // the outbox for the server's dispatcher.
    let store = crate::portfolio::open_store(&cfg.db).await?;
    let scanner = crate::scan::build_scanner(options)?;
    let engine = Arc::new(crate::portfolio::engine(global, scanner, store.clone()));
    let name = format!("nis2-cli-{}", std::process::id());
    let mut set = tokio::task::JoinSet::new();
    for n in 0..cfg.workers.max(1) {
        let (store, engine, global) = (store.clone(), engine.clone(), *global);
        let name = format!("{name}-{n}");
        let once = args.once;
        set.spawn(async move { work(&store, &engine, &global, &name, once).await });
    }
    let mut done = 0u64;
    let mut first_err = None;
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                Some(Ok(Ok(n))) => done += n,
                Some(Ok(Err(e))) => { first_err.get_or_insert(e); }
                Some(Err(e)) => { first_err.get_or_insert(anyhow::anyhow!("worker task: {e}")); }
                None => break,
            },
            _ = crate::lab::shutdown_signal() => {
                set.abort_all();
                break;
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let mut err = std::io::stderr().lock();
    let _ = std::io::Write::write_all(&mut err, format!("worker: {done} job(s) done\n").as_bytes());
    Ok(Outcome::Ok)
}

async fn work(
    store: &nis2_store::SqlStore,
    engine: &nis2_core::Engine,
    global: &Global,
    name: &str,
    once: bool,
) -> anyhow::Result<u64> {
    let mut done = 0;
    loop {
        let Some(job) = store.claim_job(name, global.now()).await? else {
            if once {
                return Ok(done);
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        };
        let vendor = store.vendor(job.account_id, job.vendor_id).await;
        let result = match vendor {
            Ok(v) => engine
                .scan_vendor(&v)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => store.complete_job(&job, global.now()).await?,
            Err(message) => {
                store.fail_job(&job, global.now(), &message).await?;
            }
        }
        done += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:7000\"\ndb = \"file.db\"\nworkers = 2\njwt_secret = \"f\"",
        )
        .unwrap();
        let flags = Flags {
            db: Some("flag.db"),
            ..Flags::default()
        };
        let e = resolve(
            &flags,
            env(&[("NIS2_LISTEN", "127.0.0.1:9000"), ("NIS2_DB", "env.db")]),
            file,
        )
        .unwrap();
        assert_eq!(e.db, "flag.db");
        assert_eq!(e.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(e.workers, 2);
        assert_eq!(e.jwt_secret.as_deref(), Some("f"));

        let d = resolve(&Flags::default(), env(&[]), FileConfig::default()).unwrap();
        assert_eq!(d.db, "./nis2.db");
        assert_eq!(d.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(d.workers, 4);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(
            resolve(
                &Flags::default(),
                env(&[("NIS2_WORKERS", "many")]),
                FileConfig::default()
            )
            .is_err()
        );
        let flags = Flags {
            listen: Some("nowhere"),
            ..Flags::default()
        };
        assert!(resolve(&flags, env(&[]), FileConfig::default()).is_err());
        assert!(toml::from_str::<FileConfig>("listne = \"x\"").is_err());
    }
}
