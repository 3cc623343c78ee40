//! User accounts: admin management, the first admin, and loading a user as a principal.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::{editor, refresh_session, role, sector, user, user_sector};

use crate::auth::password;
use crate::clock::now;
use crate::error::{AppError, FieldErrors};
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::policy::{Action, Principal, Resource, UserPrincipal, require};
use crate::services::audit::{self, AuditEntry};
use crate::services::read_only::ReadOnly;
use crate::services::validate;
use crate::services::write::{Precondition, Written, versioned};
use crate::services::query::{apply_filters, apply_sort, column_condition, fetch_page, find_one_by_id};
use crate::services::{link_map, roles};

/// An account as admins see it; password hashes never leave the server.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "User"))]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    /// The role's name.
    pub role: String,
    pub disabled: bool,
    /// Sectors the user's sector-scoped permissions cover (empty: all).
    pub sector_ids: Vec<Uuid>,
    /// The user's public editor profile.
    pub editor_id: Option<Uuid>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; send it back (or the ETag as If-Match) to write this version.
    pub version: i32,
}

/// Fields of an account the server keeps.
const READ_ONLY: &[ReadOnly] = &[
    ReadOnly::Computed { name: "id", how: "the server gives every account its id" },
    ReadOnly::Computed { name: "last_login_at", how: "signing in sets it" },
    ReadOnly::Computed { name: "created_at", how: "the server keeps it" },
    ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
];

/// An account as admins write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    /// Required when creating; when updating, a new password (other sessions end).
    #[serde(default)]
    pub password: Option<String>,
    /// A role name.
    pub role: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub disabled: bool,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub sector_ids: Vec<Uuid>,
    #[serde(default)]
    pub editor_id: Option<Uuid>,
}

/// List parameters for `/users`.
pub static USER_SPEC: ResourceSpec = ResourceSpec {
    name: "users",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "email", aliases: &[], ty: FieldType::Text },
        FilterField { name: "disabled", aliases: &[], ty: FieldType::Bool },
        FilterField { name: "created_at", aliases: &[], ty: FieldType::Timestamp },
    ]],
    sorts: &["email", "created_at", "updated_at", "last_login_at", "id"],
    default_sort: &[Sort { field: "email", descending: false }],
    includes: &[],
    fields: &["email", "role", "disabled", "sector_ids", "editor_id", "last_login_at", "created_at", "updated_at", "version"],
    searchable: false,
    list_omits: &[],
};

/// The form emails are compared in.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Loads an enabled user with role grants, sectors and editor profile; `None` if gone or disabled.
pub async fn load_principal(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<UserPrincipal>, AppError> {
    let Some(account) = find_one_by_id::<user::Entity, _>(db, user::Column::Id, user_id).await? else {
        return Ok(None);
    };
    if account.disabled {
        return Ok(None);
    }
    let role = find_one_by_id::<role::Entity, _>(db, role::Column::Id, account.role_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("user {} has a missing role", account.id)))?;
    let grants = roles::grants(db, role.id).await?;
    let sector_ids = user_sector::Entity::find()
        .filter(user_sector::Column::UserId.eq(account.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.sector_id)
        .collect();
    let editor_id = editor::Entity::find().filter(editor::Column::UserId.eq(account.id)).one(db).await?.map(|e| e.id);
    Ok(Some(UserPrincipal {
        id: account.id,
        email: account.email,
        role: role.name,
        grants: grants.into_iter().map(|g| (g.resource, g.action, g.scope)).collect(),
        sector_ids,
        editor_id,
    }))
}

async fn records(db: &impl ConnectionTrait, models: Vec<user::Model>) -> Result<Vec<UserRecord>, AppError> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut sectors = link_map::<user_sector::Entity>(db, user_sector::Column::UserId, user_sector::Column::SectorId, None, &ids, sea_orm::Condition::all()).await?;
    let roles: std::collections::HashMap<Uuid, String> = role::Entity::find().all(db).await?.into_iter().map(|r| (r.id, r.name)).collect();
    let editors: std::collections::HashMap<Uuid, Uuid> = editor::Entity::find()
        .filter(editor::Column::UserId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|e| e.user_id.map(|u| (u, e.id)))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| UserRecord {
            role: roles.get(&m.role_id).cloned().unwrap_or_default(),
            sector_ids: sectors.remove(&m.id).unwrap_or_default(),
            editor_id: editors.get(&m.id).copied(),
            id: m.id,
            email: m.email,
            disabled: m.disabled,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
        .collect())
}

async fn record(db: &impl ConnectionTrait, model: user::Model) -> Result<UserRecord, AppError> {
    records(db, vec![model]).await?.into_iter().next().ok_or(AppError::NotFound { resource: "user" })
}

/// Checks an input and resolves its role; `creating` makes the password required.
async fn validate(db: &impl ConnectionTrait, input: &UserInput, creating: bool, except: Option<Uuid>) -> Result<role::Model, AppError> {
    let mut errors = FieldErrors::new();
    if !crate::domain::is_email(&input.email) {
        validate::refuse(&mut errors, "email", "must be an email address");
    } else {
        let mut taken = user::Entity::find().filter(user::Column::EmailNormalized.eq(normalize_email(&input.email)));
        if let Some(id) = except {
            taken = taken.filter(user::Column::Id.ne(id));
        }
        if taken.count(db).await? > 0 {
            validate::refuse(&mut errors, "email", "is already registered");
        }
    }
    match &input.password {
        Some(p) => {
            if let Some(problem) = password::weakness(p) {
                validate::refuse(&mut errors, "password", problem);
            }
        }
        None if creating => validate::refuse(&mut errors, "password", "is required"),
        None => {}
    }
    let role = role::Entity::find().filter(role::Column::Name.eq(input.role.as_str())).one(db).await?;
    if role.is_none() {
        validate::refuse(&mut errors, "role", format!("no role named `{}`", input.role));
    }
    validate::ids_exist(db, &mut errors, "sector_ids", &input.sector_ids, 50, sector::Entity::find(), sector::Column::Id, "a sector").await?;
    if let Some(editor_id) = input.editor_id {
        match find_one_by_id::<editor::Entity, _>(db, editor::Column::Id, editor_id).await? {
            None => validate::refuse(&mut errors, "editor_id", "no such editor profile"),
            Some(e) if e.user_id.is_some() && e.user_id != except => validate::refuse(&mut errors, "editor_id", "belongs to another user"),
            Some(_) => {}
        }
    }
    match role {
        Some(role) if errors.is_empty() => Ok(role),
        _ => Err(AppError::Validation { errors }),
    }
}

async fn write_links(db: &impl ConnectionTrait, user_id: Uuid, input: &UserInput) -> Result<(), AppError> {
    user_sector::Entity::delete_many().filter(user_sector::Column::UserId.eq(user_id)).exec(db).await?;
    let at = now();
    let mut sector_ids = input.sector_ids.clone();
    sector_ids.sort_unstable();
    sector_ids.dedup();
    if !sector_ids.is_empty() {
        user_sector::Entity::insert_many(sector_ids.iter().map(|s| user_sector::ActiveModel {
            user_id: Set(user_id),
            sector_id: Set(*s),
            created_at: Set(at),
            updated_at: Set(at),
        }))
        .exec(db)
        .await?;
    }
    // One profile per user: detach the old one, attach the new one.
    for old in editor::Entity::find().filter(editor::Column::UserId.eq(user_id)).all(db).await? {
        if Some(old.id) != input.editor_id {
            let mut active = old.into_active_model();
            active.user_id = Set(None);
            active.update(db).await?;
        }
    }
    if let Some(editor_id) = input.editor_id {
        if let Some(profile) = find_one_by_id::<editor::Entity, _>(db, editor::Column::Id, editor_id).await? {
            let mut active = profile.into_active_model();
            active.user_id = Set(Some(user_id));
            active.update(db).await?;
        }
    }
    Ok(())
}

/// Creates an account (no permission check: for the CLI and the first start).
pub async fn create_account(db: &impl ConnectionTrait, input: &UserInput) -> Result<user::Model, AppError> {
    let role = validate(db, input, true, None).await?;
    let hash = password::hash(input.password.as_deref().unwrap_or_default())?;
    let at = now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(input.email.trim().to_owned()),
        email_normalized: Set(normalize_email(&input.email)),
        password_hash: Set(hash),
        role_id: Set(role.id),
        disabled: Set(input.disabled),
        last_login_at: Set(None),
        tokens_valid_after: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(db)
    .await?;
    write_links(db, model.id, input).await?;
    Ok(model)
}

/// Lists accounts.
pub async fn list(db: &impl ConnectionTrait, principal: &Principal, query: &ListQuery) -> Result<Page<UserRecord>, AppError> {
    require(principal, Resource::Users, Action::Read)?;
    use user::Column as C;
    let column = |field: &str| match field {
        "id" => Some(C::Id),
        "email" => Some(C::EmailNormalized),
        "disabled" => Some(C::Disabled),
        "last_login_at" => Some(C::LastLoginAt),
        "created_at" => Some(C::CreatedAt),
        "updated_at" => Some(C::UpdatedAt),
        _ => None,
    };
    let select = apply_filters(user::Entity::find(), query, |f| column(f.field).map(|c| column_condition(c, f)))?;
    let select = apply_sort(select, query, C::Id, column, crate::services::query::Empty::Any)?;
    let page = fetch_page(db, select, query, None).await?;
    Ok(Page { items: records(db, page.items).await?, total: page.total })
}

async fn find_user(db: &impl ConnectionTrait, id: Uuid) -> Result<user::Model, AppError> {
    find_one_by_id::<user::Entity, _>(db, user::Column::Id, id).await?.ok_or(AppError::NotFound { resource: "user" })
}

/// Gets one account.
pub async fn get(db: &impl ConnectionTrait, principal: &Principal, id: Uuid) -> Result<UserRecord, AppError> {
    require(principal, Resource::Users, Action::Read)?;
    record(db, find_user(db, id).await?).await
}

/// Creates an account.
pub async fn create(db: &DatabaseConnection, principal: &Principal, written: Written<UserInput>) -> Result<UserRecord, AppError> {
    require(principal, Resource::Users, Action::Create)?;
    let input = written.read(None::<&UserRecord>, &[READ_ONLY], Precondition::default())?;
    let txn = crate::db::begin_write(db).await?;
    let model = create_account(&txn, &input).await?;
    audit::record(&txn, principal, AuditEntry { resource: "users", resource_id: Some(model.id), action: "create", version_before: None, version_after: Some(1), details: None }).await?;
    let created = record(&txn, model).await?;
    txn.commit().await?;
    Ok(created)
}

/// Replaces an account's email, role, sectors, profile and flags (and password when given), or
/// merges changes into it, at the version the precondition names.
pub async fn update(db: &DatabaseConnection, principal: &Principal, id: Uuid, written: Written<UserInput>, precondition: Precondition) -> Result<UserRecord, AppError> {
    require(principal, Resource::Users, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    // Held until commit, so concurrent writes queue instead of overwriting each other.
    let existing = user::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(AppError::NotFound { resource: "user" })?;
    let stored = record(&txn, existing.clone()).await?;
    let input = written.read(Some(&stored), &[READ_ONLY], precondition)?;
    let role = validate(&txn, &input, false, Some(id)).await?;
    // An admin cannot lock themselves out.
    if principal.user().is_some_and(|u| u.id == id) && (input.disabled || existing.role_id != role.id) {
        return Err(AppError::invalid_field("role", "you cannot disable yourself or change your own role"));
    }
    let mut active = existing.into_active_model();
    active.email = Set(input.email.trim().to_owned());
    active.email_normalized = Set(normalize_email(&input.email));
    active.role_id = Set(role.id);
    active.disabled = Set(input.disabled);
    active.updated_at = Set(now());
    active.version = Set(stored.version + 1);
    if let Some(new_password) = &input.password {
        active.password_hash = Set(password::hash(new_password)?);
        revoke_all_sessions(&txn, id).await?;
    }
    if input.disabled {
        revoke_all_sessions(&txn, id).await?;
    }
    let model = active.update(&txn).await?;
    write_links(&txn, id, &input).await?;
    audit::record(&txn, principal, AuditEntry { resource: "users", resource_id: Some(id), action: "update", version_before: Some(stored.version), version_after: Some(stored.version + 1), details: None }).await?;
    let updated = record(&txn, model).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes an account (its sessions go with it).
pub async fn delete(db: &DatabaseConnection, principal: &Principal, id: Uuid) -> Result<UserRecord, AppError> {
    require(principal, Resource::Users, Action::Delete)?;
    if principal.user().is_some_and(|u| u.id == id) {
        return Err(AppError::Conflict { code: "cannot_delete_self", detail: "you cannot delete your own account".into() });
    }
    let txn = crate::db::begin_write(db).await?;
    let model = find_user(&txn, id).await?;
    let deleted = record(&txn, model).await?;
    editor::Entity::update_many()
        .col_expr(editor::Column::UserId, sea_orm::sea_query::Expr::value(Option::<Uuid>::None))
        .filter(editor::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    user::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, principal, AuditEntry { resource: "users", resource_id: Some(id), action: "delete", version_before: None, version_after: None, details: None }).await?;
    txn.commit().await?;
    Ok(deleted)
}

/// Ends every refresh session of a user (and so every access token of theirs).
pub async fn revoke_all_sessions(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(), AppError> {
    refresh_session::Entity::update_many()
        .col_expr(refresh_session::Column::RevokedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(refresh_session::Column::UserId.eq(user_id))
        .filter(refresh_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// On an empty database, creates the first admin; returns the password when it was generated.
pub async fn bootstrap_admin(db: &DatabaseConnection, email: &str, configured_password: &str) -> Result<Option<String>, AppError> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let generated = configured_password.is_empty();
    let password = if generated { crate::auth::secrets::random_token(18)? } else { configured_password.to_owned() };
    let input = UserInput {
        email: email.to_owned(),
        password: Some(password.clone()),
        role: "admin".into(),
        disabled: false,
        sector_ids: Vec::new(),
        editor_id: None,
    };
    let txn = crate::db::begin_write(db).await?;
    create_account(&txn, &input).await?;
    txn.commit().await?;
    Ok(generated.then_some(password))
}

/// Finds an account by email (CLI).
pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<user::Model, AppError> {
    user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(normalize_email(email)))
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "user" })
}

/// Sets a password and ends the user's sessions (CLI).
pub async fn set_password(db: &DatabaseConnection, email: &str, new_password: &str) -> Result<(), AppError> {
    if let Some(problem) = password::weakness(new_password) {
        return Err(AppError::invalid_field("password", problem));
    }
    let txn = crate::db::begin_write(db).await?;
    let account = find_by_email(&txn, email).await?;
    let id = account.id;
    let mut active = account.into_active_model();
    active.password_hash = Set(password::hash(new_password)?);
    active.updated_at = Set(now());
    active.update(&txn).await?;
    revoke_all_sessions(&txn, id).await?;
    txn.commit().await?;
    Ok(())
}

/// Disables an account and ends its sessions (CLI).
pub async fn disable(db: &DatabaseConnection, email: &str) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let account = find_by_email(&txn, email).await?;
    let id = account.id;
    let mut active = account.into_active_model();
    active.disabled = Set(true);
    active.updated_at = Set(now());
    active.update(&txn).await?;
    revoke_all_sessions(&txn, id).await?;
    txn.commit().await?;
    Ok(())
}

/// Every account (CLI).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<UserRecord>, AppError> {
    let models = user::Entity::find().all(db).await?;
    records(db, models).await
}

versioned!(UserRecord);
