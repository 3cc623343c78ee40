//! REST handlers for essays, analyses, blog posts, news links and `/content` (all kinds).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use crate::domain::{ContentKind, IdOrSlug};
use crate::error::{AppError, Problem};
use crate::listing::ListQuery;
use crate::auth::principal::Caller;
use crate::policy::{Action, Resource, require};
use crate::rest::{body, crud_routes, read_only};
use crate::rest::response::written;
use crate::services::content::{ContentInput, Transition};
use crate::services::write::{Precondition, Written};
use crate::services::revisions::{self, RevisionRecord};
use actix_web::http::StatusCode;
use uuid::Uuid;
use crate::rest::list_query::{ListParams, parse_item, parse_list};
use crate::rest::response::{self, range_header, sparse, to_value};
use crate::services::content::{self, ContentEmbeds, ContentLookup, ContentRecord};
use crate::state::AppState;

/// An item as JSON with the embeds `include` asked for, trimmed to `fields`.
fn present(item: &ContentRecord, embeds: &ContentEmbeds, include: &[&str], fields: Option<&[&str]>) -> Result<Value, AppError> {
    let mut value = sparse(to_value(item)?, fields);
    if let Value::Object(map) = &mut value {
        embed(map, item, embeds, include)?;
    }
    Ok(value)
}

fn embed(map: &mut Map<String, Value>, item: &ContentRecord, embeds: &ContentEmbeds, include: &[&str]) -> Result<(), AppError> {
    for relation in include {
        let value = match *relation {
            "authors" => Value::Array(item.author_ids.iter().filter_map(|id| embeds.authors.get(id)).map(to_value).collect::<Result<_, _>>()?),
            "sectors" => Value::Array(item.sector_ids.iter().filter_map(|id| embeds.sectors.get(id)).map(to_value).collect::<Result<_, _>>()?),
            "tags" => Value::Array(item.tag_ids.iter().filter_map(|id| embeds.tags.get(id)).map(to_value).collect::<Result<_, _>>()?),
            "blog" => item.blog_id().and_then(|id| embeds.blogs.get(&id)).map(to_value).transpose()?.unwrap_or(Value::Null),
            "question" => item.question_id().and_then(|id| embeds.questions.get(&id)).map(to_value).transpose()?.unwrap_or(Value::Null),
            _ => continue,
        };
        map.insert((*relation).to_owned(), value);
    }
    Ok(())
}

async fn list(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: Option<ContentKind>) -> Result<HttpResponse, AppError> {
    let spec = content::spec(kind);
    let parsed = parse_list(req.query_string(), range_header(&req), spec)?;
    let (page, embeds) = content::list(&state.db, &caller.principal, kind, &parsed.query, Some(&state.counts)).await?;
    let ListQuery { include, fields, .. } = &parsed.query;
    let items = page
        .items
        .iter()
        .map(|item| present(item, &embeds, include, fields.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    response::list(&req, &state, &caller.principal, spec.name, &parsed, page.total, items)
}

async fn get(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: Option<ContentKind>, key: &str) -> Result<HttpResponse, AppError> {
    let spec = content::spec(kind);
    let params = parse_item(req.query_string(), spec)?;
    let key = IdOrSlug::parse(key).ok_or(AppError::NotFound { resource: "content item" })?;
    match content::get(&state.db, &caller.principal, kind, &key, &params.include).await? {
        ContentLookup::Found(item, embeds) => {
            let body = present(&item, &embeds, &params.include, params.fields.as_deref())?;
            response::json(&req, &state, &caller.principal, &body, Vec::new())
        }
        ContentLookup::Moved { slug } => {
            let collection = kind.map_or("content", ContentKind::collection);
            let mut location = format!("/api/v1/{collection}/{slug}");
            if !req.query_string().is_empty() {
                location = format!("{location}?{}", req.query_string());
            }
            let cache = if caller.principal.is_public() {
                format!("public, max-age={}", state.settings.cache_max_age)
            } else {
                "private, no-store".to_owned()
            };
            Ok(HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, location))
                .insert_header((header::CACHE_CONTROL, cache))
                .finish())
        }
    }
}

fn item_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::try_parse(raw).map_err(|_| AppError::NotFound { resource: "content item" })
}

fn item_location(kind: ContentKind, record: &ContentRecord) -> String {
    format!("/api/v1/{}/{}", kind.collection(), record.id)
}

/// Refuses callers who may not do `action` on this kind at all, before reading their body.
fn may(caller: &Caller, kind: ContentKind, action: Action) -> Result<(), AppError> {
    require(&caller.principal, Resource::for_kind(kind), action).map(|_| ())
}

async fn create(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: ContentKind, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    may(&caller, kind, Action::Create)?;
    let record = content::create(&state.db, &caller.principal, kind, Written::Json(body::parse_object(&req, &bytes)?)).await?;
    written(StatusCode::CREATED, &record, Some(item_location(kind, &record)))
}

async fn replace(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: ContentKind, id: &str, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    may(&caller, kind, Action::Update)?;
    let id = item_id(id)?;
    let sent = Written::Json(body::parse_object(&req, &bytes)?);
    let precondition = body::precondition(&req, state.settings.require_preconditions);
    let record = content::update(&state.db, &caller.principal, kind, id, sent, precondition).await?;
    written(StatusCode::OK, &record, None)
}

async fn patch(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: ContentKind, id: &str, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    may(&caller, kind, Action::Update)?;
    let id = item_id(id)?;
    let sent = Written::Patch(body::parse_object(&req, &bytes)?);
    let precondition = body::precondition(&req, state.settings.require_preconditions);
    let record = content::update(&state.db, &caller.principal, kind, id, sent, precondition).await?;
    written(StatusCode::OK, &record, None)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteParams {
    #[serde(default)]
    purge: bool,
}

async fn delete(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: ContentKind, id: &str) -> Result<HttpResponse, AppError> {
    let id = item_id(id)?;
    // The body, if any, is ignored: admin UIs send text/plain or JSON bodies with DELETE.
    let params: DeleteParams = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| AppError::bad_request("unknown_parameter", "DELETE accepts only `purge=true`"))?;
    let record = if params.purge {
        content::purge(&state.db, &caller.principal, kind, id).await?
    } else {
        content::trash(&state.db, &caller.principal, kind, id, body::precondition(&req, false)).await?
    };
    written(StatusCode::OK, &record, None)
}

/// The body of a workflow action: all optional.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// When to publish (`schedule` only).
    #[serde(default)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// The version the client last saw.
    #[serde(default)]
    pub version: Option<i32>,
}

async fn act(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: ContentKind, id: &str, action: &str, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let transition = Transition::parse(action);
    match (action, transition) {
        ("restore", _) => may(&caller, kind, Action::Restore)?,
        (_, Some(t)) => may(&caller, kind, t.action())?,
        _ => return Err(AppError::RouteNotFound { path: req.path().to_owned() }),
    }
    let id = item_id(id)?;
    let input: ActionInput = if bytes.iter().all(u8::is_ascii_whitespace) { ActionInput::default() } else { body::parse(&req, &bytes)? };
    let record = if action == "restore" {
        content::restore(&state.db, &caller.principal, kind, id).await?
    } else {
        let transition = transition.ok_or(AppError::RouteNotFound { path: req.path().to_owned() })?;
        let precondition = Precondition { version: input.version, ..body::precondition(&req, state.settings.require_preconditions) };
        content::transition(&state.db, &caller.principal, kind, id, transition, input.at, precondition).await?
    };
    written(StatusCode::OK, &record, None)
}

async fn revisions(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: ContentKind, id: &str) -> Result<HttpResponse, AppError> {
    let list = revisions::list(&state.db, &caller.principal, kind, item_id(id)?).await?;
    let total = list.len().to_string();
    response::json(&req, &state, &caller.principal, &to_value(&list)?, vec![(header::HeaderName::from_static("x-total-count"), total)])
}

async fn restore_revision(req: HttpRequest, state: web::Data<AppState>, caller: Caller, kind: ContentKind, id: &str, revision: &str, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    may(&caller, kind, Action::Restore)?;
    let id = item_id(id)?;
    let revision = Uuid::try_parse(revision).map_err(|_| AppError::NotFound { resource: "revision" })?;
    let input: ActionInput = if bytes.iter().all(u8::is_ascii_whitespace) { ActionInput::default() } else { body::parse(&req, &bytes)? };
    let precondition = Precondition { version: input.version, ..body::precondition(&req, state.settings.require_preconditions) };
    let record = content::restore_revision(&state.db, &caller.principal, kind, id, revision, precondition).await?;
    written(StatusCode::OK, &record, None)
}

macro_rules! content_handlers {
    ($list:ident, $get:ident, $kind:expr, $list_path:literal, $get_path:literal, $tag:literal, $what:literal) => {
        #[doc = concat!("Lists ", $what, ".")]
        #[utoipa::path(get, path = $list_path, tag = $tag,
            params(ListParams, ("q" = Option<String>, Query, description = "Full-text search (see /api/v1/search for the grammar); by relevance unless `sort` is given")),
            responses(
                (status = 200, description = concat!("A page of ", $what, " (bare array; total in X-Total-Count)"), body = [ContentRecord],
                    headers(("X-Total-Count" = u64, description = "Items matching over all pages"),
                            ("Content-Range" = String, description = "e.g. `essays 0-19/314`"),
                            ("Link" = String, description = "RFC 8288 first/prev/next/last"),
                            ("ETag" = String, description = "Entity tag of the body"))),
                (status = 304, description = "Not modified (If-None-Match)"),
                (status = 400, description = "Bad list parameters", body = Problem, content_type = "application/problem+json")))]
        pub async fn $list(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
            list(req, state, caller, $kind).await
        }

        #[doc = concat!("Gets one of the ", $what, " by id or slug.")]
        #[utoipa::path(get, path = $get_path, tag = $tag,
            params(("id_or_slug" = String, Path, description = "UUID or slug"),
                   ("include" = Option<String>, Query, description = "Relations to embed, comma-separated"),
                   ("fields" = Option<String>, Query, description = "Fields to return, comma-separated")),
            responses(
                (status = 200, description = "The item", body = ContentRecord),
                (status = 301, description = "A former slug: Location names the current one"),
                (status = 304, description = "Not modified (If-None-Match)"),
                (status = 400, description = "Unknown parameter, include or field", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such readable item", body = Problem, content_type = "application/problem+json")))]
        pub async fn $get(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
            get(req, state, caller, $kind, &path).await
        }
    };
}

macro_rules! content_write_handlers {
    ($create:ident, $replace:ident, $patch:ident, $delete:ident, $act:ident, $revisions:ident, $restore:ident, $kind:expr,
     $list_path:literal, $item_path:literal, $action_path:literal, $revisions_path:literal, $restore_path:literal, $tag:literal) => {
        #[doc = concat!("The revisions of an item in ", $tag, ", oldest first.")]
        #[utoipa::path(get, path = $revisions_path, tag = $tag, security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "Item id")),
            responses((status = 200, description = "Revisions (without snapshots)", body = [RevisionRecord]),
                      (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json")))]
        pub async fn $revisions(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
            revisions(req, state, caller, $kind, &path).await
        }

        #[doc = concat!("Makes a new version of an item in ", $tag, " from one of its revisions.")]
        #[utoipa::path(post, path = $restore_path, tag = $tag, request_body(content = ActionInput, description = "Optional `version`"), security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "Item id"), ("revision" = uuid::Uuid, Path, description = "Revision id")),
            responses((status = 200, description = "The item at its new version", body = ContentRecord),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "No such item or revision", body = Problem, content_type = "application/problem+json"),
                      (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
                      (status = 428, description = "No If-Match or version", body = Problem, content_type = "application/problem+json")))]
        pub async fn $restore(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<(String, String)>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            let (id, revision) = path.into_inner();
            restore_revision(req, state, caller, $kind, &id, &revision, bytes).await
        }

        #[doc = concat!("Creates a draft in ", $tag, ".")]
        #[utoipa::path(post, path = $list_path, tag = $tag, request_body = ContentInput, security(("bearer" = [])),
            responses((status = 201, description = "Created (a draft)", body = ContentRecord),
                      (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
        pub async fn $create(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            create(req, state, caller, $kind, bytes).await
        }

        #[doc = concat!("Replaces an item in ", $tag, " (send `If-Match` or `version`).")]
        #[utoipa::path(put, path = $item_path, tag = $tag, request_body = ContentInput, security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "Item id")),
            responses((status = 200, description = "Stored", body = ContentRecord),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
                      (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
                      (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
        pub async fn $replace(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            replace(req, state, caller, $kind, &path, bytes).await
        }

        #[doc = concat!("Merges changes into an item in ", $tag, " (RFC 7396).")]
        #[utoipa::path(patch, path = $item_path, tag = $tag, request_body(content = Object, content_type = "application/merge-patch+json"), security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "Item id")),
            responses((status = 200, description = "Stored", body = ContentRecord),
                      (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
                      (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
                      (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
        pub async fn $patch(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            patch(req, state, caller, $kind, &path, bytes).await
        }

        #[doc = concat!("Moves an item in ", $tag, " to the trash (`?purge=true` deletes a trashed item for good).")]
        #[utoipa::path(delete, path = $item_path, tag = $tag, security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "Item id"), ("purge" = Option<bool>, Query, description = "Delete a trashed item for good")),
            responses((status = 200, description = "The trashed (or purged) item", body = ContentRecord),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json")))]
        pub async fn $delete(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
            delete(req, state, caller, $kind, &path).await
        }

        #[doc = concat!("Workflow action on an item in ", $tag, ": submit, publish, schedule, unpublish, archive, restore.")]
        #[utoipa::path(post, path = $action_path, tag = $tag, request_body(content = ActionInput, description = "Optional; `at` for schedule"), security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "Item id"),
                   ("action" = String, Path, description = "submit, publish, schedule, unpublish, archive or restore")),
            responses((status = 200, description = "The item after the action", body = ContentRecord),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
                      (status = 409, description = "Not possible from the current state", body = Problem, content_type = "application/problem+json")))]
        pub async fn $act(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<(String, String)>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            let (id, action) = path.into_inner();
            act(req, state, caller, $kind, &id, &action, bytes).await
        }
    };
}

content_write_handlers!(create_essay, replace_essay, patch_essay, delete_essay, act_on_essay, revisions_of_essay, restore_essay_revision, ContentKind::Essay, "/api/v1/essays", "/api/v1/essays/{id}", "/api/v1/essays/{id}/{action}", "/api/v1/essays/{id}/revisions", "/api/v1/essays/{id}/revisions/{revision}/restore", "essays");
content_write_handlers!(create_analysis, replace_analysis, patch_analysis, delete_analysis, act_on_analysis, revisions_of_analysis, restore_analysis_revision, ContentKind::StrategyAnalysis, "/api/v1/analyses", "/api/v1/analyses/{id}", "/api/v1/analyses/{id}/{action}", "/api/v1/analyses/{id}/revisions", "/api/v1/analyses/{id}/revisions/{revision}/restore", "analyses");
content_write_handlers!(create_blog_post, replace_blog_post, patch_blog_post, delete_blog_post, act_on_blog_post, revisions_of_blog_post, restore_blog_post_revision, ContentKind::BlogPost, "/api/v1/blog-posts", "/api/v1/blog-posts/{id}", "/api/v1/blog-posts/{id}/{action}", "/api/v1/blog-posts/{id}/revisions", "/api/v1/blog-posts/{id}/revisions/{revision}/restore", "blog-posts");
content_write_handlers!(create_news_link, replace_news_link, patch_news_link, delete_news_link, act_on_news_link, revisions_of_news_link, restore_news_link_revision, ContentKind::NewsLink, "/api/v1/news-links", "/api/v1/news-links/{id}", "/api/v1/news-links/{id}/{action}", "/api/v1/news-links/{id}/revisions", "/api/v1/news-links/{id}/revisions/{revision}/restore", "news-links");

content_handlers!(list_essays, get_essay, Some(ContentKind::Essay), "/api/v1/essays", "/api/v1/essays/{id_or_slug}", "essays", "essays");
content_handlers!(list_analyses, get_analysis, Some(ContentKind::StrategyAnalysis), "/api/v1/analyses", "/api/v1/analyses/{id_or_slug}", "analyses", "strategy analyses");
content_handlers!(list_blog_posts, get_blog_post, Some(ContentKind::BlogPost), "/api/v1/blog-posts", "/api/v1/blog-posts/{id_or_slug}", "blog-posts", "blog posts");
content_handlers!(list_news_links, get_news_link, Some(ContentKind::NewsLink), "/api/v1/news-links", "/api/v1/news-links/{id_or_slug}", "news-links", "news links");
content_handlers!(list_content, get_content, None, "/api/v1/content", "/api/v1/content/{id_or_slug}", "content", "content items of every kind");

macro_rules! writable_routes {
    ($cfg:ident, $base:literal, $list:ident, $get:ident, $create:ident, $replace:ident, $patch:ident, $delete:ident, $act:ident, $revisions:ident, $restore:ident) => {
        crud_routes!($cfg, $base, $list, $get, $create, $replace, $patch, $delete)
            .service(read_only(concat!($base, "/{id}/revisions"), $revisions))
            .service(web::resource(concat!($base, "/{id}/revisions/{revision}/restore")).route(web::post().to($restore)))
            .service(web::resource(concat!($base, "/{id}/{action}")).route(web::post().to($act)));
    };
}

/// Registers the content routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    writable_routes!(cfg, "/essays", list_essays, get_essay, create_essay, replace_essay, patch_essay, delete_essay, act_on_essay, revisions_of_essay, restore_essay_revision);
    writable_routes!(cfg, "/analyses", list_analyses, get_analysis, create_analysis, replace_analysis, patch_analysis, delete_analysis, act_on_analysis, revisions_of_analysis, restore_analysis_revision);
    writable_routes!(cfg, "/blog-posts", list_blog_posts, get_blog_post, create_blog_post, replace_blog_post, patch_blog_post, delete_blog_post, act_on_blog_post, revisions_of_blog_post, restore_blog_post_revision);
    writable_routes!(cfg, "/news-links", list_news_links, get_news_link, create_news_link, replace_news_link, patch_news_link, delete_news_link, act_on_news_link, revisions_of_news_link, restore_news_link_revision);
    cfg.service(read_only("/content", list_content))
        .service(read_only("/content/{id_or_slug}", get_content));
}
