//! Structured logs: each request is logged (method, path, status, latency)
//! in a span; an internal error is logged with its cause while the client
//! gets the generic 500; bearer tokens never reach the logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use reqwest::Method;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every event as `LEVEL target: field=value …`, with the fields
/// of the spans it is in.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    spans: Arc<Mutex<std::collections::HashMap<u64, String>>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

thread_local! {
    static CURRENT: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut text = span.metadata().name().to_owned();
        span.record(&mut Fields(&mut text));
        self.spans.lock().unwrap().insert(id, text);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(text) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(text));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = format!(
            "{} {}:",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Fields(&mut line));
        let spans = self.spans.lock().unwrap();
        CURRENT.with(|c| {
            for id in c.borrow().iter() {
                if let Some(s) = spans.get(id) {
                    let _ = write!(line, " [{s}]");
                }
            }
        });
        self.lines.lock().unwrap().push(line);
    }
    fn enter(&self, span: &Id) {
        CURRENT.with(|c| c.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, span: &Id) {
        CURRENT.with(|c| {
            let mut c = c.borrow_mut();
            if let Some(pos) = c.iter().rposition(|x| *x == span.into_u64()) {
                c.remove(pos);
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_internal_errors_are_logged_without_secrets() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let srv = start().await;
    let tok = token("logged-user");
    let (s, _, _) = call(
        Method::GET,
        &format!("{}/vendors?limit=5", srv.base),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 200);
    srv.state.store().close().await;
    let (s, _, v) = call(
        Method::GET,
        &format!("{}/dashboard/summary", srv.base),
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, 500);
    assert_eq!(v["detail"], "Internal server error");
    srv.stop().await;

    let lines = capture.lines.lock().unwrap().clone();
    let all = lines.join("\n");
    // Each request: a span with method and path, and its status and latency.
    assert!(
        lines.iter().any(|l| l.contains("status=200")
            && l.contains("latency")
            && l.contains("method=GET")
            && l.contains("/vendors?limit=5")),
        "{all}"
    );
    // The internal error, with its cause, in the request's span.
    let internal = lines
        .iter()
        .find(|l| l.starts_with("ERROR") && l.contains("internal error") && l.contains("cause="))
        .unwrap_or_else(|| panic!("no internal error logged:\n{all}"));
    eprintln!("{internal}");
    assert!(internal.contains("/dashboard/summary"), "{internal}");
    assert!(
        !internal.contains("cause=\"\""),
        "the cause is named: {internal}"
    );
    // No bearer token anywhere in the logs.
    assert!(!all.contains(&tok), "a token was logged");
    assert!(!all.contains(SECRET));
}
