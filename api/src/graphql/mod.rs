//! The GraphQL adapter (`/graphql`): schema, resolvers and loaders over the same services and
//! policy as REST.

pub mod loaders;
pub mod mutation;
pub mod query;
pub mod types;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};
use async_graphql::{EmptySubscription, Schema};
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};

use crate::graphql::loaders::Loaders;
use crate::graphql::mutation::{MutationRoot, SessionFamily};
use crate::graphql::query::QueryRoot;
use crate::services::sessions::ClientInfo;
use crate::rest::caller::Caller;
use crate::state::AppState;

/// The schema type.
pub type OuSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted (each field counts one, lists by their page size).
pub const MAX_COMPLEXITY: usize = 5000;

/// Persisted queries remembered per node (clients resend the text when a node does not know it).
const PERSISTED_QUERIES: usize = 1024;

/// Builds the schema with its limits (over-limit queries are refused before any database work)
/// and automatic persisted queries, so `GET` queries can be cached by hash.
pub fn build_schema(introspection: bool) -> OuSchema {
    let builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(20)
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(PERSISTED_QUERIES)));
    if introspection { builder.finish() } else { builder.disable_introspection().finish() }
}

/// The schema in SDL, as kept in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(true).sdl()
}

/// Runs a query or mutation (POST).
pub async fn execute(req: actix_web::HttpRequest, state: web::Data<AppState>, caller: Caller, request: GraphQLRequest) -> GraphQLResponse {
    run(&req, &state, caller, request.into_inner()).await
}

/// Runs a query from the URL (GET); mutations are refused, so GETs stay safe to cache.
pub async fn execute_get(req: actix_web::HttpRequest, state: web::Data<AppState>, caller: Caller, request: GraphQLRequest) -> GraphQLResponse {
    let request = request.into_inner();
    if is_mutation(&request) {
        let error = crate::error::AppError::bad_request("mutation_over_get", "mutations must be sent with POST").to_graphql();
        return async_graphql::Response::from_errors(vec![error.into_server_error(async_graphql::Pos::default())]).into();
    }
    run(&req, &state, caller, request).await
}

/// Whether the operation a request runs is a mutation.
fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let chosen = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            _ => true,
        };
        chosen && operation.node.ty == OperationType::Mutation
    })
}

async fn run(req: &actix_web::HttpRequest, state: &AppState, caller: Caller, request: async_graphql::Request) -> GraphQLResponse {
    let loaders = Loaders::new(state.db.clone(), caller.principal.clone());
    let client = ClientInfo {
        ip: req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
        user_agent: req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    let request = request
        .data(state.clone())
        .data(caller.principal)
        .data(SessionFamily(caller.family))
        .data(client)
        .data(loaders);
    state.schema.execute(request).await.into()
}

/// The GraphiQL page, for browsers that open `/graphql`.
pub async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// Registers `/graphql`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(execute))
            .route(web::get().guard(actix_web::guard::fn_guard(|ctx| {
                let accepts_html = ctx.head().headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
                accepts_html && !ctx.head().uri.query().is_some_and(|q| q.contains("query="))
            })).to(graphiql))
            .route(web::get().to(execute_get)),
    );
}
