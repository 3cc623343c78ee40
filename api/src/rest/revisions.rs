//! REST handlers for single revisions and their differences.

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use crate::error::{AppError, Problem};
use crate::auth::principal::Caller;
use crate::rest::read_only;
use crate::rest::response::{self, to_value};
use crate::services::revisions::{self, RevisionDiff, RevisionRecord};
use crate::state::AppState;

fn revision_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::try_parse(raw).map_err(|_| AppError::NotFound { resource: "revision" })
}

/// One revision, with the whole item as it was.
#[utoipa::path(get, path = "/api/v1/revisions/{id}", tag = "revisions", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Revision id")),
    responses((status = 200, description = "The revision", body = RevisionRecord),
              (status = 404, description = "No such revision", body = Problem, content_type = "application/problem+json")))]
pub async fn get_revision(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = revisions::get(&state.db, &caller.principal, revision_id(&path)?).await?;
    response::json(&req, &state, &caller.principal, &to_value(&record)?, Vec::new())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffParams {
    against: Option<Uuid>,
}

/// What changed, field by field, from another revision (by default the previous one) to this one.
#[utoipa::path(get, path = "/api/v1/revisions/{id}/diff", tag = "revisions", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Revision id"),
           ("against" = Option<uuid::Uuid>, Query, description = "The revision to compare with; the previous one when absent")),
    responses((status = 200, description = "Changed fields", body = RevisionDiff),
              (status = 404, description = "No such revision", body = Problem, content_type = "application/problem+json")))]
pub async fn diff_revision(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let params: DiffParams = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| AppError::bad_request("invalid_parameter", "`against` must be a revision id"))?;
    let diff = revisions::diff(&state.db, &caller.principal, revision_id(&path)?, params.against).await?;
    response::json(&req, &state, &caller.principal, &to_value(&diff)?, Vec::new())
}

/// Registers the revision routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/revisions/{id}", get_revision)).service(read_only("/revisions/{id}/diff", diff_revision));
}
