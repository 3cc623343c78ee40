//! Sectors, tags and key questions: the public vocabulary content is filed under.

mod write;

pub use write::{QuestionInput, Questions, SectorInput, Sectors, TagInput, Tags};

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use entity::{key_question, sector, tag};

use crate::domain::IdOrSlug;
use crate::error::AppError;
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::services::query::{find_one, page_by_columns};

/// A movement sector.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct SectorRecord {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Display order.
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; send it back (or the ETag as If-Match) to write this version.
    pub version: i32,
}

/// A tag.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct TagRecord {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; send it back (or the ETag as If-Match) to write this version.
    pub version: i32,
}

/// One of the publication's key questions.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct QuestionRecord {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub prompt: String,
    /// Display order.
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; send it back (or the ETag as If-Match) to write this version.
    pub version: i32,
}

impl From<sector::Model> for SectorRecord {
    fn from(m: sector::Model) -> Self {
        SectorRecord { id: m.id, slug: m.slug, name: m.name, description: m.description, position: m.position, created_at: m.created_at, updated_at: m.updated_at, version: m.version }
    }
}

impl From<tag::Model> for TagRecord {
    fn from(m: tag::Model) -> Self {
        TagRecord { id: m.id, slug: m.slug, name: m.name, created_at: m.created_at, updated_at: m.updated_at, version: m.version }
    }
}

impl From<key_question::Model> for QuestionRecord {
    fn from(m: key_question::Model) -> Self {
        QuestionRecord { id: m.id, slug: m.slug, title: m.title, prompt: m.prompt, position: m.position, created_at: m.created_at, updated_at: m.updated_at, version: m.version }
    }
}

const ID_SLUG: &[FilterField] = &[
    FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
    FilterField { name: "slug", aliases: &[], ty: FieldType::Text },
    FilterField { name: "created_at", aliases: &[], ty: FieldType::Timestamp },
    FilterField { name: "updated_at", aliases: &[], ty: FieldType::Timestamp },
];

/// List parameters for `/sectors`.
pub static SECTOR_SPEC: ResourceSpec = ResourceSpec {
    name: "sectors",
    filters: &[ID_SLUG, &[FilterField { name: "name", aliases: &[], ty: FieldType::Text }]],
    sorts: &["position", "name", "slug", "created_at", "updated_at", "id"],
    default_sort: &[Sort { field: "position", descending: false }],
    includes: &[],
    fields: &["slug", "name", "description", "position", "created_at", "updated_at", "version"],
    searchable: false,
    list_omits: &[],
};

/// List parameters for `/tags`.
pub static TAG_SPEC: ResourceSpec = ResourceSpec {
    name: "tags",
    filters: &[ID_SLUG, &[FilterField { name: "name", aliases: &[], ty: FieldType::Text }]],
    sorts: &["name", "slug", "created_at", "updated_at", "id"],
    default_sort: &[Sort { field: "name", descending: false }],
    includes: &[],
    fields: &["slug", "name", "created_at", "updated_at", "version"],
    searchable: false,
    list_omits: &[],
};

/// List parameters for `/questions`.
pub static QUESTION_SPEC: ResourceSpec = ResourceSpec {
    name: "questions",
    filters: &[ID_SLUG, &[FilterField { name: "title", aliases: &[], ty: FieldType::Text }]],
    sorts: &["position", "title", "slug", "created_at", "updated_at", "id"],
    default_sort: &[Sort { field: "position", descending: false }],
    includes: &[],
    fields: &["slug", "title", "prompt", "position", "created_at", "updated_at", "version"],
    searchable: false,
    list_omits: &[],
};

/// A page of records of one of the three tables.
async fn list<E, R>(db: &impl ConnectionTrait, query: &ListQuery) -> Result<Page<R>, AppError>
where
    E: EntityTrait<Model: Sync + Into<R>, Column: std::str::FromStr>,
{
    let page = page_by_columns(db, E::find(), query, |_| None).await?;
    Ok(Page { items: page.items.into_iter().map(Into::into).collect(), total: page.total })
}

/// One record of one of the three tables, by id or slug.
async fn get<E, R>(db: &impl ConnectionTrait, id: E::Column, slug: E::Column, key: &IdOrSlug, resource: &'static str) -> Result<R, AppError>
where
    E: EntityTrait<Model: Into<R>>,
{
    find_one(db, E::find(), id, slug, key).await?.map(Into::into).ok_or(AppError::NotFound { resource })
}

/// Lists sectors.
pub async fn list_sectors(db: &impl ConnectionTrait, query: &ListQuery) -> Result<Page<SectorRecord>, AppError> {
    list::<sector::Entity, _>(db, query).await
}

/// Finds a sector by id or slug.
pub async fn get_sector(db: &impl ConnectionTrait, key: &IdOrSlug) -> Result<SectorRecord, AppError> {
    get::<sector::Entity, _>(db, sector::Column::Id, sector::Column::Slug, key, "sector").await
}

/// Lists tags.
pub async fn list_tags(db: &impl ConnectionTrait, query: &ListQuery) -> Result<Page<TagRecord>, AppError> {
    list::<tag::Entity, _>(db, query).await
}

/// Finds a tag by id or slug.
pub async fn get_tag(db: &impl ConnectionTrait, key: &IdOrSlug) -> Result<TagRecord, AppError> {
    get::<tag::Entity, _>(db, tag::Column::Id, tag::Column::Slug, key, "tag").await
}

/// Lists key questions.
pub async fn list_questions(db: &impl ConnectionTrait, query: &ListQuery) -> Result<Page<QuestionRecord>, AppError> {
    list::<key_question::Entity, _>(db, query).await
}

/// Finds a key question by id or slug.
pub async fn get_question(db: &impl ConnectionTrait, key: &IdOrSlug) -> Result<QuestionRecord, AppError> {
    get::<key_question::Entity, _>(db, key_question::Column::Id, key_question::Column::Slug, key, "key question").await
}

/// Loads sectors by id, keyed by id.
pub async fn sectors_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, SectorRecord>, AppError> {
    let rows = sector::Entity::find().filter(sector::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|m| (m.id, m.into())).collect())
}

/// Loads tags by id, keyed by id.
pub async fn tags_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, TagRecord>, AppError> {
    let rows = tag::Entity::find().filter(tag::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|m| (m.id, m.into())).collect())
}

/// Loads key questions by id, keyed by id.
pub async fn questions_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, QuestionRecord>, AppError> {
    let rows = key_question::Entity::find().filter(key_question::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|m| (m.id, m.into())).collect())
}
