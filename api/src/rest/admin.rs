//! REST handlers for administration: users, roles, API keys and the audit log.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{AppError, Problem};
use crate::policy::{Action, Resource, require};
use crate::rest::body;
use crate::auth::principal::Caller;
use crate::rest::list_query::{ListParams, parse_list};
use crate::rest::body::uuid_in_path as id;
use crate::rest::response::{self, list_response, range_header, to_value, written};
use crate::services::api_keys::{self, API_KEY_SPEC, ApiKeyInput, ApiKeyRecord, CreatedApiKey};
use crate::services::audit::{self, AUDIT_SPEC, AuditRecord};
use crate::services::roles::{self, ROLE_SPEC, RoleInput, RoleRecord};
use crate::services::users::{self, USER_SPEC, UserInput, UserRecord};
use crate::services::write::Written;
use crate::state::AppState;


/// Lists user accounts (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "Accounts", body = [UserRecord]),
              (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn list_users(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &USER_SPEC)?;
    let page = users::list(&state.db, &caller.principal, &parsed.query).await?;
    list_response(&req, &state, &caller, &parsed, USER_SPEC.name, page)
}

/// Gets an account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "The account", body = UserRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get_user(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = users::get(&state.db, &caller.principal, id(&path, "user")?).await?;
    response::json(&req, &state, &caller.principal, &to_value(&record)?, Vec::new())
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = UserRecord), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn create_user(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&caller.principal, Resource::Users, Action::Create)?;
    let record = users::create(&state.db, &caller.principal, Written::Json(body::parse_object(&req, &bytes)?)).await?;
    written(StatusCode::CREATED, &record, Some(format!("/api/v1/users/{}", record.id)))
}

/// Replaces an account.
#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "users", request_body = UserInput, security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = UserRecord), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn update_user(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&caller.principal, Resource::Users, Action::Update)?;
    let user_id = id(&path, "user")?;
    let sent = Written::Json(body::parse_object(&req, &bytes)?);
    let precondition = body::precondition(&req, false);
    let record = users::update(&state.db, &caller.principal, user_id, sent, precondition).await?;
    written(StatusCode::OK, &record, None)
}

/// Merges changes into an account (RFC 7396).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body(content = Object, content_type = "application/merge-patch+json"), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = UserRecord), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_user(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&caller.principal, Resource::Users, Action::Update)?;
    let user_id = id(&path, "user")?;
    let sent = Written::Patch(body::parse_object(&req, &bytes)?);
    let precondition = body::precondition(&req, false);
    let record = users::update(&state.db, &caller.principal, user_id, sent, precondition).await?;
    written(StatusCode::OK, &record, None)
}

/// Deletes an account.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Deleted", body = UserRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_user(state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = users::delete(&state.db, &caller.principal, id(&path, "user")?).await?;
    written(StatusCode::OK, &record, None)
}

/// Lists roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "Roles", body = [RoleRecord]), (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn list_roles(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &ROLE_SPEC)?;
    let page = roles::list(&state.db, &caller.principal, &parsed.query).await?;
    list_response(&req, &state, &caller, &parsed, ROLE_SPEC.name, page)
}

/// Gets a role by id or name.
#[utoipa::path(get, path = "/api/v1/roles/{id_or_name}", tag = "roles", security(("bearer" = [])),
    responses((status = 200, description = "The role", body = RoleRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get_role(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = roles::get(&state.db, &caller.principal, &path).await?;
    response::json(&req, &state, &caller.principal, &to_value(&record)?, Vec::new())
}

/// Creates a custom role.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = RoleInput, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = RoleRecord), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn create_role(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&caller.principal, Resource::Roles, Action::Create)?;
    let record = roles::create(&state.db, &caller.principal, Written::Json(body::parse_object(&req, &bytes)?)).await?;
    written(StatusCode::CREATED, &record, Some(format!("/api/v1/roles/{}", record.id)))
}

/// Replaces a role's grants.
#[utoipa::path(put, path = "/api/v1/roles/{id_or_name}", tag = "roles", request_body = RoleInput, security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = RoleRecord), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn update_role(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&caller.principal, Resource::Roles, Action::Update)?;
    let sent = Written::Json(body::parse_object(&req, &bytes)?);
    let precondition = body::precondition(&req, false);
    let record = roles::update(&state.db, &caller.principal, &path, sent, precondition).await?;
    written(StatusCode::OK, &record, None)
}

/// Merges changes into a role (RFC 7396).
#[utoipa::path(patch, path = "/api/v1/roles/{id_or_name}", tag = "roles", request_body(content = Object, content_type = "application/merge-patch+json"), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = RoleRecord), (status = 412, description = "Not the current version", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_role(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&caller.principal, Resource::Roles, Action::Update)?;
    let sent = Written::Patch(body::parse_object(&req, &bytes)?);
    let record = roles::update(&state.db, &caller.principal, &path, sent, body::precondition(&req, false)).await?;
    written(StatusCode::OK, &record, None)
}

/// Deletes a custom role that nobody holds.
#[utoipa::path(delete, path = "/api/v1/roles/{id_or_name}", tag = "roles", security(("bearer" = [])),
    responses((status = 200, description = "Deleted", body = RoleRecord), (status = 409, description = "Built-in or in use", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_role(state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = roles::delete(&state.db, &caller.principal, &path).await?;
    written(StatusCode::OK, &record, None)
}

/// Lists API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "Keys", body = [ApiKeyRecord]), (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn list_api_keys(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &API_KEY_SPEC)?;
    let page = api_keys::list(&state.db, &caller.principal, &parsed.query).await?;
    list_response(&req, &state, &caller, &parsed, API_KEY_SPEC.name, page)
}

/// Gets an API key.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    responses((status = 200, description = "The key", body = ApiKeyRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get_api_key(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = api_keys::get(&state.db, &caller.principal, id(&path, "API key")?).await?;
    response::json(&req, &state, &caller.principal, &to_value(&record)?, Vec::new())
}

/// Creates an API key; the answer holds the secret, shown this once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = ApiKeyInput, security(("bearer" = [])),
    responses((status = 201, description = "Created, with its secret", body = CreatedApiKey), (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn create_api_key(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&caller.principal, Resource::ApiKeys, Action::Create)?;
    let input: ApiKeyInput = body::parse(&req, &bytes)?;
    let created = api_keys::create(&state.db, &caller.principal, input).await?;
    written(StatusCode::CREATED, &created, Some(format!("/api/v1/api-keys/{}", created.key.id)))
}

/// Revokes an API key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    responses((status = 200, description = "Revoked", body = ApiKeyRecord), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_api_key(state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let record = api_keys::revoke(&state.db, &caller.principal, id(&path, "API key")?).await?;
    written(StatusCode::OK, &record, None)
}

/// Reads the audit log (admins).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit-log", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "Entries, newest first", body = [AuditRecord]), (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn list_audit_log(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let parsed = parse_list(req.query_string(), range_header(&req), &AUDIT_SPEC)?;
    let page = audit::list(&state.db, &caller.principal, &parsed.query).await?;
    list_response(&req, &state, &caller, &parsed, AUDIT_SPEC.name, page)
}

/// Registers the administration routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/users").route(web::get().to(list_users)).route(web::post().to(create_user)))
        .service(web::resource("/users/{id}").route(web::get().to(get_user)).route(web::put().to(update_user)).route(web::patch().to(patch_user)).route(web::delete().to(delete_user)))
        .service(web::resource("/roles").route(web::get().to(list_roles)).route(web::post().to(create_role)))
        .service(web::resource("/roles/{id}").route(web::get().to(get_role)).route(web::put().to(update_role)).route(web::patch().to(patch_role)).route(web::delete().to(delete_role)))
        .service(web::resource("/api-keys").route(web::get().to(list_api_keys)).route(web::post().to(create_api_key)))
        .service(web::resource("/api-keys/{id}").route(web::get().to(get_api_key)).route(web::delete().to(revoke_api_key)))
        .service(web::resource("/audit-log").route(web::get().to(list_audit_log)));
}
