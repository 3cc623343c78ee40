//! The audit log: who did what to which resource, and the versions before and after.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use entity::audit_log;

use crate::clock::now;
use crate::error::AppError;
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::policy::{Action, Principal, Resource, require};
use crate::services::query::page_by_columns;

/// One recorded write.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "AuditEntry"))]
pub struct AuditRecord {
    pub id: Uuid,
    /// The user who wrote, if a user did.
    pub actor_user_id: Option<Uuid>,
    /// The API key that wrote, if a key did.
    pub actor_api_key_id: Option<Uuid>,
    pub resource: String,
    pub resource_id: Option<Uuid>,
    pub action: String,
    pub version_before: Option<i32>,
    pub version_after: Option<i32>,
    #[cfg_attr(feature = "adapters", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// What one write changed, for the log.
pub struct AuditEntry<'a> {
    pub resource: &'a str,
    pub resource_id: Option<Uuid>,
    pub action: &'a str,
    pub version_before: Option<i32>,
    pub version_after: Option<i32>,
    pub details: Option<serde_json::Value>,
}

/// Records a write; call inside the write's transaction so both land or neither does.
pub async fn record(db: &impl ConnectionTrait, actor: &Principal, entry: AuditEntry<'_>) -> Result<(), AppError> {
    let (user, key) = match actor {
        Principal::User(user) => (Some(user.id), None),
        Principal::ApiKey { id, .. } => (None, Some(*id)),
        Principal::Anonymous | Principal::System => (None, None),
    };
    let at = now();
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_user_id: Set(user),
        actor_api_key_id: Set(key),
        resource: Set(entry.resource.to_owned()),
        resource_id: Set(entry.resource_id),
        action: Set(entry.action.to_owned()),
        version_before: Set(entry.version_before),
        version_after: Set(entry.version_after),
        details: Set(entry.details),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// List parameters for `/audit-log`.
pub static AUDIT_SPEC: ResourceSpec = ResourceSpec {
    name: "audit-log",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "actor_user_id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "actor_api_key_id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "resource", aliases: &[], ty: FieldType::Text },
        FilterField { name: "resource_id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "action", aliases: &[], ty: FieldType::Text },
        FilterField { name: "created_at", aliases: &[], ty: FieldType::Timestamp },
    ]],
    sorts: &["created_at", "resource", "action", "id"],
    default_sort: &[Sort { field: "created_at", descending: true }],
    includes: &[],
    fields: &["actor_user_id", "actor_api_key_id", "resource", "resource_id", "action", "version_before", "version_after", "details", "created_at"],
    searchable: false,
    list_omits: &[],
};

/// Lists audit entries, for those allowed to read the log.
pub async fn list(db: &impl ConnectionTrait, principal: &Principal, query: &ListQuery) -> Result<Page<AuditRecord>, AppError> {
    require(principal, Resource::AuditLog, Action::Read)?;
    let page = page_by_columns(db, audit_log::Entity::find(), query, |_| None).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|m| AuditRecord {
                id: m.id,
                actor_user_id: m.actor_user_id,
                actor_api_key_id: m.actor_api_key_id,
                resource: m.resource,
                resource_id: m.resource_id,
                action: m.action,
                version_before: m.version_before,
                version_after: m.version_after,
                details: m.details,
                created_at: m.created_at,
            })
            .collect(),
        total: page.total,
    })
}
