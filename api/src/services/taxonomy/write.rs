//! Writing sectors, tags and key questions through the catalog skeleton.

use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::Deserialize;
use uuid::Uuid;

use entity::{blog, content_item, content_sector, content_tag, editor_sector, key_question, sector, tag, user_sector};

use super::{QuestionRecord, SectorRecord, TagRecord, get_question, get_sector, get_tag};
use crate::domain::IdOrSlug;
use crate::error::{AppError, FieldErrors};
use crate::policy::{Principal, Resource};
use crate::services::catalog::{CatalogEntry, catalog_columns, referenced};
use crate::services::changes::RecordKind;
use crate::services::write::versioned;
use crate::services::validate::text;

/// A sector as clients write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct SectorInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub description: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub position: i32,
}

/// A tag as clients write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub name: String,
}

/// A key question as clients write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub prompt: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub position: i32,
}

versioned!(SectorRecord, TagRecord, QuestionRecord);

/// The sectors writes.
pub struct Sectors;

impl CatalogEntry for Sectors {
    type Entity = sector::Entity;
    type Input = SectorInput;
    type Record = SectorRecord;
    const RESOURCE: Resource = Resource::Sectors;
    const NAME: &'static str = "sector";
    const KIND: RecordKind = RecordKind::Sector;
    catalog_columns!(sector);

    async fn records(_: &DatabaseConnection, _: &Principal, models: Vec<sector::Model>) -> Result<Vec<SectorRecord>, AppError> {
        Ok(models.into_iter().map(Into::into).collect())
    }

    async fn get(txn: &DatabaseTransaction, _: &Principal, key: &IdOrSlug) -> Result<SectorRecord, AppError> {
        get_sector(txn, key).await
    }

    async fn check<'a>(_: &DatabaseTransaction, _: &Principal, input: &'a SectorInput, errors: &mut FieldErrors) -> Result<(Option<&'a str>, &'a str), AppError> {
        text(errors, "name", &input.name, true, 200);
        text(errors, "description", &input.description, false, 5000);
        Ok((input.slug.as_deref(), &input.name))
    }

    fn row(input: &SectorInput) -> Result<sector::ActiveModel, AppError> {
        Ok(sector::ActiveModel {
            name: Set(input.name.trim().to_owned()),
            description: Set(input.description.clone()),
            position: Set(input.position),
            ..Default::default()
        })
    }

    async fn in_use(txn: &DatabaseTransaction, id: Uuid) -> Result<Option<&'static str>, AppError> {
        // Removing a sector would silently widen sector-scoped permissions: refuse while used.
        let used = referenced::<content_sector::Entity>(txn, content_sector::Column::SectorId, id).await?
            || referenced::<user_sector::Entity>(txn, user_sector::Column::SectorId, id).await?
            || referenced::<editor_sector::Entity>(txn, editor_sector::Column::SectorId, id).await?
            || referenced::<blog::Entity>(txn, blog::Column::SectorId, id).await?;
        Ok(used.then_some("content, blogs, profiles or accounts still use this sector"))
    }
}

/// The tags writes.
pub struct Tags;

impl CatalogEntry for Tags {
    type Entity = tag::Entity;
    type Input = TagInput;
    type Record = TagRecord;
    const RESOURCE: Resource = Resource::Tags;
    const NAME: &'static str = "tag";
    const KIND: RecordKind = RecordKind::Tag;
    catalog_columns!(tag);

    async fn records(_: &DatabaseConnection, _: &Principal, models: Vec<tag::Model>) -> Result<Vec<TagRecord>, AppError> {
        Ok(models.into_iter().map(Into::into).collect())
    }

    async fn get(txn: &DatabaseTransaction, _: &Principal, key: &IdOrSlug) -> Result<TagRecord, AppError> {
        get_tag(txn, key).await
    }

    async fn check<'a>(_: &DatabaseTransaction, _: &Principal, input: &'a TagInput, errors: &mut FieldErrors) -> Result<(Option<&'a str>, &'a str), AppError> {
        text(errors, "name", &input.name, true, 200);
        Ok((input.slug.as_deref(), &input.name))
    }

    fn row(input: &TagInput) -> Result<tag::ActiveModel, AppError> {
        Ok(tag::ActiveModel { name: Set(input.name.trim().to_owned()), ..Default::default() })
    }

    async fn in_use(txn: &DatabaseTransaction, id: Uuid) -> Result<Option<&'static str>, AppError> {
        Ok(referenced::<content_tag::Entity>(txn, content_tag::Column::TagId, id).await?.then_some("content is still tagged with this tag"))
    }
}

/// The key questions writes.
pub struct Questions;

impl CatalogEntry for Questions {
    type Entity = key_question::Entity;
    type Input = QuestionInput;
    type Record = QuestionRecord;
    const RESOURCE: Resource = Resource::Questions;
    const NAME: &'static str = "key question";
    const KIND: RecordKind = RecordKind::Question;
    catalog_columns!(key_question);

    async fn records(_: &DatabaseConnection, _: &Principal, models: Vec<key_question::Model>) -> Result<Vec<QuestionRecord>, AppError> {
        Ok(models.into_iter().map(Into::into).collect())
    }

    async fn get(txn: &DatabaseTransaction, _: &Principal, key: &IdOrSlug) -> Result<QuestionRecord, AppError> {
        get_question(txn, key).await
    }

    async fn check<'a>(_: &DatabaseTransaction, _: &Principal, input: &'a QuestionInput, errors: &mut FieldErrors) -> Result<(Option<&'a str>, &'a str), AppError> {
        text(errors, "title", &input.title, true, 200);
        text(errors, "prompt", &input.prompt, false, 5000);
        Ok((input.slug.as_deref(), &input.title))
    }

    fn row(input: &QuestionInput) -> Result<key_question::ActiveModel, AppError> {
        Ok(key_question::ActiveModel {
            title: Set(input.title.trim().to_owned()),
            prompt: Set(input.prompt.clone()),
            position: Set(input.position),
            ..Default::default()
        })
    }

    async fn in_use(txn: &DatabaseTransaction, id: Uuid) -> Result<Option<&'static str>, AppError> {
        Ok(referenced::<content_item::Entity>(txn, content_item::Column::QuestionId, id).await?.then_some("content still answers this question"))
    }
}
