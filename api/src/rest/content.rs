//! REST handlers for essays, analyses, blog posts, news links and `/content` (all kinds).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use crate::domain::{ContentKind, IdOrSlug};
use crate::error::{AppError, Problem};
use crate::listing::ListQuery;
use crate::rest::caller::Caller;
use crate::rest::read_only;
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
    let (page, embeds) = content::list(&state.db, &caller.principal, kind, &parsed.query).await?;
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

macro_rules! content_handlers {
    ($list:ident, $get:ident, $kind:expr, $list_path:literal, $get_path:literal, $tag:literal, $what:literal) => {
        #[doc = concat!("Lists ", $what, ".")]
        #[utoipa::path(get, path = $list_path, tag = $tag, params(ListParams),
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

content_handlers!(list_essays, get_essay, Some(ContentKind::Essay), "/api/v1/essays", "/api/v1/essays/{id_or_slug}", "essays", "essays");
content_handlers!(list_analyses, get_analysis, Some(ContentKind::StrategyAnalysis), "/api/v1/analyses", "/api/v1/analyses/{id_or_slug}", "analyses", "strategy analyses");
content_handlers!(list_blog_posts, get_blog_post, Some(ContentKind::BlogPost), "/api/v1/blog-posts", "/api/v1/blog-posts/{id_or_slug}", "blog-posts", "blog posts");
content_handlers!(list_news_links, get_news_link, Some(ContentKind::NewsLink), "/api/v1/news-links", "/api/v1/news-links/{id_or_slug}", "news-links", "news links");
content_handlers!(list_content, get_content, None, "/api/v1/content", "/api/v1/content/{id_or_slug}", "content", "content items of every kind");

/// Registers the content routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/essays", list_essays))
        .service(read_only("/essays/{id_or_slug}", get_essay))
        .service(read_only("/analyses", list_analyses))
        .service(read_only("/analyses/{id_or_slug}", get_analysis))
        .service(read_only("/blog-posts", list_blog_posts))
        .service(read_only("/blog-posts/{id_or_slug}", get_blog_post))
        .service(read_only("/news-links", list_news_links))
        .service(read_only("/news-links/{id_or_slug}", get_news_link))
        .service(read_only("/content", list_content))
        .service(read_only("/content/{id_or_slug}", get_content));
}
