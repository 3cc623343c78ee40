//! Sign-in sessions: login, refresh-token rotation with reuse detection, logout, and resolving
//! the credentials of a request into a principal.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::{api_key, refresh_session, user};

use crate::auth::api_keys::{ApiKeyScope, looks_like_key};
use crate::auth::password;
use crate::auth::secrets::{digest, random_token};
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::clock::now;
use crate::error::AppError;
use crate::policy::Principal;
use crate::services::users::{self, normalize_email};

/// Email and password.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// A refresh token to exchange.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh_token: String,
}

/// The current and the new password.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Tokens handed out on login and refresh.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
pub struct TokenPair {
    /// JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque, single-use token for `POST /auth/refresh`.
    pub refresh_token: String,
}

/// Where a login comes from, for throttling and the session record.
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: Option<String>,
}

/// The tools a session operation needs.
pub struct SessionContext<'a> {
    pub db: &'a DatabaseConnection,
    pub keys: &'a TokenKeys,
    pub throttle: &'a LoginThrottle,
    pub refresh_ttl: Duration,
}

async fn open_session(
    db: &impl ConnectionTrait,
    ctx: &SessionContext<'_>,
    user_id: Uuid,
    family: Uuid,
    client: Option<&ClientInfo>,
) -> Result<(Uuid, TokenPair), AppError> {
    let at = now();
    let refresh = format!("rt_{}", random_token(32)?);
    let id = Uuid::now_v7();
    refresh_session::Entity::insert(refresh_session::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        family_id: Set(family),
        token_hash: Set(digest(&refresh)),
        expires_at: Set(at + ctx.refresh_ttl),
        revoked_at: Set(None),
        replaced_by: Set(None),
        user_agent: Set(client.and_then(|c| c.user_agent.as_ref()).map(|a| a.chars().take(500).collect())),
        ip: Set(client.map(|c| c.ip.chars().take(64).collect())),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec(db)
    .await?;
    let access = ctx.keys.issue(user_id, family, at)?;
    Ok((id, TokenPair { access_token: access, token_type: "Bearer", expires_in: ctx.keys.access_ttl.num_seconds(), refresh_token: refresh }))
}

/// Checks a password and opens a session. Unknown emails, wrong passwords and disabled accounts
/// get the same answer after the same work; repeated failures are throttled.
pub async fn login(ctx: &SessionContext<'_>, input: &LoginInput, client: &ClientInfo) -> Result<TokenPair, AppError> {
    let email = normalize_email(&input.email);
    let account_key = format!("account:{email}");
    let keys = [account_key.clone(), format!("ip:{}", client.ip)];
    ctx.throttle.check(&keys).map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    let account = user::Entity::find().filter(user::Column::EmailNormalized.eq(email.as_str())).one(ctx.db).await?;
    let password_ok = match &account {
        Some(a) if input.password.len() <= password::MAX_LENGTH * 4 => password::verify(&input.password, &a.password_hash),
        _ => {
            password::burn_equivalent_work(&input.password);
            false
        }
    };
    let account = match account {
        Some(a) if password_ok && !a.disabled => a,
        _ => {
            ctx.throttle.fail(&keys);
            return Err(AppError::InvalidCredentials);
        }
    };
    ctx.throttle.clear(&account_key);
    let txn = crate::db::begin_write(ctx.db).await?;
    let user_id = account.id;
    let rehash = password::needs_rehash(&account.password_hash);
    let mut active = account.into_active_model();
    active.last_login_at = Set(Some(now()));
    if rehash {
        active.password_hash = Set(password::hash(&input.password)?);
    }
    active.update(&txn).await?;
    let (_, pair) = open_session(&txn, ctx, user_id, Uuid::now_v7(), Some(client)).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Exchanges a refresh token for new tokens. A token that was already exchanged revokes its
/// whole session family: someone else holds a copy.
pub async fn refresh(ctx: &SessionContext<'_>, input: &RefreshInput) -> Result<TokenPair, AppError> {
    let txn = crate::db::begin_write(ctx.db).await?;
    let Some(session) = refresh_session::Entity::find()
        .filter(refresh_session::Column::TokenHash.eq(digest(&input.refresh_token)))
        .one(&txn)
        .await?
    else {
        return Err(AppError::Unauthenticated);
    };
    if session.revoked_at.is_some() {
        if session.replaced_by.is_some() {
            revoke_family(&txn, session.family_id).await?;
            txn.commit().await?;
        }
        return Err(AppError::Unauthenticated);
    }
    if session.expires_at <= now() || users::load_principal(&txn, session.user_id).await?.is_none() {
        return Err(AppError::Unauthenticated);
    }
    let (new_id, pair) = open_session(&txn, ctx, session.user_id, session.family_id, None).await?;
    // Only one exchange of a token can win, even when two race.
    let claimed = refresh_session::Entity::update_many()
        .col_expr(refresh_session::Column::RevokedAt, sea_orm::sea_query::Expr::value(now()))
        .col_expr(refresh_session::Column::ReplacedBy, sea_orm::sea_query::Expr::value(new_id))
        .filter(refresh_session::Column::Id.eq(session.id))
        .filter(refresh_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::Unauthenticated);
    }
    txn.commit().await?;
    Ok(pair)
}

async fn revoke_family(db: &impl ConnectionTrait, family: Uuid) -> Result<(), AppError> {
    refresh_session::Entity::update_many()
        .col_expr(refresh_session::Column::RevokedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(refresh_session::Column::FamilyId.eq(family))
        .filter(refresh_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the session family of the calling access token.
pub async fn logout(db: &DatabaseConnection, family: Uuid) -> Result<(), AppError> {
    revoke_family(db, family).await
}

/// Ends every session of the user.
pub async fn logout_all(db: &DatabaseConnection, user_id: Uuid) -> Result<(), AppError> {
    users::revoke_all_sessions(db, user_id).await
}

/// Changes the caller's password and ends every other session; wrong guesses are throttled
/// like logins.
pub async fn change_password(ctx: &SessionContext<'_>, user_id: Uuid, family: Uuid, change: &PasswordChange) -> Result<(), AppError> {
    let key = [format!("password:{user_id}")];
    ctx.throttle.check(&key).map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    let txn = crate::db::begin_write(ctx.db).await?;
    let account = user::Entity::find_by_id(user_id).one(&txn).await?.ok_or(AppError::Unauthenticated)?;
    if !password::verify(&change.current_password, &account.password_hash) {
        ctx.throttle.fail(&key);
        return Err(AppError::invalid_field("current_password", "is not your current password"));
    }
    if let Some(problem) = password::weakness(&change.new_password) {
        return Err(AppError::invalid_field("new_password", problem));
    }
    let mut active = account.into_active_model();
    active.password_hash = Set(password::hash(&change.new_password)?);
    active.updated_at = Set(now());
    active.update(&txn).await?;
    refresh_session::Entity::update_many()
        .col_expr(refresh_session::Column::RevokedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(refresh_session::Column::UserId.eq(user_id))
        .filter(refresh_session::Column::FamilyId.ne(family))
        .filter(refresh_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A resolved caller, and the session family when a user token was used.
pub struct Authenticated {
    pub principal: Principal,
    pub family: Option<Uuid>,
}

/// Resolves presented credentials. No credentials is anonymous; bad credentials are a 401.
pub async fn authenticate(db: &impl ConnectionTrait, keys: &TokenKeys, credential: Option<&str>) -> Result<Authenticated, AppError> {
    let Some(credential) = credential.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Authenticated { principal: Principal::Anonymous, family: None });
    };
    if looks_like_key(credential) {
        return authenticate_key(db, credential).await;
    }
    let claims = keys.verify(credential).ok_or(AppError::Unauthenticated)?;
    let user_id = Uuid::try_parse(&claims.sub).map_err(|_| AppError::Unauthenticated)?;
    let family = Uuid::try_parse(&claims.sid).map_err(|_| AppError::Unauthenticated)?;
    // The session family must still be open: logout, logout-all, password changes and
    // refresh-token reuse all close it, and with it every access token it issued.
    let open = refresh_session::Entity::find()
        .filter(refresh_session::Column::FamilyId.eq(family))
        .filter(refresh_session::Column::UserId.eq(user_id))
        .filter(refresh_session::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    if open == 0 {
        return Err(AppError::Unauthenticated);
    }
    let user = users::load_principal(db, user_id).await?.ok_or(AppError::Unauthenticated)?;
    Ok(Authenticated { principal: Principal::User(Box::new(user)), family: Some(family) })
}

async fn authenticate_key(db: &impl ConnectionTrait, secret: &str) -> Result<Authenticated, AppError> {
    let at = now();
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(digest(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .filter(|k| k.expires_at.is_none_or(|e| e > at))
        .ok_or(AppError::Unauthenticated)?;
    let scope = ApiKeyScope::parse(&key.scope).ok_or(AppError::Unauthenticated)?;
    // Keep `last_used_at` within a minute without a write on every request.
    if key.last_used_at.is_none_or(|t| at - t > Duration::seconds(60)) {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, sea_orm::sea_query::Expr::value(at))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    Ok(Authenticated { principal: Principal::ApiKey { id: key.id, scope }, family: None })
}
