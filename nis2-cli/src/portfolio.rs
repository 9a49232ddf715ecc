//! The portfolio commands over `nis2-store`: vendors, rescans, history,
//! summary, API tokens, the webhook endpoint, reports and letters.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, bail};
use nis2_core::i18n::Lang;
use nis2_core::report::{self, Format, LetterInput, ReportInput, Sender, VendorRef};
use nis2_core::{
    AccountId, Clock, Engine, Event, Notifier, NotifyError, ScanId, Timestamp, Vendor, VendorId,
};
use nis2_store::{Account, NewVendor, Page, ScanRecord, SqlStore, TokenId};

use crate::cli::{
    HistoryArgs, LetterArgs, LetterFormat, ListFormat, ReportArgs, ReportFormat, RescanArgs,
    StoreArgs, SummaryArgs, TokenCommand, VendorCommand, WebhookCommand,
};
use crate::output::{self, paint_grade, write_stdout};
use crate::{Global, Outcome};

/// An open store and the local account the command acts for.
pub(crate) struct Ctx {
    pub(crate) store: SqlStore,
    pub(crate) account: Account,
}

/// Opens the store (creating a SQLite file if missing) and finds or creates
/// the local account `cli:<name>`.
pub(crate) async fn open(global: &Global, args: &StoreArgs) -> anyhow::Result<Ctx> {
    let store = open_store(&args.db).await?;
    let name = args.account.trim();
    if name.is_empty() {
        bail!("--account must not be empty");
    }
    let account = store
        .account_for_subject(&format!("cli:{name}"), name, global.now())
        .await
        .with_context(|| format!("account `{name}`"))?;
    Ok(Ctx { store, account })
}

/// Opens a store by path or URL; the error names the database, not a password.
pub(crate) async fn open_store(db: &str) -> anyhow::Result<SqlStore> {
    open_store_with(db, nis2_store::StoreOptions::default()).await
}

/// [`open_store`] with pool and lease options.
pub(crate) async fn open_store_with(
    db: &str,
    options: nis2_store::StoreOptions,
) -> anyhow::Result<SqlStore> {
    SqlStore::open_with(db, options).await.map_err(|e| match e {
        // Already names the database (password removed).
        e @ nis2_store::Error::Open { .. } => anyhow::Error::new(e),
        e => anyhow::Error::new(e).context(format!("cannot open database {}", redact(db))),
    })
}

/// A database URL without its password.
pub(crate) fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &db[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &db[..scheme + 3], &db[at..]),
                None => db.to_owned(),
            }
        }
        _ => db.to_owned(),
    }
}

/// Finds a vendor by id or domain.
async fn find_vendor(ctx: &Ctx, key: &str) -> anyhow::Result<Vendor> {
    if let Ok(id) = key.parse::<VendorId>() {
        return ctx
            .store
            .vendor(ctx.account.id, id)
            .await
            .with_context(|| format!("vendor {key}"));
    }
    let wanted = key.trim().trim_end_matches('.').to_ascii_lowercase();
    for v in all_vendors(ctx).await? {
        if v.domain == wanted {
            return Ok(v);
        }
    }
    bail!("no vendor `{key}` in account `{}`", ctx.account.name)
}

async fn all_vendors(ctx: &Ctx) -> anyhow::Result<Vec<Vendor>> {
    let mut out = Vec::new();
    let mut page = Page::first(Page::MAX_LIMIT);
    loop {
        let p = ctx.store.list_vendors(ctx.account.id, page).await?;
        let n = p.vendors.len();
        out.extend(p.vendors);
        if n == 0 || out.len() as u64 >= p.total {
            // Listed by domain: stable output whatever the insertion order.
            out.sort_by(|a, b| a.domain.cmp(&b.domain));
            return Ok(out);
        }
        page.offset += n as u64;
    }
}

fn ts(t: Timestamp) -> String {
    // RFC 3339 via serde (core's canonical form).
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn json_out(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    write_stdout(s.as_bytes())
}

/// `nis2 vendor add|list|rm`.
pub(crate) async fn vendor(global: &Global, cmd: VendorCommand) -> anyhow::Result<Outcome> {
    match cmd {
        VendorCommand::Add {
            domain,
            name,
            notes,
            consent,
            store,
        } => {
            if !consent {
                bail!(
                    "adding a vendor needs --consent: confirm that you may assess {domain} from the outside"
                );
            }
            let policy = nis2_scanner::PolicyOptions::new();
            nis2_scanner::policy::parse_host(&domain, &policy)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let ctx = open(global, &store).await?;
            let mut new = NewVendor::new(domain, true);
            new.vendor_name = name;
            new.notes = notes;
            let v = ctx
                .store
                .create_vendor(ctx.account.id, &new, global.now())
                .await?;
            write_stdout(format!("added {} ({})\n", v.domain, v.id).as_bytes())?;
        }
        VendorCommand::List { format, store } => {
            let ctx = open(global, &store).await?;
            let vendors = all_vendors(&ctx).await?;
            match format {
                ListFormat::Json => json_out(&vendors)?,
                ListFormat::Table => {
                    let w = vendors
                        .iter()
                        .map(|v| v.domain.len())
                        .max()
                        .unwrap_or(0)
                        .max(6);
                    let mut out = format!(
                        "{:<36}  {:<w$}  GRADE  SCORE  STATUS     LAST SCAN\n",
                        "ID", "DOMAIN"
                    );
                    for v in &vendors {
                        let grade = v
                            .current_grade
                            .map(|g| paint_grade(g, global.color))
                            .unwrap_or_else(|| "-".to_owned());
                        let pad = 5usize.saturating_sub(v.current_grade.map_or(1, |_| 1));
                        let _ = writeln!(
                            out,
                            "{:<36}  {:<w$}  {grade}{:pad$}  {:>5}  {:<9}  {}",
                            v.id,
                            v.domain,
                            "",
                            v.current_score.map_or("-".to_owned(), |s| s.to_string()),
                            v.status.as_str(),
                            v.last_scanned_at.map_or("-".to_owned(), ts),
                        );
                    }
                    write_stdout(out.as_bytes())?;
                }
            }
        }
        VendorCommand::Rm { vendor, store } => {
            let ctx = open(global, &store).await?;
            let v = find_vendor(&ctx, &vendor).await?;
            ctx.store.delete_vendor(ctx.account.id, v.id).await?;
            write_stdout(format!("removed {} ({})\n", v.domain, v.id).as_bytes())?;
        }
    }
    Ok(Outcome::Ok)
}

/// The CLI's clock: the system's, or `--now`.
struct CliClock(Global);

impl Clock for CliClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

/// Events are already in the store's outbox when the engine calls this;
/// `nis2 serve` / `nis2 worker` deliver them, so a one-shot CLI has nothing to wake.
struct OutboxOnly;

#[async_trait::async_trait]
impl Notifier for OutboxOnly {
    async fn notify(&self, _account: AccountId, _events: &[Event]) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// The core engine over the scanner and the store.
pub(crate) fn engine(
    global: &Global,
    scanner: nis2_scanner::DomainScanner,
    store: SqlStore,
) -> Engine {
    Engine::new(
        Arc::new(scanner),
        Arc::new(store),
        Arc::new(OutboxOnly),
        Arc::new(CliClock(*global)),
    )
}

/// `nis2 rescan`: scans vendors now through the core engine (scan, grade,
/// store with history, events into the outbox).
pub(crate) async fn rescan(global: &Global, args: &RescanArgs) -> anyhow::Result<Outcome> {
    let options = crate::scan::scanner_options(&args.scanner)?;
    let ctx = open(global, &args.store).await?;
    let vendors = if args.all {
        all_vendors(&ctx).await?
    } else {
        let mut v = Vec::new();
        for key in &args.vendors {
            v.push(find_vendor(&ctx, key).await?);
        }
        v
    };
    if vendors.is_empty() {
        bail!(
            "account `{}` has no vendors; add one with `nis2 vendor add`",
            ctx.account.name
        );
    }
    if args.queue {
        let mut out = String::new();
        for v in &vendors {
            let job = ctx
                .store
                .enqueue_scan(ctx.account.id, v.id, global.now())
                .await
                .with_context(|| format!("queueing {}", v.domain))?;
            let state = if job.created {
                "queued"
            } else {
                "already queued"
            };
            let _ = writeln!(out, "{} {state} (job {})", v.domain, job.job.id);
        }
        write_stdout(out.as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let scanner = crate::scan::build_scanner(options)?;
    let engine = Arc::new(engine(global, scanner, ctx.store.clone()));
    let slots = Arc::new(tokio::sync::Semaphore::new(usize::from(args.concurrency)));
    let mut set = tokio::task::JoinSet::new();
    for (i, v) in vendors.into_iter().enumerate() {
        let engine = engine.clone();
        let slots = slots.clone();
        set.spawn(async move {
            let _permit = slots.acquire_owned().await;
            let r = engine.scan_vendor(&v).await;
            (i, v, r)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = set.join_next().await {
        results.push(joined.context("a scan task failed")?);
    }
    results.sort_by_key(|(i, _, _)| *i);
    let w = results
        .iter()
        .map(|(_, v, _)| v.domain.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!("{:<w$}  GRADE  SCORE  CHANGE\n", "DOMAIN");
    let mut failures = Vec::new();
    for (_, v, r) in &results {
        match r {
            Ok(o) => {
                let a = &o.assessment;
                let change = match v.current_grade {
                    Some(before) if before != a.grade => format!("{before:?} -> {:?}", a.grade),
                    Some(_) => "=".to_owned(),
                    None => "first scan".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "{:<w$}  {}      {:>5}  {change}",
                    v.domain,
                    paint_grade(a.grade, global.color),
                    a.score
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{:<w$}  -          -  error: {}",
                    v.domain,
                    crate::one_line(&e.to_string())
                );
                failures.push(format!("{}: {}", v.domain, crate::one_line(&e.to_string())));
            }
        }
    }
    write_stdout(out.as_bytes())?;
    if let Some(first) = failures.first() {
        bail!(
            "{} of {} vendors could not be scanned; first: {first}",
            failures.len(),
            results.len()
        );
    }
    Ok(Outcome::Ok)
}

/// `nis2 history VENDOR`.
pub(crate) async fn history(global: &Global, args: &HistoryArgs) -> anyhow::Result<Outcome> {
    let ctx = open(global, &args.store).await?;
    let v = find_vendor(&ctx, &args.vendor).await?;
    let scans = ctx
        .store
        .scan_history(ctx.account.id, v.id, Page::first(args.limit))
        .await?;
    match args.format {
        ListFormat::Json => {
            let rows: Vec<_> = scans
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "scan_id": s.id,
                        "vendor_id": s.vendor_id,
                        "scanned_at": s.scanned_at,
                        "score": s.score,
                        "grade": s.grade,
                        "risk_level": s.risk_level,
                        "method": s.method,
                    })
                })
                .collect();
            json_out(&rows)?;
        }
        ListFormat::Table => {
            let mut out = format!("{:<36}  {:<20}  GRADE  SCORE  RISK\n", "SCAN", "SCANNED AT");
            for s in &scans {
                let _ = writeln!(
                    out,
                    "{:<36}  {:<20}  {}      {:>5}  {:?}",
                    s.id,
                    ts(s.scanned_at),
                    paint_grade(s.grade, global.color),
                    s.score,
                    s.risk_level
                );
            }
            if scans.is_empty() {
                out.push_str("(no scans yet; run `nis2 rescan`)\n");
            }
            write_stdout(out.as_bytes())?;
        }
    }
    Ok(Outcome::Ok)
}

/// `nis2 summary`.
pub(crate) async fn summary(global: &Global, args: &SummaryArgs) -> anyhow::Result<Outcome> {
    let ctx = open(global, &args.store).await?;
    let s = ctx
        .store
        .dashboard_summary(ctx.account.id, global.now())
        .await?;
    match args.format {
        ListFormat::Json => json_out(&s)?,
        ListFormat::Table => {
            let g = &s.grade_distribution;
            let out = format!(
                "vendors             {}\nscanned this month  {}\ncritical risks      {}\naverage score       {}\ngrades              A {}  B {}  C {}  D {}  F {}\n",
                s.total_vendors,
                s.scanned_this_month,
                s.critical_risks,
                s.average_score.map_or("-".to_owned(), |a| a.to_string()),
                g.A,
                g.B,
                g.C,
                g.D,
                g.F,
            );
            write_stdout(out.as_bytes())?;
        }
    }
    Ok(Outcome::Ok)
}

/// `nis2 token create|list|revoke`.
pub(crate) async fn token(global: &Global, cmd: TokenCommand) -> anyhow::Result<Outcome> {
    match cmd {
        TokenCommand::Create { name, store } => {
            let ctx = open(global, &store).await?;
            let t = ctx
                .store
                .create_api_token(ctx.account.id, &name, global.now())
                .await?;
            let mut err = std::io::stderr().lock();
            let _ = std::io::Write::write_all(
                &mut err,
                format!(
                    "created token {} ({}); it is shown only once:\n",
                    t.token.id, t.token.name
                )
                .as_bytes(),
            );
            write_stdout(format!("{}\n", t.secret).as_bytes())?;
        }
        TokenCommand::List { format, store } => {
            let ctx = open(global, &store).await?;
            let tokens = ctx.store.list_api_tokens(ctx.account.id).await?;
            match format {
                ListFormat::Json => json_out(&tokens)?,
                ListFormat::Table => {
                    let mut out = format!(
                        "{:<36}  {:<14}  {:<20}  {:<20}  {:<20}  NAME\n",
                        "ID", "PREFIX", "CREATED", "LAST USED", "REVOKED"
                    );
                    for t in &tokens {
                        let _ = writeln!(
                            out,
                            "{:<36}  {:<14}  {:<20}  {:<20}  {:<20}  {}",
                            t.id,
                            t.prefix,
                            ts(t.created_at),
                            t.last_used_at.map_or("-".to_owned(), ts),
                            t.revoked_at.map_or("-".to_owned(), ts),
                            t.name
                        );
                    }
                    write_stdout(out.as_bytes())?;
                }
            }
        }
        TokenCommand::Revoke { id, store } => {
            let token = id
                .parse::<uuid::Uuid>()
                .map(TokenId)
                .map_err(|_| anyhow::anyhow!("`{id}` is not a token id (see `nis2 token list`)"))?;
            let ctx = open(global, &store).await?;
            ctx.store
                .revoke_api_token(ctx.account.id, token, global.now())
                .await
                .with_context(|| format!("token {id}"))?;
            write_stdout(format!("revoked token {id}\n").as_bytes())?;
        }
    }
    Ok(Outcome::Ok)
}

/// `nis2 webhook set|show|rm`.
pub(crate) async fn webhook(global: &Global, cmd: WebhookCommand) -> anyhow::Result<Outcome> {
    match cmd {
        WebhookCommand::Set { url, secret, store } => {
            let ctx = open(global, &store).await?;
            let e = ctx
                .store
                .set_webhook_endpoint(ctx.account.id, &url, &secret, global.now())
                .await?;
            write_stdout(format!("webhook endpoint set: {}\n", e.url).as_bytes())?;
        }
        WebhookCommand::Show { store } => {
            let ctx = open(global, &store).await?;
            match ctx.store.webhook_endpoint(ctx.account.id).await? {
                Some(e) => {
                    write_stdout(format!("{}\n(updated {})\n", e.url, ts(e.updated_at)).as_bytes())?
                }
                None => write_stdout(b"no webhook endpoint set\n")?,
            }
        }
        WebhookCommand::Rm { store } => {
            let ctx = open(global, &store).await?;
            if ctx.store.delete_webhook_endpoint(ctx.account.id).await? {
                write_stdout(b"webhook endpoint removed\n")?;
            } else {
                bail!("no webhook endpoint set");
            }
        }
    }
    Ok(Outcome::Ok)
}

/// The scan a report is about: a scan id, or a vendor's latest scan.
async fn find_scan(ctx: &Ctx, key: &str) -> anyhow::Result<(Vendor, ScanRecord)> {
    if let Ok(id) = key.parse::<ScanId>()
        && let Ok(scan) = ctx.store.scan(ctx.account.id, id).await
    {
        let v = ctx.store.vendor(ctx.account.id, scan.vendor_id).await?;
        return Ok((v, scan));
    }
    let v = find_vendor(ctx, key).await?;
    match ctx.store.latest_scan(ctx.account.id, v.id).await? {
        Some(scan) => Ok((v, scan)),
        None => bail!(
            "{} has not been scanned yet; run `nis2 rescan {}`",
            v.domain,
            v.domain
        ),
    }
}

/// `nis2 report VENDOR|SCAN`.
pub(crate) async fn report(global: &Global, args: &ReportArgs) -> anyhow::Result<Outcome> {
    let lang: Lang = output::lang(&args.lang)?;
    let format = match args.format {
        ReportFormat::Pdf => Format::Pdf,
        ReportFormat::Html => Format::Html,
        ReportFormat::Markdown => Format::Markdown,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Junit => Format::Junit,
        ReportFormat::Sarif => Format::Sarif,
    };
    if format == Format::Pdf && args.output.is_none() && std::io::stdout().is_terminal() {
        bail!("not writing a PDF to the terminal; use -o FILE or a pipe");
    }
    let ctx = open(global, &args.store).await?;
    let (v, scan) = find_scan(&ctx, &args.target).await?;
    let vendor = match v.vendor_name.as_deref() {
        Some(n) => VendorRef::named(&v.domain, n),
        None => VendorRef::new(&v.domain),
    };
    let input = ReportInput::new(&scan.assessment, vendor, global.now());
    let rendered = report::render(&input, lang, format)?;
    output::write_to(args.output.as_deref(), &rendered.bytes)?;
    Ok(Outcome::Ok)
}

/// `nis2 letter VENDOR`.
pub(crate) async fn letter(global: &Global, args: &LetterArgs) -> anyhow::Result<Outcome> {
    let lang = output::lang(&args.lang)?;
    let ctx = open(global, &args.store).await?;
    let (v, scan) = find_scan(&ctx, &args.vendor).await?;
    let vendor = match v.vendor_name.as_deref() {
        Some(n) => VendorRef::named(&v.domain, n),
        None => VendorRef::new(&v.domain),
    };
    let organisation = args.organisation.as_deref().unwrap_or(&ctx.account.name);
    let input = LetterInput {
        assessment: &scan.assessment,
        vendor,
        sender: Sender {
            name: &args.signer,
            organisation,
            contact: args.contact.as_deref(),
        },
        date: global.now(),
    };
    let letter = report::letter(&input, lang);
    let body = match args.format {
        LetterFormat::Text => letter.text,
        LetterFormat::Markdown => letter.markdown,
        LetterFormat::Html => letter.html,
    };
    output::write_to(args.output.as_deref(), body.as_bytes())?;
    Ok(Outcome::Ok)
}
