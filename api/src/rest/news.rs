//! REST handlers for news sources (`/news-sources`): the feeds collectors follow, their health,
//! and polling one now.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::principal::Caller;
use crate::error::{AppError, Problem};
use crate::rest::body::{self, uuid_in_path as id};
use crate::rest::list_query::{ListParams, parse_list};
use crate::rest::response::{self, list_response, range_header, to_value, written};
use crate::services::news::poll::PollReport;
use crate::services::news::{self, NEWS_SOURCE_SPEC, NewsSourceInput, NewsSourceRecord};
use crate::services::write::Written;
use crate::state::AppState;

/// Lists the news sources of the caller's sectors (collectors, editors; admins: all).
#[utoipa::path(get, path = "/api/v1/news-sources", tag = "news-sources", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "Sources, with their polling health", body = [NewsSourceRecord]),
              (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn list_news_sources(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &NEWS_SOURCE_SPEC)?;
    let page = news::list(&state.db, &caller.principal, &parsed.query).await?;
    list_response(&req, &state, &caller, &parsed, NEWS_SOURCE_SPEC.name, page)
}

/// Gets a news source.
#[utoipa::path(get, path = "/api/v1/news-sources/{id}", tag = "news-sources", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Source id")),
    responses((status = 200, description = "The source", body = NewsSourceRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get_news_source(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = news::get(&state.db, &caller.principal, id(&path, "news source")?).await?;
    response::json(&req, &state, &caller.principal, &to_value(&record)?, Vec::new())
}

/// Adds a news source. Its URL is fetched first: it must answer RSS, Atom or JSON Feed; a web
/// page is refused with the feeds it advertises (`errors.feeds`). It is polled at once.
#[utoipa::path(post, path = "/api/v1/news-sources", tag = "news-sources", request_body = NewsSourceInput, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = NewsSourceRecord),
              (status = 403, description = "Not allowed (a sector outside the caller's)", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid, not a feed, or a web page (with the feeds it advertises)", body = Problem, content_type = "application/problem+json")))]
pub async fn create_news_source(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let sent = Written::Json(body::parse_object(&req, &bytes)?);
    let record = news::create(&state.db, &caller.principal, sent, &state.news.outbound).await?;
    written(StatusCode::CREATED, &record, Some(format!("/api/v1/news-sources/{}", record.id)))
}

async fn update(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, sent: Written<NewsSourceInput>) -> Result<HttpResponse, AppError> {
    let source = id(&path, "news source")?;
    let precondition = body::precondition(&req, false);
    let record = news::update(&state.db, &caller.principal, source, sent, precondition, &state.news.outbound).await?;
    written(StatusCode::OK, &record, None)
}

/// Replaces a news source's settings (`active: true` resumes a paused source).
#[utoipa::path(put, path = "/api/v1/news-sources/{id}", tag = "news-sources", request_body = NewsSourceInput, security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Source id")),
    responses((status = 200, description = "Updated", body = NewsSourceRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn replace_news_source(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let sent = Written::Json(body::parse_object(&req, &bytes)?);
    update(req, state, caller, path, sent).await
}

/// Merges changes into a news source (RFC 7396).
#[utoipa::path(patch, path = "/api/v1/news-sources/{id}", tag = "news-sources", request_body(content = Object, content_type = "application/merge-patch+json"), security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Source id")),
    responses((status = 200, description = "Updated", body = NewsSourceRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_news_source(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let sent = Written::Patch(body::parse_object(&req, &bytes)?);
    update(req, state, caller, path, sent).await
}

/// Removes a news source; its news links stay, and the stories it found stay known.
#[utoipa::path(delete, path = "/api/v1/news-sources/{id}", tag = "news-sources", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Source id")),
    responses((status = 200, description = "Deleted", body = NewsSourceRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_news_source(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let precondition = body::precondition(&req, false);
    let record = news::delete(&state.db, &caller.principal, id(&path, "news source")?, precondition).await?;
    written(StatusCode::OK, &record, None)
}

/// Polls a news source now and answers what came of it (new drafts, duplicates, not
/// modified, or the error).
#[utoipa::path(post, path = "/api/v1/news-sources/{id}/poll", tag = "news-sources", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Source id")),
    responses((status = 200, description = "What the poll did", body = PollReport), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Another node's poll of the source did not end in time (`poll_in_progress`)", body = Problem, content_type = "application/problem+json")))]
pub async fn poll_news_source(state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let report = news::poll_now(&state.db, &caller.principal, id(&path, "news source")?, &state.news).await?;
    written(StatusCode::OK, &report, None)
}

/// Registers the news source routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/news-sources").route(web::get().to(list_news_sources)).route(web::post().to(create_news_source)))
        .service(
            web::resource("/news-sources/{id}")
                .route(web::get().to(get_news_source))
                .route(web::put().to(replace_news_source))
                .route(web::patch().to(patch_news_source))
                .route(web::delete().to(delete_news_source)),
        )
        .service(web::resource("/news-sources/{id}/poll").route(web::post().to(poll_news_source)));
}
