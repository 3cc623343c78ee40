//! Revisions: the saved versions of a content item, their field-level differences, and who
//! may read them.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use entity::{content_item, revision};

use crate::domain::{ContentKind, ContentStatus};
use crate::error::AppError;
use crate::policy::{Action, ItemFacts, Principal, authorize, content_visibility};

/// One saved version of an item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "Revision"))]
pub struct RevisionRecord {
    pub id: Uuid,
    pub content_id: Uuid,
    pub kind: ContentKind,
    pub version: i32,
    /// What the save was (`create`, `update`, `publish`, `restore_revision`…).
    pub note: Option<String>,
    pub author_user_id: Option<Uuid>,
    pub author_api_key_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// The whole item as it was (only on single revisions).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "adapters", schema(value_type = Option<Object>))]
    pub snapshot: Option<Value>,
}

/// One changed field between two revisions.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    #[cfg_attr(feature = "adapters", schema(value_type = Object))]
    pub before: Value,
    #[cfg_attr(feature = "adapters", schema(value_type = Object))]
    pub after: Value,
}

/// The differences between two revisions of one item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct RevisionDiff {
    pub content_id: Uuid,
    pub from_revision: Uuid,
    pub from_version: i32,
    pub to_revision: Uuid,
    pub to_version: i32,
    pub changes: Vec<FieldChange>,
}

/// Fields that change with every save and say nothing about the content.
const BOOKKEEPING: &[&str] = &["version", "updated_at"];

/// Loads an item for a revision read: the caller must be allowed to read its drafts.
async fn readable_item(db: &impl ConnectionTrait, principal: &Principal, id: Uuid) -> Result<(content_item::Model, ContentKind), AppError> {
    let model = content_item::Entity::find()
        .filter(content_item::Column::Id.eq(id))
        .filter(content_visibility(principal, None))
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "content item" })?;
    let kind = ContentKind::stored(&model.kind)?;
    let facts = ItemFacts {
        created_by: model.created_by,
        author_ids: super::content::author_ids(db, id).await?,
        sector_ids: super::content::sector_ids(db, id).await?,
        status: ContentStatus::stored(&model.status)?,
    };
    authorize(principal, kind, Action::Read, &facts)?;
    Ok((model, kind))
}

fn record(r: revision::Model, kind: ContentKind, with_snapshot: bool) -> RevisionRecord {
    RevisionRecord {
        id: r.id,
        content_id: r.content_id,
        kind,
        version: r.version,
        note: r.note,
        author_user_id: r.author_user_id,
        author_api_key_id: r.author_api_key_id,
        created_at: r.created_at,
        snapshot: with_snapshot.then_some(r.snapshot),
    }
}

/// The revisions of an item of `kind`, oldest first.
pub async fn list(db: &impl ConnectionTrait, principal: &Principal, kind: ContentKind, id: Uuid) -> Result<Vec<RevisionRecord>, AppError> {
    let (_, item_kind) = readable_item(db, principal, id).await?;
    if item_kind != kind {
        return Err(AppError::NotFound { resource: "content item" });
    }
    let rows = revision::Entity::find()
        .filter(revision::Column::ContentId.eq(id))
        .order_by_asc(revision::Column::Version)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| record(r, kind, false)).collect())
}

async fn find(db: &impl ConnectionTrait, principal: &Principal, id: Uuid) -> Result<(revision::Model, ContentKind), AppError> {
    let row = revision::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound { resource: "revision" })?;
    let (_, kind) = readable_item(db, principal, row.content_id).await.map_err(|e| match e {
        AppError::NotFound { .. } => AppError::NotFound { resource: "revision" },
        other => other,
    })?;
    Ok((row, kind))
}

/// One revision with its snapshot.
pub async fn get(db: &impl ConnectionTrait, principal: &Principal, id: Uuid) -> Result<RevisionRecord, AppError> {
    let (row, kind) = find(db, principal, id).await?;
    Ok(record(row, kind, true))
}

/// The field-level differences from revision `id` to `against` (default: the one before it).
pub async fn diff(db: &impl ConnectionTrait, principal: &Principal, id: Uuid, against: Option<Uuid>) -> Result<RevisionDiff, AppError> {
    let (to, _) = find(db, principal, id).await?;
    let from = match against {
        Some(other) => {
            let (from, _) = find(db, principal, other).await?;
            if from.content_id != to.content_id {
                return Err(AppError::invalid_field("against", "is a revision of another item"));
            }
            from
        }
        None => revision::Entity::find()
            .filter(revision::Column::ContentId.eq(to.content_id))
            .filter(revision::Column::Version.lt(to.version))
            .order_by_desc(revision::Column::Version)
            .one(db)
            .await?
            .unwrap_or_else(|| to.clone()),
    };
    let empty = serde_json::Map::new();
    let before = from.snapshot.as_object().unwrap_or(&empty);
    let after = to.snapshot.as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = before.keys().chain(after.keys()).collect();
    fields.sort();
    fields.dedup();
    let changes = fields
        .into_iter()
        .filter(|f| !BOOKKEEPING.contains(&f.as_str()))
        .filter_map(|field| {
            let b = before.get(field).cloned().unwrap_or(Value::Null);
            let a = after.get(field).cloned().unwrap_or(Value::Null);
            (b != a).then(|| FieldChange { field: field.clone(), before: b, after: a })
        })
        .collect();
    Ok(RevisionDiff {
        content_id: to.content_id,
        from_revision: from.id,
        from_version: from.version,
        to_revision: to.id,
        to_version: to.version,
        changes,
    })
}

/// The revisions of many items at once (oldest first), only for items whose history the caller
/// may read: four statements whatever the number of items.
pub async fn for_items(db: &impl ConnectionTrait, principal: &Principal, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, Vec<RevisionRecord>>, AppError> {
    use crate::services::link_map;
    use entity::{content_author, content_sector};
    use sea_orm::Condition;
    let items = content_item::Entity::find()
        .filter(content_item::Column::Id.is_in(ids.iter().copied()))
        .filter(content_visibility(principal, None))
        .all(db)
        .await?;
    let item_ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let mut authors = link_map::<content_author::Entity>(db, content_author::Column::ContentId, content_author::Column::EditorId, None, &item_ids, Condition::all()).await?;
    let mut sectors = link_map::<content_sector::Entity>(db, content_sector::Column::ContentId, content_sector::Column::SectorId, None, &item_ids, Condition::all()).await?;
    let mut allowed: std::collections::HashMap<Uuid, ContentKind> = std::collections::HashMap::new();
    for item in items {
        let kind = ContentKind::stored(&item.kind)?;
        let facts = ItemFacts {
            created_by: item.created_by,
            author_ids: authors.remove(&item.id).unwrap_or_default(),
            sector_ids: sectors.remove(&item.id).unwrap_or_default(),
            status: ContentStatus::stored(&item.status)?,
        };
        if authorize(principal, kind, Action::Read, &facts).is_ok() {
            allowed.insert(item.id, kind);
        }
    }
    let rows = revision::Entity::find()
        .filter(revision::Column::ContentId.is_in(allowed.keys().copied()))
        .order_by_asc(revision::Column::Version)
        .all(db)
        .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<RevisionRecord>> = std::collections::HashMap::new();
    for row in rows {
        if let Some(kind) = allowed.get(&row.content_id).copied() {
            out.entry(row.content_id).or_default().push(record(row, kind, false));
        }
    }
    Ok(out)
}
