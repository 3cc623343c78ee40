//! The GraphQL adapter (`/graphql`): schema, resolvers and loaders over the same services and
//! policy as REST.

pub mod cost;
mod errors;
pub mod graphiql;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod search;
pub mod types;

use actix_web::http::header;
use actix_web::web;
use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};
use async_graphql::{EmptySubscription, Schema};
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};

use crate::graphql::errors::ToGraphql;
use crate::graphql::loaders::Loaders;
use crate::graphql::mutation::{MutationRoot, SessionFamily};
use crate::graphql::query::QueryRoot;
use crate::auth::principal::{Caller, client_info};
use crate::state::AppState;

/// The schema type.
pub type OuSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Persisted queries remembered per node (clients resend the text when a node does not know it).
const PERSISTED_QUERIES: usize = 1024;

/// The schema twice over, with the limits of [`limits`]: one for data queries, one for queries
/// that read only the schema. Both answer from the same resolvers; each keeps its own persisted
/// queries, so a hash the data schema does not know is resent as text and classified again.
#[derive(Clone)]
pub struct Schemas {
    data: OuSchema,
    schema_only: OuSchema,
}

/// Builds both schemas (over-limit queries are refused before any database work), with automatic
/// persisted queries so `GET` queries can be cached by hash.
pub fn build_schemas(introspection: bool) -> Schemas {
    let build = |depth: usize| {
        let builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
            .limit_depth(depth)
            .limit_complexity(limits::MAX_COMPLEXITY)
            .limit_recursive_depth(32)
            .limit_directives(20)
            .extension(ApolloPersistedQueries::new(LruCacheStorage::new(PERSISTED_QUERIES)))
            .extension(cost::CostLimit);
        if introspection { builder.finish() } else { builder.disable_introspection().finish() }
    };
    Schemas { data: build(limits::MAX_DEPTH), schema_only: build(limits::MAX_INTROSPECTION_DEPTH) }
}

/// What `__schema { description }` answers: async-graphql gives every schema this fixed text.
const SCHEMA_DESCRIPTION: &str = "A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available types and directives on the server, as well as the entry points for query, mutation, and subscription operations.";

/// The schema in SDL, as kept in `schema.graphql`: what introspection shows, `@specifiedBy` and
/// the schema's description included, so a client schema built from either is the same.
pub fn sdl() -> String {
    let sdl = build_schemas(true).data.sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by());
    sdl.replacen("\nschema {", &format!("\n\"\"\"\n{SCHEMA_DESCRIPTION}\n\"\"\"\nschema {{"), 1)
}

/// Runs a query or mutation (POST).
pub async fn execute(req: actix_web::HttpRequest, state: web::Data<AppState>, schemas: web::Data<Schemas>, caller: Caller, request: GraphQLRequest) -> actix_web::HttpResponse {
    run(&req, &state, &schemas, caller, request.into_inner(), Method::Post).await
}

/// Runs a query from the URL (GET); mutations are refused, so GETs stay safe to cache.
pub async fn execute_get(req: actix_web::HttpRequest, state: web::Data<AppState>, schemas: web::Data<Schemas>, caller: Caller, request: GraphQLRequest) -> actix_web::HttpResponse {
    run(&req, &state, &schemas, caller, request.into_inner(), Method::Get).await
}

/// How the request came.
#[derive(PartialEq)]
enum Method {
    Get,
    Post,
}

fn refuse(error: crate::error::AppError) -> GraphQLResponse {
    async_graphql::Response::from_errors(vec![error.to_graphql().into_server_error(async_graphql::Pos::default())]).into()
}

async fn run(req: &actix_web::HttpRequest, state: &AppState, schemas: &Schemas, caller: Caller, request: async_graphql::Request, method: Method) -> actix_web::HttpResponse {
    use actix_web::Responder;
    let charged = cost::Charged::default();
    // A successful query from the URL by a public caller may be cached like a public REST read.
    let cacheable = method == Method::Get && caller.principal.is_public();
    let response = answer(req, state, schemas, caller, request, method, charged.clone()).await;
    let cacheable = cacheable && response.0.is_ok();
    let decision = charged.decision();
    let mut http = match decision.as_ref().and_then(crate::rate_limit::Decision::refusal) {
        Some(refused) => {
            let mut http = actix_web::HttpResponse::TooManyRequests();
            if let crate::error::AppError::TooManyRequests { retry_after } = refused {
                http.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            http.insert_header((header::CACHE_CONTROL, "no-store")).json(&response.0)
        }
        None => response.respond_to(req).map_into_boxed_body(),
    };
    if cacheable && !http.headers().contains_key(header::CACHE_CONTROL) {
        http = public_answer(req, state, http);
    }
    if let Some(decision) = decision {
        decision.annotate(http.headers_mut());
    }
    http
}

/// Marks an answer public and tags it, answering `304` when the client's copy is current: a
/// query from the URL is a read like any other.
fn public_answer(req: &actix_web::HttpRequest, state: &AppState, http: actix_web::HttpResponse) -> actix_web::HttpResponse {
    let (mut head, body) = http.into_parts();
    let bytes = match actix_web::body::MessageBody::try_into_bytes(body) {
        Ok(bytes) => bytes,
        Err(body) => return head.set_body(body),
    };
    let etag = crate::etag::of_bytes(&bytes);
    let current = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| crate::etag::matches(v, &etag));
    let headers = head.headers_mut();
    // Shared caches must not give the public's answer to a caller with credentials.
    let marks = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, format!("public, max-age={}", state.settings.cache_max_age)),
        (header::VARY, "Authorization, X-Api-Key".to_owned()),
    ];
    for (name, value) in marks {
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if current {
        let mut not_modified = actix_web::HttpResponse::NotModified().finish();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = head.headers().get(&name).cloned() {
                not_modified.headers_mut().insert(name, value);
            }
        }
        return not_modified;
    }
    head.set_body(actix_web::body::BoxBody::new(bytes))
}

/// The GraphQL answer itself.
async fn answer(req: &actix_web::HttpRequest, state: &AppState, schemas: &Schemas, caller: Caller, request: async_graphql::Request, method: Method, charged: cost::Charged) -> GraphQLResponse {
    let variables = serde_json::to_value(&request.variables).unwrap_or_default();
    if crate::domain::holds_nul(&request.query) || crate::domain::nul_in(&variables).is_some() {
        return refuse(crate::error::AppError::bad_request("nul_character", "the query and its variables must not contain the NUL character"));
    }
    let schema = match limits::classify(&request.query, request.operation_name.as_deref()) {
        limits::Operation::Mutation if method == Method::Get => {
            return refuse(crate::error::AppError::bad_request("mutation_over_get", "mutations must be sent with POST"));
        }
        limits::Operation::SchemaOnly { nested_lists } if nested_lists > limits::MAX_INTROSPECTION_LISTS => {
            let detail = format!("an introspection query may nest at most {} lists of types, fields or arguments", limits::MAX_INTROSPECTION_LISTS);
            return refuse(crate::error::AppError::bad_request("query_too_complex", detail));
        }
        limits::Operation::SchemaOnly { .. } => &schemas.schema_only,
        _ => &schemas.data,
    };
    let loaders = Loaders::new(state.db.clone(), caller.principal.clone());
    let client = client_info(req);
    let request = request
        .data(state.clone())
        .data(caller.principal)
        .data(SessionFamily(caller.family))
        .data(client)
        .data(loaders)
        .data(state.rate_limits.clone())
        .data(charged);
    let request = match actix_web::HttpMessage::extensions(req).get::<crate::rate_limit::RateKeys>().cloned() {
        Some(keys) => request.data(keys),
        None => request,
    };
    schema.execute(request).await.into()
}

/// Registers `/graphql`, answered from `schemas`.
pub fn configure(cfg: &mut web::ServiceConfig, schemas: Schemas) {
    cfg.service(
        web::resource("/graphql")
            .app_data(web::Data::new(schemas))
            .route(web::post().to(execute))
            .route(web::get().guard(actix_web::guard::fn_guard(|ctx| {
                let accepts_html = ctx.head().headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
                accepts_html && !ctx.head().uri.query().is_some_and(|q| q.contains("query="))
            })).to(graphiql::page))
            .route(web::get().to(execute_get)),
    )
    .service(
        web::resource(format!("{}/{{name}}", graphiql::ASSETS_PATH))
            .route(web::get().to(graphiql::asset))
            .route(web::head().to(graphiql::asset)),
    );
}
