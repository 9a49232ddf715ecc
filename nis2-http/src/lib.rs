//! # nis2-http
//!
//! The self-hosted HTTP API of nis2, exactly as the seed API specifies:
//! `/health`, `/vendors`, `/vendors/{id}`, `/scans/trigger`,
//! `/scans/history/{vendor_id}`, `/dashboard/summary`, `/reports/letter`,
//! `/scan/demo`, plus `/reports/{scan_id}` (the report `pdf_url` points at),
//! `/openapi.json` and `/docs`.
//!
//! - [`app`] builds the axum [`Router`] over an [`AppState`], so embedders
//!   can mount it and tests can call it without a socket.
//! - [`Server`] / [`serve`] run it with the scan workers and the webhook
//!   dispatcher in one process; [`run_worker`] runs workers and dispatcher
//!   only. Both take a [`ServerConfig`] with documented defaults and no
//!   flag or environment parsing (the CLI maps those onto it).
//! - Every error is `{"detail", "code", "timestamp"}` ([`ApiError`]).
#![warn(missing_docs)]

mod auth;
mod cache;
mod clock;
mod config;
mod error;
mod openapi;
mod ratelimit;
mod routes;
mod server;
mod state;
mod worker;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, DefaultOnResponse, TraceLayer};

// JWT setup errors (a JWKS that cannot be read).
pub use auth::AuthSetupError;
// The system clock the engine is given.
pub use clock::SystemClock;
// Configuration, as the CLI fills it in.
pub use config::{AuthConfig, JwksSource, LetterConfig, ServerConfig, WebhookConfig, WorkerConfig};
// The error type and its body.
pub use error::{ApiError, ErrorBody};
// The OpenAPI document served at /openapi.json.
pub use openapi::openapi_document;
// Rate limit settings.
pub use ratelimit::{Bucket, RateLimits};
// Entry points for `nis2 serve` and `nis2 worker`.
pub use server::{Server, run_worker, serve, shutdown_signal};
// The router's state and its extractors.
pub use state::{AppState, Caller, ClientIp, SetupError};
// Webhook headers and the notifier that wakes the dispatcher.
pub use worker::{EVENT_HEADER, EVENT_ID_HEADER, WakeNotifier};

/// The API router over `state`. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so the demo rate
/// limit sees client addresses.
pub fn app(state: AppState) -> Router {
    let limit = state.inner.body_limit;
    let router = Router::new()
        .route("/health", get(routes::health))
        .route(
            "/vendors",
            get(routes::list_vendors).post(routes::create_vendor),
        )
        .route("/vendors/{id}", delete(routes::delete_vendor))
        .route("/scans/trigger", post(routes::trigger_scan))
        .route("/scans/history/{vendor_id}", get(routes::scan_history))
        .route("/dashboard/summary", get(routes::dashboard))
        .route("/reports/letter", post(routes::letter))
        .route("/reports/{scan_id}", get(routes::report))
        .route("/scan/demo", post(routes::demo))
        .route("/openapi.json", get(openapi::serve_document))
        .route("/docs", get(openapi::docs))
        .fallback(routes::not_found);
    layered(router, limit).with_state(state)
}

/// The layers every route gets: the body limit, the error shape for errors
/// made outside the handlers, panics answered as a generic 500 (in the error
/// shape, the cause logged), and request tracing.
fn layered<S: Clone + Send + Sync + 'static>(router: Router<S>, body_limit: usize) -> Router<S> {
    router
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::map_response(shape_errors))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_request(DefaultOnRequest::new().level(tracing::Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
}

/// A handler panicked: log why, answer the generic 500.
fn panic_response(cause: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let why = cause
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    ApiError::internal(format!("handler panicked: {why}")).into_response()
}

/// Gives errors made by the HTTP layer itself (405, 413, a caught panic, …)
/// the API's error shape.
async fn shape_errors(response: Response<Body>) -> Response<Body> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ("METHOD_NOT_ALLOWED", "Method not allowed for this route")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "Request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
        StatusCode::NOT_FOUND => ("NOT_FOUND", "No such route"),
        s if s.is_server_error() => ("INTERNAL_ERROR", "Internal server error"),
        _ => ("BAD_REQUEST", "Bad request"),
    };
    if status.is_server_error() {
        tracing::error!(%status, "internal error answered by the HTTP layer");
    }
    let allow: Option<HeaderValue> = response.headers().get(header::ALLOW).cloned();
    let mut shaped = ApiError::Status {
        status,
        code,
        detail: detail.to_owned(),
    }
    .into_response();
    if let Some(a) = allow {
        shaped.headers_mut().insert(header::ALLOW, a);
    }
    shaped
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn call(router: Router, req: Request<Body>) -> (StatusCode, serde_json::Value) {
        let res = router.oneshot(req).await.unwrap();
        let status = res.status();
        assert!(
            res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[allow(clippy::panic)]
    async fn boom() -> &'static str {
        panic!("secret internal detail")
    }

    #[tokio::test]
    async fn a_panicking_handler_gets_the_generic_500_in_the_error_shape() {
        let router = layered(Router::new().route("/boom", get(boom)), 1024);
        let (status, v) = call(router, Request::get("/boom").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(v["detail"], "Internal server error");
        assert_eq!(v["code"], "INTERNAL_ERROR");
        assert!(v["timestamp"].is_string());
        assert!(!v.to_string().contains("secret"), "{v}");
    }

    #[tokio::test]
    async fn layer_errors_get_the_error_shape() {
        async fn echo(body: String) -> String {
            body
        }
        let router = layered(Router::new().route("/echo", post(echo)), 16);
        let (status, v) = call(
            router.clone(),
            Request::post("/echo")
                .body(Body::from("x".repeat(100)))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
        assert_eq!(v["code"], "PAYLOAD_TOO_LARGE");
        let (status, v) = call(
            router,
            Request::delete("/echo").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{v}");
        assert_eq!(v["code"], "METHOD_NOT_ALLOWED");
    }
}
