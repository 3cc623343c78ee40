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

/// Prometheus metrics in the text exposition format: this app's statement counters, pool and
/// job lag read now, and the process-wide series (requests, latencies, jobs, cache hits).
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    use std::fmt::Write;
    let lags = state.db_stats.uncounted(crate::services::backlog::job_lag(&state.db)).await;
    let (open, idle) = crate::db::pool_usage(&state.db);
    let mut body = String::new();
    let mut series = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(body, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(body, "{name}{labels} {value}");
        }
    };
    series("ou_db_statements_total", "counter", "SQL statements executed.", &[(String::new(), state.db_stats.statements() as f64)]);
    series("ou_db_statement_errors_total", "counter", "SQL statements that failed.", &[(String::new(), state.db_stats.failed() as f64)]);
    series("ou_db_pool_connections", "gauge", "Database connections of the pool, by state.", &[
        ("{state=\"in_use\"}".into(), f64::from(open) - idle as f64),
        ("{state=\"idle\"}".into(), idle as f64),
    ]);
    let cached = state.response_cache.usage();
    series("ou_response_cache_bytes", "gauge", "Bytes of answers the response cache keeps.", &[(String::new(), cached.bytes as f64)]);
    series("ou_response_cache_entries", "gauge", "Answers the response cache keeps.", &[(String::new(), cached.entries as f64)]);
    series("ou_uptime_seconds", "gauge", "Seconds since the server started.", &[(String::new(), state.started_at.elapsed().as_secs() as f64)]);
    match lags {
        Ok(lags) => {
            let samples: Vec<_> = lags.into_iter().map(|(job, lag)| (format!("{{job=\"{job}\"}}"), lag)).collect();
            series("ou_job_lag_seconds", "gauge", "How long the oldest work a job should have done has been due.", &samples);
        }
        Err(error) => tracing::warn!(%error, "job lag could not be read for /metrics"),
    }
    body.push_str(&crate::metrics::handle().render());
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
