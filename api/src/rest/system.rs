//! Operational endpoints: health, readiness, metrics, and the interactive API docs.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sea_orm::ConnectionTrait;

use crate::error::{AppError, Problem};
use crate::state::AppState;

/// Process is up.
/// The answer of the health and readiness checks.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `ok` (health) or `ready` (readiness).
    pub status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "The process is up", body = Status, example = json!({"status": "ok"}))))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(Status { status: "ok".into() })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "system", responses(
    (status = 200, description = "The database is reachable", body = Status, example = json!({"status": "ready"})),
    (status = 503, description = "The database is not reachable", body = Problem, content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(Status { status: "ready".into() }),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            crate::error::problem_response(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database is not reachable",
            )
        }
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let body = format!(
        "# HELP ou_db_statements_total SQL statements executed.\n# TYPE ou_db_statements_total counter\nou_db_statements_total {}\n\
         # HELP ou_db_statement_errors_total SQL statements that failed.\n# TYPE ou_db_statement_errors_total counter\nou_db_statement_errors_total {}\n\
         # HELP ou_uptime_seconds Seconds since the server started.\n# TYPE ou_uptime_seconds gauge\nou_uptime_seconds {}\n",
        state.db_stats.statements(),
        state.db_stats.failed(),
        state.started_at.elapsed().as_secs(),
    );
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

/// The OpenAPI 3.1 document.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(crate::rest::openapi::document_json())
}

/// `/docs` → `/docs/`, where the bundled Swagger UI lives.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}

/// Answers every path no route matches.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::RouteNotFound { path: req.path().to_owned() })
}
