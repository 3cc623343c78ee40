//! The GraphQL adapter (`/graphql`): schema, resolvers and loaders over the same services and
//! policy as REST.

pub mod loaders;
pub mod query;
pub mod types;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};

use crate::graphql::loaders::Loaders;
use crate::graphql::query::QueryRoot;
use crate::rest::caller::Caller;
use crate::state::AppState;

/// The schema type.
pub type OuSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted (each field counts one, lists by their page size).
pub const MAX_COMPLEXITY: usize = 5000;

/// Builds the schema with its limits; over-limit queries are refused before any database work.
pub fn build_schema() -> OuSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(20)
        .finish()
}

/// The schema in SDL, as kept in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}

/// Runs a query (POST, or GET for queries only).
pub async fn execute(state: web::Data<AppState>, caller: Caller, request: GraphQLRequest) -> GraphQLResponse {
    let loaders = Loaders::new(state.db.clone(), caller.principal.clone());
    let request = request.into_inner().data(state.get_ref().clone()).data(caller.principal).data(loaders);
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
            .route(web::get().to(execute)),
    );
}
