//! API keys for frontends: created by admins, shown once, revocable.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::api_key;

use crate::auth::api_keys::{ApiKeyScope, generate};
use crate::clock::now;
use crate::error::{AppError, FieldErrors};
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::policy::{Action, Principal, Resource, require};
use crate::services::audit::{self, AuditEntry};
use crate::services::query::{find_one_by_id, page_by_columns};

/// A key as listed: never the secret.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "ApiKey"))]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub name: String,
    /// The public part of the key, to recognise it.
    pub prefix: String,
    pub scope: ApiKeyScope,
    pub created_by: Option<Uuid>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new key with its secret, returned once on creation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyRecord,
    /// The full key: send it as `X-Api-Key` or `Authorization: Bearer`. It is not shown again.
    pub secret: String,
}

/// A key as admins ask for it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    pub name: String,
    pub scope: ApiKeyScope,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// List parameters for `/api-keys`.
pub static API_KEY_SPEC: ResourceSpec = ResourceSpec {
    name: "api-keys",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "name", aliases: &[], ty: FieldType::Text },
        FilterField { name: "scope", aliases: &[], ty: FieldType::Enum(ApiKeyScope::NAMES) },
    ]],
    sorts: &["name", "created_at", "last_used_at", "id"],
    default_sort: &[Sort { field: "created_at", descending: true }],
    includes: &[],
    fields: &["name", "prefix", "scope", "created_by", "last_used_at", "expires_at", "revoked_at", "created_at", "updated_at"],
    searchable: false,
    list_omits: &[],
};

fn record(m: api_key::Model) -> Result<ApiKeyRecord, AppError> {
    Ok(ApiKeyRecord {
        id: m.id,
        name: m.name,
        prefix: m.prefix,
        scope: ApiKeyScope::stored(&m.scope)?,
        created_by: m.created_by,
        last_used_at: m.last_used_at,
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Lists keys.
pub async fn list(db: &impl ConnectionTrait, principal: &Principal, query: &ListQuery) -> Result<Page<ApiKeyRecord>, AppError> {
    require(principal, Resource::ApiKeys, Action::Read)?;
    let page = page_by_columns(db, api_key::Entity::find(), query, |_| None).await?;
    Ok(Page { items: page.items.into_iter().map(record).collect::<Result<_, _>>()?, total: page.total })
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<api_key::Model, AppError> {
    find_one_by_id::<api_key::Entity, _>(db, api_key::Column::Id, id).await?.ok_or(AppError::NotFound { resource: "API key" })
}

/// Gets one key.
pub async fn get(db: &impl ConnectionTrait, principal: &Principal, id: Uuid) -> Result<ApiKeyRecord, AppError> {
    require(principal, Resource::ApiKeys, Action::Read)?;
    record(find(db, id).await?)
}

/// Creates a key; the secret is in the answer and nowhere else.
pub async fn create(db: &DatabaseConnection, principal: &Principal, input: ApiKeyInput) -> Result<CreatedApiKey, AppError> {
    require(principal, Resource::ApiKeys, Action::Create)?;
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.entry("name".into()).or_default().push("1-200 characters".into());
    }
    if input.expires_at.is_some_and(|e| e <= Utc::now()) {
        errors.entry("expires_at".into()).or_default().push("must be in the future".into());
    }
    if !errors.is_empty() {
        return Err(AppError::Validation { errors });
    }
    let generated = generate()?;
    let at = now();
    let txn = crate::db::begin_write(db).await?;
    let model = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        prefix: Set(generated.prefix),
        key_hash: Set(generated.hash),
        scope: Set(input.scope.as_str().to_owned()),
        created_by: Set(principal.user().map(|u| u.id)),
        last_used_at: Set(None),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, principal, AuditEntry { resource: "api_keys", resource_id: Some(model.id), action: "create", version_before: None, version_after: None, details: None }).await?;
    txn.commit().await?;
    Ok(CreatedApiKey { key: record(model)?, secret: generated.secret })
}

/// Revokes a key: it stops working at once and stays listed.
pub async fn revoke(db: &DatabaseConnection, principal: &Principal, id: Uuid) -> Result<ApiKeyRecord, AppError> {
    require(principal, Resource::ApiKeys, Action::Delete)?;
    let txn = crate::db::begin_write(db).await?;
    let model = find(&txn, id).await?;
    let mut active = model.into_active_model();
    let at = now();
    active.revoked_at = Set(Some(at));
    active.updated_at = Set(at);
    let model = active.update(&txn).await?;
    audit::record(&txn, principal, AuditEntry { resource: "api_keys", resource_id: Some(id), action: "delete", version_before: None, version_after: None, details: None }).await?;
    txn.commit().await?;
    record(model)
}
