//! Roles and their permissions: the data the policy decides with.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::{permission, role, user};

use crate::clock::now;
use crate::error::{AppError, FieldErrors};
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::policy::{Action, Principal, Resource, Scope, default_roles, require};
use crate::services::audit::{self, AuditEntry};
use crate::services::read_only::ReadOnly;
use crate::services::write::{Precondition, Written, versioned};
use crate::services::query::{find_one_by_id, page_by_columns};

/// One grant of a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "adapters", graphql(name = "Permission", input_name = "PermissionInput"))]
pub struct Grant {
    pub resource: Resource,
    pub action: Action,
    pub scope: Scope,
}

/// A role with its grants.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "Role"))]
pub struct RoleRecord {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Seeded roles cannot be deleted.
    pub builtin: bool,
    pub permissions: Vec<Grant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; send it back (or the ETag as If-Match) to write this version.
    pub version: i32,
}

/// Fields of a role the server keeps.
const READ_ONLY: &[ReadOnly] = &[
    ReadOnly::Computed { name: "id", how: "the server gives every role its id" },
    ReadOnly::Computed { name: "builtin", how: "only seeded roles are built in" },
    ReadOnly::Computed { name: "created_at", how: "the server keeps it" },
    ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
];

/// A role as clients write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// Lower-case letters, digits and underscores.
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub description: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub permissions: Vec<Grant>,
}

/// List parameters for `/roles`.
pub static ROLE_SPEC: ResourceSpec = ResourceSpec {
    name: "roles",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "name", aliases: &[], ty: FieldType::Text },
        FilterField { name: "builtin", aliases: &[], ty: FieldType::Bool },
    ]],
    sorts: &["name", "created_at", "updated_at", "id"],
    default_sort: &[Sort { field: "name", descending: false }],
    includes: &[],
    fields: &["name", "description", "builtin", "permissions", "created_at", "updated_at", "version"],
    searchable: false,
    list_omits: &[],
};

/// Creates the default roles that do not exist yet (an admin's edits to existing ones are kept).
pub async fn ensure_defaults(db: &DatabaseConnection) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    for (name, description, grants) in default_roles() {
        if role::Entity::find().filter(role::Column::Name.eq(name)).one(&txn).await?.is_some() {
            continue;
        }
        let at = now();
        let id = Uuid::now_v7();
        role::Entity::insert(role::ActiveModel {
            id: Set(id),
            name: Set(name.to_owned()),
            description: Set(description.to_owned()),
            builtin: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(1),
        })
        .exec(&txn)
        .await?;
        let grants: Vec<Grant> = grants.into_iter().map(|(resource, action, scope)| Grant { resource, action, scope }).collect();
        insert_grants(&txn, id, &grants).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn insert_grants(db: &impl ConnectionTrait, role_id: Uuid, grants: &[Grant]) -> Result<(), AppError> {
    if grants.is_empty() {
        return Ok(());
    }
    let at = now();
    permission::Entity::insert_many(grants.iter().map(|g| permission::ActiveModel {
        id: Set(Uuid::now_v7()),
        role_id: Set(role_id),
        resource: Set(g.resource.as_str().to_owned()),
        action: Set(g.action.as_str().to_owned()),
        scope: Set(g.scope.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// The grants of a role, skipping rows outside today's vocabulary.
pub async fn grants(db: &impl ConnectionTrait, role_id: Uuid) -> Result<Vec<Grant>, AppError> {
    let rows = permission::Entity::find()
        .filter(permission::Column::RoleId.eq(role_id))
        .order_by_asc(permission::Column::Resource)
        .order_by_asc(permission::Column::Action)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            Some(Grant {
                resource: Resource::parse(&p.resource)?,
                action: Action::parse(&p.action)?,
                scope: Scope::parse(&p.scope)?,
            })
        })
        .collect())
}

async fn record(db: &impl ConnectionTrait, m: role::Model) -> Result<RoleRecord, AppError> {
    Ok(RoleRecord {
        permissions: grants(db, m.id).await?,
        id: m.id,
        name: m.name,
        description: m.description,
        builtin: m.builtin,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

fn validate(input: &RoleInput) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    let valid_name = (2..=60).contains(&input.name.len())
        && input.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && input.name.as_bytes()[0].is_ascii_lowercase();
    if !valid_name {
        errors.entry("name".into()).or_default().push("2-60 lower-case letters, digits or underscores, starting with a letter".into());
    }
    if input.description.chars().count() > 500 {
        errors.entry("description".into()).or_default().push("at most 500 characters".into());
    }
    for (i, grant) in input.permissions.iter().enumerate() {
        if !grant.resource.actions().contains(&grant.action) {
            errors.entry(format!("permissions[{i}].action")).or_default().push(format!(
                "`{}` does not apply to `{}`",
                grant.action.as_str(),
                grant.resource.as_str()
            ));
        }
        if !grant.resource.takes_scope(grant.scope) {
            errors.entry(format!("permissions[{i}].scope")).or_default().push("only content resources take `own`, and content and news sources `sector`".into());
        }
        if input.permissions[..i].iter().any(|g| g.resource == grant.resource && g.action == grant.action) {
            errors.entry(format!("permissions[{i}]")).or_default().push("duplicate resource and action".into());
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation { errors }) }
}

async fn name_taken(db: &impl ConnectionTrait, name: &str, except: Option<Uuid>) -> Result<bool, AppError> {
    let mut select = role::Entity::find().filter(role::Column::Name.eq(name));
    if let Some(id) = except {
        select = select.filter(role::Column::Id.ne(id));
    }
    Ok(select.count(db).await? > 0)
}

/// Lists roles.
pub async fn list(db: &impl ConnectionTrait, principal: &Principal, query: &ListQuery) -> Result<Page<RoleRecord>, AppError> {
    require(principal, Resource::Roles, Action::Read)?;
    let page = page_by_columns(db, role::Entity::find(), query, |_| None).await?;
    let mut items = Vec::with_capacity(page.items.len());
    // Roles are few (a handful per publication); their grants load per role.
    for m in page.items {
        items.push(record(db, m).await?);
    }
    Ok(Page { items, total: page.total })
}

/// Gets one role by id or name.
pub async fn get(db: &impl ConnectionTrait, principal: &Principal, key: &str) -> Result<RoleRecord, AppError> {
    require(principal, Resource::Roles, Action::Read)?;
    let model = find_role(db, key).await?;
    record(db, model).await
}

async fn find_role(db: &impl ConnectionTrait, key: &str) -> Result<role::Model, AppError> {
    let found = match Uuid::try_parse(key) {
        Ok(id) => find_one_by_id::<role::Entity, _>(db, role::Column::Id, id).await?,
        Err(_) => role::Entity::find().filter(role::Column::Name.eq(key)).one(db).await?,
    };
    found.ok_or(AppError::NotFound { resource: "role" })
}

/// Creates a custom role.
pub async fn create(db: &DatabaseConnection, principal: &Principal, written: Written<RoleInput>) -> Result<RoleRecord, AppError> {
    require(principal, Resource::Roles, Action::Create)?;
    let input = written.read(None::<&RoleRecord>, &[READ_ONLY], Precondition::default())?;
    validate(&input)?;
    let txn = crate::db::begin_write(db).await?;
    if name_taken(&txn, &input.name, None).await? {
        return Err(AppError::invalid_field("name", "is already taken"));
    }
    let at = now();
    let id = Uuid::now_v7();
    role::Entity::insert(role::ActiveModel {
        id: Set(id),
        name: Set(input.name.clone()),
        description: Set(input.description.clone()),
        builtin: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    })
    .exec(&txn)
    .await?;
    insert_grants(&txn, id, &input.permissions).await?;
    audit::record(&txn, principal, AuditEntry { resource: "roles", resource_id: Some(id), action: "create", version_before: None, version_after: Some(1), details: None }).await?;
    let model = find_role(&txn, &id.to_string()).await?;
    let created = record(&txn, model).await?;
    txn.commit().await?;
    Ok(created)
}

/// Replaces a role's name, description and grants at the version the precondition names.
pub async fn update(db: &DatabaseConnection, principal: &Principal, key: &str, written: Written<RoleInput>, precondition: Precondition) -> Result<RoleRecord, AppError> {
    require(principal, Resource::Roles, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let found = find_role(&txn, key).await?;
    // Held until commit, so concurrent writes queue instead of overwriting each other.
    let model = role::Entity::find_by_id(found.id).lock_exclusive().one(&txn).await?.ok_or(AppError::NotFound { resource: "role" })?;
    let stored = record(&txn, model.clone()).await?;
    let input = written.read(Some(&stored), &[READ_ONLY], precondition)?;
    validate(&input)?;
    if model.builtin && model.name != input.name {
        return Err(AppError::invalid_field("name", "a built-in role keeps its name"));
    }
    // Nobody could give permissions back once the admin role lost them.
    if model.name == "admin" {
        return Err(AppError::Conflict { code: "role_builtin", detail: "the admin role always holds every permission".into() });
    }
    if name_taken(&txn, &input.name, Some(model.id)).await? {
        return Err(AppError::invalid_field("name", "is already taken"));
    }
    let id = model.id;
    let mut active = model.into_active_model();
    active.name = Set(input.name.clone());
    active.description = Set(input.description.clone());
    active.updated_at = Set(now());
    active.version = Set(stored.version + 1);
    active.update(&txn).await?;
    permission::Entity::delete_many().filter(permission::Column::RoleId.eq(id)).exec(&txn).await?;
    insert_grants(&txn, id, &input.permissions).await?;
    audit::record(&txn, principal, AuditEntry { resource: "roles", resource_id: Some(id), action: "update", version_before: Some(stored.version), version_after: Some(stored.version + 1), details: None }).await?;
    let updated = record(&txn, find_role(&txn, &id.to_string()).await?).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a custom role no user holds.
pub async fn delete(db: &DatabaseConnection, principal: &Principal, key: &str) -> Result<RoleRecord, AppError> {
    require(principal, Resource::Roles, Action::Delete)?;
    let txn = crate::db::begin_write(db).await?;
    let model = find_role(&txn, key).await?;
    if model.builtin {
        return Err(AppError::Conflict { code: "role_builtin", detail: "built-in roles cannot be deleted".into() });
    }
    if user::Entity::find().filter(user::Column::RoleId.eq(model.id)).count(&txn).await? > 0 {
        return Err(AppError::Conflict { code: "role_in_use", detail: "users still hold this role".into() });
    }
    let deleted = record(&txn, model.clone()).await?;
    role::Entity::delete_by_id(model.id).exec(&txn).await?;
    audit::record(&txn, principal, AuditEntry { resource: "roles", resource_id: Some(model.id), action: "delete", version_before: None, version_after: None, details: None }).await?;
    txn.commit().await?;
    Ok(deleted)
}

versioned!(RoleRecord);
