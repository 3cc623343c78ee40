//! REST handlers for webhook endpoints, their deliveries, and the sync API.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::principal::Caller;
use crate::error::{AppError, Problem};
use crate::rest::body::{self, uuid_in_path as id};
use crate::rest::list_query::{ListParams, parse_list};
use crate::rest::response::{self, list_response, range_header, to_value, written};
use crate::services::changes::RecordKind;
use crate::services::sync::{self, SyncPage, SyncRequest};
use crate::services::webhooks::{self, DELIVERY_SPEC, DeliveryDetail, DeliveryRecord, Replayed, WEBHOOK_SPEC, WebhookInput, WebhookRecord, WebhookWithSecret};
use crate::services::write::Written;
use crate::state::AppState;

/// Lists webhook endpoints (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "Endpoints", body = [WebhookRecord]), (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn list_webhooks(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &WEBHOOK_SPEC)?;
    let page = webhooks::list(&state.db, &caller.principal, &parsed.query).await?;
    list_response(&req, &state, &caller, &parsed, WEBHOOK_SPEC.name, page)
}

/// Gets an endpoint.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "The endpoint", body = WebhookRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get_webhook(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = webhooks::get(&state.db, &caller.principal, id(&path, "webhook")?).await?;
    response::json(&req, &state, &caller.principal, &to_value(&record)?, Vec::new())
}

/// Creates an endpoint; the answer holds its `whsec_…` secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput, security(("bearer" = [])),
    responses((status = 201, description = "Created, with its secret", body = WebhookWithSecret), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn create_webhook(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let sent = Written::Json(body::parse_object(&req, &bytes)?);
    let created = webhooks::create(&state.db, &caller.principal, sent, state.settings.outbound_allow_private).await?;
    written(StatusCode::CREATED, &created, Some(format!("/api/v1/webhooks/{}", created.webhook.id)))
}

async fn update(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, sent: Written<WebhookInput>) -> Result<HttpResponse, AppError> {
    let webhook_id = id(&path, "webhook")?;
    let precondition = body::precondition(&req, false);
    let record = webhooks::update(&state.db, &caller.principal, webhook_id, sent, precondition, state.settings.outbound_allow_private).await?;
    written(StatusCode::OK, &record, None)
}

/// Replaces an endpoint's settings; `active: true` enables a disabled endpoint again.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookInput, security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = WebhookRecord), (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn replace_webhook(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let sent = Written::Json(body::parse_object(&req, &bytes)?);
    update(req, state, caller, path, sent).await
}

/// Merges changes into an endpoint (RFC 7396).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body(content = Object, content_type = "application/merge-patch+json"), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = WebhookRecord), (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_webhook(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let sent = Written::Patch(body::parse_object(&req, &bytes)?);
    update(req, state, caller, path, sent).await
}

/// Deletes an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "Deleted", body = WebhookRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_webhook(state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = webhooks::delete(&state.db, &caller.principal, id(&path, "webhook")?).await?;
    written(StatusCode::OK, &record, None)
}

/// Gives an endpoint a new secret, shown this once; the old one keeps signing beside it for
/// `webhook_secret_grace_hours`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "Rotated, with the new secret", body = WebhookWithSecret), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn rotate_webhook_secret(state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let grace = chrono::Duration::hours(i64::from(state.settings.webhook_secret_grace_hours));
    let rotated = webhooks::rotate_secret(&state.db, &caller.principal, id(&path, "webhook")?, grace).await?;
    written(StatusCode::OK, &rotated, None)
}

/// Queues a `ping` event for an endpoint.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "webhooks", security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = DeliveryRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn ping_webhook(state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let queued = webhooks::ping(&state.db, &caller.principal, id(&path, "webhook")?).await?;
    written(StatusCode::ACCEPTED, &queued, None)
}

/// When a replay starts.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayInput {
    /// Every subscribed event at or after this instant is sent again.
    pub since: DateTime<Utc>,
}

/// Sends an endpoint every subscribed event since `since` again (as far back as the change
/// log keeps).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/replay", tag = "webhooks", request_body = ReplayInput, security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = Replayed), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn replay_webhook(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let input: ReplayInput = body::parse(&req, &bytes)?;
    let replayed = webhooks::replay(&state.db, &caller.principal, id(&path, "webhook")?, input.since).await?;
    written(StatusCode::ACCEPTED, &replayed, None)
}

/// Lists an endpoint's deliveries, newest first (`state=failed` for what did not arrive).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "Deliveries", body = [DeliveryRecord]), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn list_deliveries(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &DELIVERY_SPEC)?;
    let page = webhooks::deliveries(&state.db, &caller.principal, id(&path, "webhook")?, &parsed.query).await?;
    list_response(&req, &state, &caller, &parsed, DELIVERY_SPEC.name, page)
}

/// One delivery with every attempt: status, duration, response excerpt, error.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "The delivery", body = DeliveryDetail), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get_delivery(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (webhook_id, delivery_id) = (id(&path.0, "webhook")?, id(&path.1, "webhook delivery")?);
    let detail = webhooks::delivery(&state.db, &caller.principal, webhook_id, delivery_id).await?;
    response::json(&req, &state, &caller.principal, &to_value(&detail)?, Vec::new())
}

/// Sends one delivery again, now.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = DeliveryRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn redeliver(state: web::Data<AppState>, caller: Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (webhook_id, delivery_id) = (id(&path.0, "webhook")?, id(&path.1, "webhook delivery")?);
    let queued = webhooks::redeliver(&state.db, &caller.principal, webhook_id, delivery_id).await?;
    written(StatusCode::ACCEPTED, &queued, None)
}

/// The sync query: `initial=true` (with `kind` and `limit`) or a `token`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SyncParams {
    /// `true` starts a first download.
    pub initial: Option<bool>,
    /// A `next_page_token` or `next_sync_token` from an earlier answer.
    pub token: Option<String>,
    /// Comma-separated kinds to sync on a first download (all when absent): essay,
    /// strategy_analysis, blog_post, news_link, sector, tag, question, blog, editor.
    pub kind: Option<String>,
    /// Items per page on a first download, 1–1000 (default 100); tokens keep it.
    pub limit: Option<u64>,
}

fn sync_request(query: &str) -> Result<SyncRequest, AppError> {
    let params: SyncParams = serde_urlencoded::from_str(query).map_err(|e| AppError::bad_request("invalid_parameter", format!("invalid sync parameters: {e}")))?;
    match (params.initial, params.token) {
        (Some(true), None) => {
            let kinds = match params.kind.as_deref() {
                None | Some("") => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(|k| RecordKind::parse(k.trim()).ok_or_else(|| AppError::bad_request("invalid_parameter", format!("kind `{k}` is none of {}", RecordKind::NAMES.join(", ")))))
                    .collect::<Result<_, _>>()?,
            };
            let limit = params.limit.unwrap_or(sync::DEFAULT_LIMIT);
            if !(1..=sync::MAX_LIMIT).contains(&limit) {
                return Err(AppError::bad_request("invalid_parameter", format!("limit must be between 1 and {}", sync::MAX_LIMIT)));
            }
            Ok(SyncRequest::Initial { kinds, limit })
        }
        (None | Some(false), Some(token)) if params.kind.is_none() && params.limit.is_none() => Ok(SyncRequest::Continue { token }),
        (_, Some(_)) => Err(AppError::bad_request("invalid_parameter", "a token carries its kinds and limit; send it alone")),
        _ => Err(AppError::bad_request("invalid_parameter", "send initial=true for a first download, or the token of the last answer")),
    }
}

/// Syncs content and catalog: a first download in pages, then what changed since, with
/// removals for what the caller may no longer see.
#[utoipa::path(get, path = "/api/v1/sync", tag = "sync", params(SyncParams), security((), ("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "A page of changes", body = SyncPage),
              (status = 304, description = "Nothing changed since the ETag sent"),
              (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "The token cannot be followed (`resync_required`): start over", body = Problem, content_type = "application/problem+json")))]
pub async fn sync(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let request = sync_request(req.query_string())?;
    let page = sync::sync(&state.db, &state.keys.sealer, &caller.principal, request).await?;
    let bytes = serde_json::to_vec(&page).map_err(|e| AppError::Internal(e.into()))?;
    let etag = crate::etag::of_bytes(&bytes);
    let current = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| crate::etag::matches(v, &etag));
    let mut response = if current { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    // Every answer depends on the credentials and the moment: revalidate, never share.
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::VARY, "Authorization, X-Api-Key"));
    Ok(if current { response.finish() } else { response.content_type("application/json").body(bytes) })
}

/// Registers the webhook and sync routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/webhooks").route(web::get().to(list_webhooks)).route(web::post().to(create_webhook)))
        .service(
            web::resource("/webhooks/{id}")
                .route(web::get().to(get_webhook))
                .route(web::put().to(replace_webhook))
                .route(web::patch().to(patch_webhook))
                .route(web::delete().to(delete_webhook)),
        )
        .service(web::resource("/webhooks/{id}/rotate-secret").route(web::post().to(rotate_webhook_secret)))
        .service(web::resource("/webhooks/{id}/ping").route(web::post().to(ping_webhook)))
        .service(web::resource("/webhooks/{id}/replay").route(web::post().to(replay_webhook)))
        .service(web::resource("/webhooks/{id}/deliveries").route(web::get().to(list_deliveries)))
        .service(web::resource("/webhooks/{id}/deliveries/{delivery_id}").route(web::get().to(get_delivery)))
        .service(web::resource("/webhooks/{id}/deliveries/{delivery_id}/redeliver").route(web::post().to(redeliver)))
        .service(crate::rest::read_only("/sync", sync));
}
