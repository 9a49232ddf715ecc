//! The one API error type: every error response is `{"detail", "code", "timestamp"}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::clock::now;

/// The error body of every failed request (the seed's error shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// A human-readable message.
    pub detail: String,
    /// A stable, machine-readable code such as `VENDOR_NOT_FOUND`.
    pub code: String,
    /// When the error was answered (RFC 3339, seconds).
    pub timestamp: String,
}

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 400: the input is understood but not acceptable.
    #[error("{detail}")]
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// Message.
        detail: String,
    },
    /// 401: no, or no valid, credentials.
    #[error("{detail}")]
    Unauthorized {
        /// Message.
        detail: String,
    },
    /// 403: valid credentials without the permission.
    #[error("{detail}")]
    Forbidden {
        /// Message.
        detail: String,
    },
    /// 404: no such resource in the caller's account (or no such route).
    #[error("{detail}")]
    NotFound {
        /// Machine-readable code.
        code: &'static str,
        /// Message.
        detail: String,
    },
    /// 422: the body, path or query does not match the schema.
    #[error("{detail}")]
    Validation {
        /// Machine-readable code.
        code: &'static str,
        /// Message with the details (field, line, column).
        detail: String,
    },
    /// 429: a rate limit was hit; retry after this many seconds.
    #[error("Rate limit exceeded. Retry after {retry_after} seconds.")]
    RateLimited {
        /// Seconds until the window opens again.
        retry_after: u64,
    },
    /// Any other status produced by the HTTP layer (405, 413, 415, …).
    #[error("{detail}")]
    Status {
        /// The status.
        status: StatusCode,
        /// Machine-readable code.
        code: &'static str,
        /// Message.
        detail: String,
    },
    /// 500: logged with its cause, answered with a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// An internal error; the cause is logged when the response is made, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// 404 with a code.
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::NotFound {
            code,
            detail: detail.into(),
        }
    }

    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            detail: detail.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Status { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Validation { code, .. }
            | ApiError::Status { code, .. } => code,
            ApiError::Unauthorized { .. } => "UNAUTHORIZED",
            ApiError::Forbidden { .. } => "FORBIDDEN",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// The body sent to the client.
    pub fn body(&self) -> ErrorBody {
        let detail = match self {
            ApiError::Internal(_) => "Internal server error".to_owned(),
            other => other.to_string(),
        };
        ErrorBody {
            detail,
            code: self.code().to_owned(),
            timestamp: now().trunc_seconds().to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            other if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN => {
                tracing::info!(code = other.code(), detail = %other, "request refused");
            }
            _ => {}
        }
        let mut response = (status, Json(self.body())).into_response();
        if let ApiError::RateLimited { retry_after } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::Status {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "UNSUPPORTED_MEDIA_TYPE",
                detail: "Expected a request body with `Content-Type: application/json`".into(),
            },
            StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
            _ => ApiError::Validation {
                code: "VALIDATION_ERROR",
                detail: format!("Invalid request body: {}", r.body_text()),
            },
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::Validation {
            code: "VALIDATION_ERROR",
            detail: format!("Invalid path parameter: {}", r.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::Validation {
            code: "VALIDATION_ERROR",
            detail: format!("Invalid query string: {}", r.body_text()),
        }
    }
}

impl From<nis2_store::Error> for ApiError {
    fn from(e: nis2_store::Error) -> Self {
        match e {
            nis2_store::Error::NotFound { what } => {
                let code = match what {
                    "vendor" => "VENDOR_NOT_FOUND",
                    "scan" => "SCAN_NOT_FOUND",
                    _ => "NOT_FOUND",
                };
                ApiError::not_found(code, format!("{} not found", capitalise(what)))
            }
            nis2_store::Error::Conflict { message } => ApiError::bad_request("CONFLICT", message),
            e @ (nis2_store::Error::TooLong { .. } | nis2_store::Error::Invalid { .. }) => {
                ApiError::bad_request("INVALID_INPUT", e.to_string())
            }
            other => ApiError::internal(other),
        }
    }
}

/// 413 for a body over the limit.
pub(crate) fn payload_too_large() -> ApiError {
    ApiError::Status {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "PAYLOAD_TOO_LARGE",
        detail: "Request body too large".into(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
