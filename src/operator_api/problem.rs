//! Every refusal of the API as an RFC 9457 problem document (`application/problem+json`), each
//! kind with a stable `type`, and the request extractors whose rejections become problems.

use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header, request::Parts};
use serde::{Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

/// Where the `type` of every problem starts.
pub const TYPE_PREFIX: &str = "urn:active-sessions:problem:";

/// A problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:active-sessions:problem:insufficient-scope",
    "title": "The token lacks a scope",
    "status": 403,
    "detail": "This call needs the scope sessions:write."
}))]
pub struct Problem {
    /// Stable: `urn:active-sessions:problem:` and one of missing-token, invalid-token,
    /// expired-token, cookie-only, insufficient-scope, rate-limited, not-found, bad-request,
    /// invalid-reason, unsupported-media-type, server-error.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Seconds until the token may call again (rate-limited only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    fn new(status: StatusCode, kind: &str, title: &str, detail: Option<String>) -> Self {
        Problem { kind: format!("{TYPE_PREFIX}{kind}"), title: title.to_owned(), status: status.as_u16(), detail, retry_after: None }
    }

    pub fn missing_token(cookie_only: bool) -> Self {
        let detail = if cookie_only {
            "The API takes no cookies: send Authorization: Bearer <token> (active-sessions api-token create)."
        } else {
            "Send Authorization: Bearer <token> (active-sessions api-token create)."
        };
        let kind = if cookie_only { "cookie-only" } else { "missing-token" };
        Self::new(StatusCode::UNAUTHORIZED, kind, "An API token is required", Some(detail.to_owned()))
    }

    pub fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid-token", "The API token is not valid", Some("Unknown or revoked token.".into()))
    }

    pub fn expired_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "expired-token", "The API token has expired", None)
    }

    pub fn insufficient_scope(scope: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "insufficient-scope", "The token lacks a scope", Some(format!("This call needs the scope {scope}.")))
    }

    pub fn rate_limited(seconds: u64) -> Self {
        let mut p = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many calls with this token", None);
        p.retry_after = Some(seconds);
        p
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", Some(format!("No such {what}.")))
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "The request is not valid", Some(detail.into()))
    }

    pub fn invalid_reason() -> Self {
        let detail = format!("Give a reason of 1 to {} characters.", crate::identity::admin::MAX_REASON);
        Self::new(StatusCode::BAD_REQUEST, "invalid-reason", "A reason is required", Some(detail))
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Send JSON", Some("Content-Type must be application/json.".into()))
    }

    pub fn server_error() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server-error", "Something went wrong on our side", None)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after;
        let unauthorized = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"))], serde_json::to_string(&self).unwrap_or_default()).into_response();
        if let Some(seconds) = retry {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if unauthorized {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"active-sessions\""));
        }
        response
    }
}

impl From<crate::infra::error::AppError> for Problem {
    fn from(e: crate::infra::error::AppError) -> Self {
        use crate::infra::error::AppError;
        match e {
            AppError::ReasonRequired => Problem::invalid_reason(),
            AppError::NotFound | AppError::SessionNotFound => Problem::not_found("resource"),
            AppError::BadRequest => Problem::bad_request("The request is not valid."),
            other => {
                tracing::error!("operator API: {other}");
                Problem::server_error()
            }
        }
    }
}

/// A JSON body whose rejection is a problem (415 without `application/json`, else 400).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Problem::unsupported_media_type()),
            Err(e) => Err(Problem::bad_request(e.body_text())),
        }
    }
}

/// Path parameters whose rejection is a 400 problem.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|p| Path(p.0)).map_err(|e| Problem::bad_request(e.body_text()))
    }
}

/// A query string whose rejection is a 400 problem.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state).await.map(|q| Query(q.0)).map_err(|e| Problem::bad_request(e.body_text()))
    }
}
