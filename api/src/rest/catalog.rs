//! REST handlers for blogs, editors, sectors, tags and key questions.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::domain::IdOrSlug;
use crate::error::{AppError, Problem};
use crate::auth::principal::Caller;
use crate::policy::{Action, require};
use crate::rest::{body, crud_routes};
use crate::rest::response::written as written_record;
use crate::services::catalog::{self, CatalogEntry};
use crate::services::write::{Precondition, Written};
use actix_web::http::StatusCode;
use crate::rest::list_query::{ListParams, parse_item, parse_list};
use crate::rest::response::{self, range_header, sparse, to_value};
use crate::services::blogs::{self, BLOG_SPEC, BlogEmbeds, BlogInput, BlogRecord, Blogs};
use crate::services::editors::{self, EDITOR_SPEC, EditorEmbeds, EditorInput, EditorRecord, Editors};
use crate::services::taxonomy::{self, QUESTION_SPEC, QuestionInput, QuestionRecord, Questions, SECTOR_SPEC, SectorInput, SectorRecord, Sectors, TAG_SPEC, TagInput, TagRecord, Tags};
use crate::state::AppState;

fn key(raw: &str, resource: &'static str) -> Result<IdOrSlug, AppError> {
    IdOrSlug::parse(raw).ok_or(AppError::NotFound { resource })
}

fn present_editor(item: &EditorRecord, embeds: &EditorEmbeds, include: &[&str], fields: Option<&[&str]>) -> Result<Value, AppError> {
    let mut value = sparse(to_value(item)?, fields);
    if let (Value::Object(map), true) = (&mut value, include.contains(&"sectors")) {
        let sectors = item.sector_ids.iter().filter_map(|id| embeds.sectors.get(id)).map(to_value).collect::<Result<_, _>>()?;
        map.insert("sectors".into(), Value::Array(sectors));
    }
    Ok(value)
}

fn present_blog(item: &BlogRecord, embeds: &BlogEmbeds, include: &[&str], fields: Option<&[&str]>) -> Result<Value, AppError> {
    let mut value = sparse(to_value(item)?, fields);
    if let Value::Object(map) = &mut value {
        if include.contains(&"sector") {
            let sector = item.sector_id.and_then(|id| embeds.sectors.get(&id)).map(to_value).transpose()?;
            map.insert("sector".into(), sector.unwrap_or(Value::Null));
        }
        if include.contains(&"bloggers") {
            let bloggers = item.blogger_ids.iter().filter_map(|id| embeds.bloggers.get(id)).map(to_value).collect::<Result<_, _>>()?;
            map.insert("bloggers".into(), Value::Array(bloggers));
        }
    }
    Ok(value)
}

/// Lists blogs.
#[utoipa::path(get, path = "/api/v1/blogs", tag = "blogs", params(ListParams),
    responses((status = 200, description = "A page of blogs", body = [BlogRecord]),
              (status = 400, description = "Bad list parameters", body = Problem, content_type = "application/problem+json")))]
pub async fn list_blogs(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &BLOG_SPEC)?;
    let (page, embeds) = blogs::list(&state.db, &caller.principal, &parsed.query).await?;
    let items = page.items.iter()
        .map(|b| present_blog(b, &embeds, &parsed.query.include, parsed.query.fields.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    response::list(&req, &state, &caller.principal, BLOG_SPEC.name, &parsed, page.total, items)
}

/// Gets a blog by id or slug.
#[utoipa::path(get, path = "/api/v1/blogs/{id_or_slug}", tag = "blogs",
    params(("id_or_slug" = String, Path, description = "UUID or slug"),
           ("include" = Option<String>, Query, description = "Relations to embed, comma-separated"),
           ("fields" = Option<String>, Query, description = "Fields to return, comma-separated")),
    responses((status = 200, description = "The blog", body = BlogRecord),
              (status = 400, description = "Unknown parameter, include or field", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such blog", body = Problem, content_type = "application/problem+json")))]
pub async fn get_blog(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let params = parse_item(req.query_string(), &BLOG_SPEC)?;
    let (item, embeds) = blogs::get(&state.db, &caller.principal, &key(&path, "blog")?, &params.include).await?;
    let body = present_blog(&item, &embeds, &params.include, params.fields.as_deref())?;
    response::json(&req, &state, &caller.principal, &body, Vec::new())
}

/// Lists public editor profiles.
#[utoipa::path(get, path = "/api/v1/editors", tag = "editors", params(ListParams),
    responses((status = 200, description = "A page of editors", body = [EditorRecord]),
              (status = 400, description = "Bad list parameters", body = Problem, content_type = "application/problem+json")))]
pub async fn list_editors(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &EDITOR_SPEC)?;
    let (page, embeds) = editors::list(&state.db, &caller.principal, &parsed.query).await?;
    let items = page.items.iter()
        .map(|e| present_editor(e, &embeds, &parsed.query.include, parsed.query.fields.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    response::list(&req, &state, &caller.principal, EDITOR_SPEC.name, &parsed, page.total, items)
}

/// Gets a public editor profile by id or slug.
#[utoipa::path(get, path = "/api/v1/editors/{id_or_slug}", tag = "editors",
    params(("id_or_slug" = String, Path, description = "UUID or slug"),
           ("include" = Option<String>, Query, description = "Relations to embed, comma-separated"),
           ("fields" = Option<String>, Query, description = "Fields to return, comma-separated")),
    responses((status = 200, description = "The editor", body = EditorRecord),
              (status = 400, description = "Unknown parameter, include or field", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such public editor", body = Problem, content_type = "application/problem+json")))]
pub async fn get_editor(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let params = parse_item(req.query_string(), &EDITOR_SPEC)?;
    let (item, embeds) = editors::get(&state.db, &caller.principal, &key(&path, "editor")?, params.include.contains(&"sectors")).await?;
    let body = present_editor(&item, &embeds, &params.include, params.fields.as_deref())?;
    response::json(&req, &state, &caller.principal, &body, Vec::new())
}

macro_rules! taxonomy_handlers {
    ($list:ident, $get:ident, $spec:ident, $record:ty, $list_fn:path, $get_fn:path, $list_path:literal, $get_path:literal, $tag:literal, $what:literal) => {
        #[doc = concat!("Lists ", $what, ".")]
        #[utoipa::path(get, path = $list_path, tag = $tag, params(ListParams),
            responses((status = 200, description = concat!("A page of ", $what), body = [$record]),
                      (status = 400, description = "Bad list parameters", body = Problem, content_type = "application/problem+json")))]
        pub async fn $list(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
            let parsed = parse_list(req.query_string(), range_header(&req), &$spec)?;
            let page = $list_fn(&state.db, &parsed.query).await?;
            let items = page.items.iter()
                .map(|item| Ok(sparse(to_value(item)?, parsed.query.fields.as_deref())))
                .collect::<Result<Vec<_>, AppError>>()?;
            response::list(&req, &state, &caller.principal, $spec.name, &parsed, page.total, items)
        }

        #[doc = concat!("Gets one of the ", $what, " by id or slug.")]
        #[utoipa::path(get, path = $get_path, tag = $tag,
            params(("id_or_slug" = String, Path, description = "UUID or slug"),
                   ("fields" = Option<String>, Query, description = "Fields to return, comma-separated")),
            responses((status = 200, description = "Found", body = $record),
                      (status = 400, description = "Unknown parameter or field", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
        pub async fn $get(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
            let params = parse_item(req.query_string(), &$spec)?;
            let item = $get_fn(&state.db, &key(&path, $tag)?).await?;
            let body = sparse(to_value(&item)?, params.fields.as_deref());
            response::json(&req, &state, &caller.principal, &body, Vec::new())
        }
    };
}

taxonomy_handlers!(list_sectors, get_sector, SECTOR_SPEC, SectorRecord, taxonomy::list_sectors, taxonomy::get_sector, "/api/v1/sectors", "/api/v1/sectors/{id_or_slug}", "sectors", "sectors");
taxonomy_handlers!(list_tags, get_tag, TAG_SPEC, TagRecord, taxonomy::list_tags, taxonomy::get_tag, "/api/v1/tags", "/api/v1/tags/{id_or_slug}", "tags", "tags");
taxonomy_handlers!(list_questions, get_question, QUESTION_SPEC, QuestionRecord, taxonomy::list_questions, taxonomy::get_question, "/api/v1/questions", "/api/v1/questions/{id_or_slug}", "questions", "key questions");

macro_rules! catalog_writes {
    ($create:ident, $replace:ident, $patch:ident, $delete:ident, $entry:ty, $input:ty, $record:ty,
     $list_path:literal, $item_path:literal, $tag:literal, $what:literal) => {
        #[doc = concat!("Creates ", $what, ".")]
        #[utoipa::path(post, path = $list_path, tag = $tag, request_body = $input, security(("bearer" = [])),
            responses((status = 201, description = "Created", body = $record),
                      (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 409, description = "A unique value is taken", body = Problem, content_type = "application/problem+json"),
                      (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
        pub async fn $create(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            require(&caller.principal, <$entry>::RESOURCE, Action::Create)?;
            let sent = Written::Json(body::parse_object(&req, &bytes)?);
            let record = catalog::save::<$entry>(&state.db, &caller.principal, None, sent, Precondition::default()).await?;
            written_record(StatusCode::CREATED, &record, Some(format!("{}/{}", $list_path, record.id)))
        }

        #[doc = concat!("Replaces ", $what, " (`If-Match` or `version` guard against lost updates).")]
        #[utoipa::path(put, path = $item_path, tag = $tag, request_body = $input, security(("bearer" = [])),
            params(("id_or_slug" = String, Path, description = "UUID or slug")),
            responses((status = 200, description = "Stored", body = $record),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
                      (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json"),
                      (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
        pub async fn $replace(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            require(&caller.principal, <$entry>::RESOURCE, Action::Update)?;
            let key = key(&path, $tag)?;
            let sent = Written::Json(body::parse_object(&req, &bytes)?);
            let precondition = body::precondition(&req, false);
            let record = catalog::save::<$entry>(&state.db, &caller.principal, Some(&key), sent, precondition).await?;
            written_record(StatusCode::OK, &record, None)
        }

        #[doc = concat!("Merges changes into ", $what, " (RFC 7396; `If-Match` or `version` guard against lost updates).")]
        #[utoipa::path(patch, path = $item_path, tag = $tag, request_body(content = Object, content_type = "application/merge-patch+json"), security(("bearer" = [])),
            params(("id_or_slug" = String, Path, description = "UUID or slug")),
            responses((status = 200, description = "Stored", body = $record),
                      (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
                      (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json"),
                      (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
        pub async fn $patch(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
            require(&caller.principal, <$entry>::RESOURCE, Action::Update)?;
            let key = key(&path, $tag)?;
            let sent = Written::Patch(body::parse_object(&req, &bytes)?);
            let precondition = body::precondition(&req, false);
            let record = catalog::save::<$entry>(&state.db, &caller.principal, Some(&key), sent, precondition).await?;
            written_record(StatusCode::OK, &record, None)
        }

        #[doc = concat!("Deletes ", $what, " (409 while content depends on it).")]
        #[utoipa::path(delete, path = $item_path, tag = $tag, security(("bearer" = [])),
            params(("id_or_slug" = String, Path, description = "UUID or slug")),
            responses((status = 200, description = "Deleted", body = $record),
                      (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
                      (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
                      (status = 409, description = "Still in use", body = Problem, content_type = "application/problem+json"),
                      (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json")))]
        pub async fn $delete(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
            let key = key(&path, $tag)?;
            let precondition = body::precondition(&req, false);
            let record = catalog::delete::<$entry>(&state.db, &caller.principal, &key, precondition).await?;
            written_record(StatusCode::OK, &record, None)
        }
    };
}

catalog_writes!(create_blog, replace_blog, patch_blog, delete_blog, Blogs, BlogInput, BlogRecord, "/api/v1/blogs", "/api/v1/blogs/{id_or_slug}", "blogs", "a blog");
catalog_writes!(create_editor, replace_editor, patch_editor, delete_editor, Editors, EditorInput, EditorRecord, "/api/v1/editors", "/api/v1/editors/{id_or_slug}", "editors", "an editor profile");
catalog_writes!(create_sector, replace_sector, patch_sector, delete_sector, Sectors, SectorInput, SectorRecord, "/api/v1/sectors", "/api/v1/sectors/{id_or_slug}", "sectors", "a sector");
catalog_writes!(create_tag, replace_tag, patch_tag, delete_tag, Tags, TagInput, TagRecord, "/api/v1/tags", "/api/v1/tags/{id_or_slug}", "tags", "a tag");
catalog_writes!(create_question, replace_question, patch_question, delete_question, Questions, QuestionInput, QuestionRecord, "/api/v1/questions", "/api/v1/questions/{id_or_slug}", "questions", "a key question");

/// Registers the catalog routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud_routes!(cfg, "/blogs", list_blogs, get_blog, create_blog, replace_blog, patch_blog, delete_blog);
    crud_routes!(cfg, "/editors", list_editors, get_editor, create_editor, replace_editor, patch_editor, delete_editor);
    crud_routes!(cfg, "/sectors", list_sectors, get_sector, create_sector, replace_sector, patch_sector, delete_sector);
    crud_routes!(cfg, "/tags", list_tags, get_tag, create_tag, replace_tag, patch_tag, delete_tag);
    crud_routes!(cfg, "/questions", list_questions, get_question, create_question, replace_question, patch_question, delete_question);
}
