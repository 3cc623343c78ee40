//! The REST adapter (`/api/v1`): thin handlers over the services, and the OpenAPI document.

pub mod admin;
pub mod auth;
pub mod body;
pub mod catalog;
pub mod content;
pub mod feeds;
pub mod list_query;
pub mod news;
pub mod openapi;
pub mod response;
pub mod revisions;
pub mod search;
pub mod system;
pub mod webhooks;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::web;
use utoipa::OpenApi;

use crate::error::{AppError, problem_response};

/// The derived part of the OpenAPI 3.1 document (see [`openapi::document`] for the whole).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Organizing Upgrade content API",
        description = "Headless content API of Organizing Upgrade: essays, strategy analyses, blogs and news links over REST. Lists return a bare JSON array with X-Total-Count, Content-Range and Link headers; errors are RFC 9457 problem+json.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        content::list_essays, content::get_essay,
        content::list_analyses, content::get_analysis,
        content::list_blog_posts, content::get_blog_post,
        content::list_news_links, content::get_news_link,
        content::list_content, content::get_content,
        content::create_essay, content::replace_essay, content::patch_essay, content::delete_essay, content::act_on_essay, content::revisions_of_essay, content::restore_essay_revision,
        content::create_analysis, content::replace_analysis, content::patch_analysis, content::delete_analysis, content::act_on_analysis, content::revisions_of_analysis, content::restore_analysis_revision,
        content::create_blog_post, content::replace_blog_post, content::patch_blog_post, content::delete_blog_post, content::act_on_blog_post, content::revisions_of_blog_post, content::restore_blog_post_revision,
        content::create_news_link, content::replace_news_link, content::patch_news_link, content::delete_news_link, content::act_on_news_link, content::revisions_of_news_link, content::restore_news_link_revision,
        catalog::list_blogs, catalog::get_blog,
        catalog::list_editors, catalog::get_editor,
        catalog::list_sectors, catalog::get_sector,
        catalog::list_tags, catalog::get_tag,
        catalog::list_questions, catalog::get_question,
        catalog::create_blog, catalog::replace_blog, catalog::patch_blog, catalog::delete_blog,
        catalog::create_editor, catalog::replace_editor, catalog::patch_editor, catalog::delete_editor,
        catalog::create_sector, catalog::replace_sector, catalog::patch_sector, catalog::delete_sector,
        catalog::create_tag, catalog::replace_tag, catalog::patch_tag, catalog::delete_tag,
        catalog::create_question, catalog::replace_question, catalog::patch_question, catalog::delete_question,
        system::healthz, system::readyz, system::metrics,
        auth::login, auth::refresh, auth::logout, auth::logout_all, auth::me, auth::change_password,
        admin::list_users, admin::get_user, admin::create_user, admin::update_user, admin::patch_user, admin::delete_user,
        admin::list_roles, admin::get_role, admin::create_role, admin::update_role, admin::patch_role, admin::delete_role,
        admin::list_api_keys, admin::get_api_key, admin::create_api_key, admin::revoke_api_key,
        admin::list_audit_log,
        revisions::get_revision, revisions::diff_revision,
        webhooks::list_webhooks, webhooks::get_webhook, webhooks::create_webhook, webhooks::replace_webhook, webhooks::patch_webhook, webhooks::delete_webhook,
        webhooks::rotate_webhook_secret, webhooks::ping_webhook, webhooks::replay_webhook, webhooks::list_deliveries, webhooks::get_delivery, webhooks::redeliver,
        webhooks::sync,
        search::search,
        news::list_news_sources, news::get_news_source, news::create_news_source, news::replace_news_source, news::patch_news_source, news::delete_news_source, news::poll_news_source,
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::Problem, crate::domain::ContentKind)),
    tags(
        (name = "essays", description = "Feature essays"),
        (name = "analyses", description = "Strategy analyses"),
        (name = "blog-posts", description = "Posts on the blogs"),
        (name = "news-links", description = "Aggregated news"),
        (name = "content", description = "Every kind of content, read-only"),
        (name = "blogs"), (name = "editors", description = "Public team profiles"),
        (name = "sectors"), (name = "tags"), (name = "questions", description = "The key questions"),
        (name = "system", description = "Health, readiness and metrics"),
        (name = "auth", description = "Sign in, tokens, the caller's account"),
        (name = "users"), (name = "roles"), (name = "api-keys"), (name = "audit-log"),
        (name = "revisions", description = "Saved versions of content items"),
        (name = "webhooks", description = "Signed event deliveries to other systems (admins)"),
        (name = "sync", description = "Initial download and deltas for mobile apps"),
        (name = "search", description = "Ranked full-text search across kinds"),
        (name = "news-sources", description = "Feeds polled for new stories, drafted as news links (collectors, editors)"),
    )
)]
pub struct ApiDoc;

/// Declares the two ways to authenticate: a bearer token (JWT or API key) and `X-Api-Key`.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from /api/v1/auth/login, or an API key"))
                    .build(),
            ),
        );
        components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
    }
}

/// A path that answers GET (and HEAD) only; other methods get a 405 problem with `Allow`.
pub fn read_only<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    with_methods(readable(path, handler), "GET, HEAD, OPTIONS")
}

/// A resource answering GET and HEAD with `handler`; add other routes and then [`with_methods`].
pub fn readable<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path).route(web::get().to(handler.clone())).route(web::head().to(handler))
}

/// Adds `OPTIONS` and a 405 problem naming `allow` to a resource (add its routes after this).
pub fn with_methods(resource: actix_web::Resource, allow: &'static str) -> actix_web::Resource {
    resource
        .route(web::method(actix_web::http::Method::OPTIONS).to(move || async move {
            actix_web::HttpResponse::NoContent().insert_header((header::ALLOW, allow)).finish()
        }))
        .default_service(web::to(move || async move {
            let mut response = actix_web::ResponseError::error_response(&AppError::MethodNotAllowed);
            response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
            response
        }))
}

/// Registers a collection (`GET`/`POST` on `$base`) and its items (`GET`/`PUT`/`PATCH`/`DELETE`
/// on `$base/{id_or_slug}`), with `OPTIONS` and 405 answers naming the methods.
macro_rules! crud_routes {
    ($cfg:ident, $base:literal, $list:ident, $get:ident, $create:ident, $replace:ident, $patch:ident, $delete:ident) => {
        $cfg.service($crate::rest::with_methods(
            $crate::rest::readable($base, $list).route(actix_web::web::post().to($create)),
            "GET, HEAD, POST, OPTIONS",
        ))
        .service($crate::rest::with_methods(
            $crate::rest::readable(concat!($base, "/{id_or_slug}"), $get)
                .route(actix_web::web::put().to($replace))
                .route(actix_web::web::patch().to($patch))
                .route(actix_web::web::delete().to($delete)),
            "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
        ))
    };
}
pub(crate) use crud_routes;

/// Registers `/api/v1` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(auth::configure)
            .configure(admin::configure)
            .configure(revisions::configure)
            .configure(content::configure)
            .configure(catalog::configure)
            .configure(webhooks::configure)
            .configure(search::configure)
            .configure(news::configure),
    );
}

/// Refuses a path or query that holds a NUL character before any handler reads it (see
/// [`crate::domain::holds_nul`]): one check for every parameter of every route.
pub async fn refuse_nul(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let query_holds_nul = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .is_ok_and(|pairs| pairs.iter().any(|(key, value)| crate::domain::holds_nul(key) || crate::domain::holds_nul(value)));
    if req.path().contains("%00") || query_holds_nul {
        return Err(AppError::bad_request("nul_character", "the path and the query must not contain the NUL character").into());
    }
    next.call(req).await
}

/// Turns any error response without a problem body (actix's own 404/405/413…) into problem+json.
pub fn problem_for_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    // A GraphQL answer refused as a whole (429) carries its errors in GraphQL's own shape.
    let is_graphql = res.request().path() == "/graphql"
        && res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_problem || is_graphql {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, original) = res.into_parts();
    let mut response = match status {
        StatusCode::NOT_FOUND => actix_web::ResponseError::error_response(&AppError::RouteNotFound { path: req.path().to_owned() }),
        StatusCode::METHOD_NOT_ALLOWED => actix_web::ResponseError::error_response(&AppError::MethodNotAllowed),
        s if s.is_server_error() => problem_response(s, "internal_error", "the server could not complete the request"),
        s => {
            let code = s.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "_");
            problem_response(s, &code, s.canonical_reason().unwrap_or("request refused"))
        }
    };
    // Keep what outer layers added (CORS, Allow), but not the old body's type and length.
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}
