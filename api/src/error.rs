//! The one error type: every failure maps to an RFC 9457 problem+json response with a stable code.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Per-field validation messages, keyed by field name.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: bad query parameter, header or path.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// The request body is well-formed but its content is not acceptable.
    #[error("the request has invalid fields")]
    Validation { errors: FieldErrors },
    /// No credentials, or credentials that are not valid (any more).
    #[error("authentication required: missing or invalid credentials")]
    Unauthenticated,
    /// Valid credentials without the permission.
    #[error("you are not allowed to do this")]
    Forbidden,
    /// Login refused: the same answer for an unknown email and a wrong password.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The write was based on a version that is no longer current.
    #[error("{}", match expected {
        Some(expected) => format!("version {expected} is not current; the item is at version {current}"),
        None => format!("the item changed since the ETag you sent; it is at version {current}"),
    })]
    VersionConflict { expected: Option<i32>, current: i32 },
    /// A write that must say which version it is based on, and did not.
    #[error("send If-Match with the item's ETag, or the `version` you last saw")]
    PreconditionRequired,
    /// A state change that the current state does not allow, or a uniqueness clash.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// What the request names is gone for good and the client must start over (a sync token
    /// that is too old, tampered with or from another scope).
    #[error("{detail}")]
    Gone { code: &'static str, detail: String },
    /// Too many attempts; retry after the given seconds.
    #[error("too many attempts; retry in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// No such resource, or the caller may not know it exists.
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    /// No route answers this path.
    #[error("no route for {path}")]
    RouteNotFound { path: String },
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request body is larger than the configured limit.
    #[error("request body over the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The request body has a media type the endpoint does not take.
    #[error("unsupported media type: {detail}")]
    UnsupportedMediaType { detail: String },
    /// Another record already holds a value that must be unique (a race past the checks).
    #[error("{}", match field {
        Some(field) => format!("another record already has this {field}"),
        None => "another record already has this value".to_owned(),
    })]
    Duplicate { field: Option<&'static str> },
    /// The database cannot be reached or is busy; the client may retry.
    #[error("the database is unavailable; retry in {retry_after} seconds")]
    Unavailable { retry_after: u64 },
    /// A database error: logged, never shown.
    #[error("database error")]
    Database(sea_orm::DbErr),
    /// Any other server fault: logged, never shown.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// An RFC 9457 problem document as this API writes it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` plus `code` identify it).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable, snake_case machine-readable code.
    pub code: String,
    /// Per-field messages, for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "adapters", schema(value_type = Option<std::collections::HashMap<String, Vec<String>>>))]
    pub errors: Option<FieldErrors>,
}

impl AppError {
    /// A 422 naming one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message.into()]);
        AppError::Validation { errors }
    }

    /// A 400 with a stable code and a message for the client.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::BadRequest { code, detail: detail.into() }
    }

    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } => code,
            AppError::Validation { .. } => "validation_failed",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::VersionConflict { .. } => "version_conflict",
            AppError::PreconditionRequired => "precondition_required",
            AppError::Conflict { code, .. } | AppError::Gone { code, .. } => code,
            AppError::Duplicate { .. } => "conflict",
            AppError::Unavailable { .. } => "service_unavailable",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::NotFound { .. } | AppError::RouteNotFound { .. } => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::Database(_) | AppError::Internal(_) => "internal_error",
        }
    }

    /// The problem document for this error; server faults say nothing about their cause.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            AppError::Database(_) | AppError::Internal(_) => {
                "the server could not complete the request".to_owned()
            }
            other => other.to_string(),
        };
        Problem {
            problem_type: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors: match self {
                AppError::Validation { errors } => Some(errors.clone()),
                AppError::Duplicate { field: Some(field) } => {
                    Some(FieldErrors::from([((*field).to_owned(), vec!["is already taken".to_owned()])]))
                }
                _ => None,
            },
        }
    }
}

/// Seconds a client is asked to wait when the database is unavailable.
const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// The one mapping of database failures: unique violations (a race the checks could not see)
/// are 409s naming the field, references that vanished are 422s (409 when a delete is refused
/// because rows still refer to it), a lost or busy database is a 503 to retry, anything else a
/// generic 500. The database's own text is never shown.
impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        use sea_orm::SqlErr;
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                return AppError::Duplicate { field: unique_field(&message) };
            }
            Some(SqlErr::ForeignKeyConstraintViolation(message)) => {
                return if message.starts_with("update or delete") {
                    AppError::Conflict { code: "in_use", detail: "other records still refer to this one".into() }
                } else {
                    AppError::invalid_field("body", "names a record that does not exist (any more)")
                };
            }
            _ => {}
        }
        if database_unavailable(&error) {
            tracing::warn!(error = ?error, "database unavailable");
            return AppError::Unavailable { retry_after: UNAVAILABLE_RETRY_AFTER };
        }
        AppError::Database(error)
    }
}

/// The field a unique constraint guards, read from the constraint or column the database names
/// (`users_email_normalized_key` on PostgreSQL, `users.email_normalized` on SQLite).
fn unique_field(message: &str) -> Option<&'static str> {
    ["email", "url", "slug", "name"].into_iter().find(|field| message.contains(field))
}

/// Whether a failure is the database being out of reach or overloaded rather than the request.
fn database_unavailable(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let sqlx_error = match error {
        // Failing to get a connection is never the request's fault.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match &**sqlx_error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL: connection exceptions (08…), shutdown or start-up (57P01–57P03), too many
            // connections (53300). SQLite: busy or locked past the busy timeout (5, 6, 517).
            code.starts_with("08") || ["57P01", "57P02", "57P03", "53300", "5", "6", "517"].contains(&code.as_ref())
        }
        _ => false,
    }
}

/// A problem+json response for a status that has no [`AppError`] of its own.
pub fn problem_response(status: StatusCode, code: &str, detail: &str) -> HttpResponse {
    let problem = Problem {
        problem_type: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        code: code.to_owned(),
        errors: None,
    };
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .insert_header(("Cache-Control", "no-store"))
        .body(serde_json::to_string(&problem).unwrap_or_default())
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::VersionConflict { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::Conflict { .. } | AppError::Duplicate { .. } => StatusCode::CONFLICT,
            AppError::Gone { .. } => StatusCode::GONE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::NotFound { .. } | AppError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self, AppError::Database(_) | AppError::Internal(_)) {
            tracing::error!(error = ?self, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json").insert_header(("Cache-Control", "no-store"));
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => {
                response.insert_header(("WWW-Authenticate", "Bearer realm=\"ou\""));
            }
            AppError::TooManyRequests { retry_after } | AppError::Unavailable { retry_after } => {
                response.insert_header(("Retry-After", retry_after.to_string()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// Reads a JSON value into `T`, naming the offending field on failure.
pub fn decode_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    if let Some(path) = crate::domain::nul_in(&value) {
        let field = if path.is_empty() { "body".to_owned() } else { path };
        return Err(AppError::invalid_field(&field, "must not contain the NUL character"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = match message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("missing field `")) {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                if path == "." || path == name || path.ends_with(&format!(".{name}")) {
                    if path == "." { name.to_owned() } else { path.clone() }
                } else {
                    format!("{path}.{name}")
                }
            }
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let message = if message.starts_with("unknown field") {
            "is not a known field".to_owned()
        } else if message.starts_with("missing field") {
            "is required".to_owned()
        } else {
            message
        };
        let mut errors = FieldErrors::new();
        errors.insert(field, vec![message]);
        AppError::Validation { errors }
    })
}
