//! REST handlers for signing in and out, and for the caller's own account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, Problem};
use crate::policy::{Action, Resource, Scope};
use crate::rest::{body, with_methods};
use crate::auth::principal::{Caller, client_info};
use crate::rest::response::written;
use crate::services::roles::Grant;
use crate::services::sessions::{self, LoginInput, PasswordChange, RefreshInput, TokenPair};
use crate::state::AppState;

/// Signs in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, description = "Tokens", body = TokenPair),
              (status = 401, description = "Invalid email or password", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many attempts (see Retry-After)", body = Problem, content_type = "application/problem+json")))]
pub async fn login(req: HttpRequest, state: web::Data<AppState>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let input: LoginInput = body::parse(&req, &bytes)?;
    let client = client_info(&req);
    let pair = sessions::login(&state.sessions(), &input, &client).await?;
    written(StatusCode::OK, &pair, None)
}

/// Exchanges a refresh token for new tokens (the old one stops working).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshInput,
    responses((status = 200, description = "New tokens", body = TokenPair),
              (status = 401, description = "Unknown, expired or reused refresh token", body = Problem, content_type = "application/problem+json")))]
pub async fn refresh(req: HttpRequest, state: web::Data<AppState>, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let input: RefreshInput = body::parse(&req, &bytes)?;
    let pair = sessions::refresh(&state.sessions(), &input).await?;
    written(StatusCode::OK, &pair, None)
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"),
              (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let (_, family) = caller.session()?;
    sessions::logout(&state.db, family).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller, on every device.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out everywhere"),
              (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn logout_all(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let (user, _) = caller.session()?;
    sessions::logout_all(&state.db, user).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub permissions: Vec<Grant>,
    pub sector_ids: Vec<Uuid>,
    pub editor_id: Option<Uuid>,
}

/// Who the caller is and what they may do.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in user", body = Me),
              (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn me(caller: Caller) -> Result<HttpResponse, AppError> {
    let user = caller.principal.user().ok_or(AppError::Unauthenticated)?;
    let me = Me {
        id: user.id,
        email: user.email.clone(),
        role: user.role.clone(),
        permissions: user.grants.iter().map(|(resource, action, scope): &(Resource, Action, Scope)| Grant { resource: *resource, action: *action, scope: *scope }).collect(),
        sector_ids: user.sector_ids.clone(),
        editor_id: user.editor_id,
    };
    let mut response = written(StatusCode::OK, &me, None)?;
    response.headers_mut().insert(actix_web::http::header::CACHE_CONTROL, actix_web::http::header::HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// Changes the caller's password; every other session ends.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204, description = "Changed"),
              (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Wrong current password or weak new one", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many wrong current passwords; `Retry-After` says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(req: HttpRequest, state: web::Data<AppState>, caller: Caller, bytes: web::Bytes) -> Result<HttpResponse, AppError> {
    let (user, family) = caller.session()?;
    let change: PasswordChange = body::parse(&req, &bytes)?;
    sessions::change_password(&state.sessions(), user, family, &change).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the auth routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(with_methods(web::resource("/auth/login").route(web::post().to(login)), "POST, OPTIONS"))
        .service(with_methods(web::resource("/auth/refresh").route(web::post().to(refresh)), "POST, OPTIONS"))
        .service(with_methods(web::resource("/auth/logout").route(web::post().to(logout)), "POST, OPTIONS"))
        .service(with_methods(web::resource("/auth/logout-all").route(web::post().to(logout_all)), "POST, OPTIONS"))
        .service(with_methods(web::resource("/me").route(web::get().to(me)), "GET, OPTIONS"))
        .service(with_methods(web::resource("/me/password").route(web::put().to(change_password)), "PUT, OPTIONS"));
}
