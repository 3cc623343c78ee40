//! Errors as GraphQL answers them: the REST problem's message, `extensions.code` (the GraphQL
//! convention), `extensions.problem` (the REST code) and, for validation failures, the
//! per-field `errors`.

use crate::error::AppError;

/// Turns an error into the GraphQL error clients see. A trait rather than `From`, because
/// async-graphql's blanket `From<impl Display>` would silently drop the code.
pub trait ToGraphql {
    fn to_graphql(&self) -> async_graphql::Error;
}

impl ToGraphql for AppError {
    fn to_graphql(&self) -> async_graphql::Error {
        let code = match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => "UNAUTHENTICATED",
            AppError::Forbidden => "FORBIDDEN",
            AppError::NotFound { .. } | AppError::RouteNotFound { .. } => "NOT_FOUND",
            AppError::BadRequest { .. } | AppError::Validation { .. } | AppError::PayloadTooLarge { .. } | AppError::UnsupportedMediaType { .. } | AppError::MethodNotAllowed => "BAD_USER_INPUT",
            AppError::VersionConflict { .. } | AppError::Conflict { .. } | AppError::Duplicate { .. } | AppError::PreconditionRequired => "CONFLICT",
            AppError::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            AppError::Gone { .. } => "GONE",
            AppError::Unavailable { .. } => "SERVICE_UNAVAILABLE",
            AppError::Database(_) | AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        };
        if matches!(self, AppError::Database(_) | AppError::Internal(_)) {
            tracing::error!(error = ?self, "GraphQL request failed");
        }
        let problem = self.problem();
        let mut error = async_graphql::Error::new(problem.detail);
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", code);
        extensions.set("problem", problem.code);
        if let Some(errors) = problem.errors {
            extensions.set("errors", async_graphql::Value::from_json(serde_json::json!(errors)).unwrap_or_default());
        }
        error.extensions = Some(extensions);
        error
    }
}

