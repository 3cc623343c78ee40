//! Blogs: titled collections of blog posts with their bloggers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::{blog, blog_blogger, content_item, editor, sector};

use crate::domain::IdOrSlug;
use crate::error::AppError;
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::error::FieldErrors;
use crate::policy::{Principal, Resource, editor_visibility};
use crate::services::catalog::{CatalogEntry, catalog_columns, referenced};
use crate::services::changes::RecordKind;
use crate::services::write::versioned;
use crate::services::read_only::ReadOnly;
use crate::services::validate;
use crate::services::editors::{EditorRecord, linked_editor_visible};
use crate::services::query::{find_one, in_subquery, linked_to, page_by_columns, reference_ids};
use crate::services::taxonomy::SectorRecord;
use crate::services::{distinct_ids, editors, link_map, taxonomy};

/// A blog.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct BlogRecord {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub sector_id: Option<Uuid>,
    /// The blog's writers, in display order.
    pub blogger_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; send it back (or the ETag as If-Match) to write this version.
    pub version: i32,
}

/// Related records a blog list embeds on request.
#[derive(Debug, Default)]
pub struct BlogEmbeds {
    /// Sectors by id.
    pub sectors: HashMap<Uuid, SectorRecord>,
    /// Bloggers by id.
    pub bloggers: HashMap<Uuid, EditorRecord>,
}

/// List parameters for `/blogs`.
pub static BLOG_SPEC: ResourceSpec = ResourceSpec {
    name: "blogs",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "slug", aliases: &[], ty: FieldType::Text },
        FilterField { name: "title", aliases: &[], ty: FieldType::Text },
        FilterField { name: "sector", aliases: &["sector_id"], ty: FieldType::Reference },
        FilterField { name: "blogger", aliases: &["blogger_id"], ty: FieldType::Reference },
        FilterField { name: "created_at", aliases: &[], ty: FieldType::Timestamp },
        FilterField { name: "updated_at", aliases: &[], ty: FieldType::Timestamp },
    ]],
    sorts: &["title", "slug", "created_at", "updated_at", "id"],
    default_sort: &[Sort { field: "title", descending: false }],
    includes: &["sector", "bloggers"],
    fields: &["slug", "title", "description", "sector_id", "blogger_ids", "created_at", "updated_at", "version"],
    searchable: false,
    list_omits: &[],
};

/// Turns blog rows into records, loading their visible bloggers' ids in one statement.
pub async fn records(
    db: &impl ConnectionTrait,
    principal: &Principal,
    models: Vec<blog::Model>,
) -> Result<Vec<BlogRecord>, AppError> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut bloggers = link_map::<blog_blogger::Entity>(
        db,
        blog_blogger::Column::BlogId,
        blog_blogger::Column::EditorId,
        Some(blog_blogger::Column::Position),
        &ids,
        Condition::all().add(linked_editor_visible(principal, (blog_blogger::Entity, blog_blogger::Column::EditorId))),
    )
    .await?;
    Ok(models
        .into_iter()
        .map(|m| BlogRecord {
            blogger_ids: bloggers.remove(&m.id).unwrap_or_default(),
            id: m.id,
            slug: m.slug,
            title: m.title,
            description: m.description,
            sector_id: m.sector_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
        .collect())
}

/// Loads blogs by id, keyed by id.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, BlogRecord>, AppError> {
    let models = blog::Entity::find().filter(blog::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(records(db, principal, models).await?.into_iter().map(|r| (r.id, r)).collect())
}

async fn embeds(
    db: &impl ConnectionTrait,
    principal: &Principal,
    items: &[BlogRecord],
    include: &[&str],
) -> Result<BlogEmbeds, AppError> {
    let mut embeds = BlogEmbeds::default();
    if include.contains(&"sector") {
        let ids: Vec<Uuid> = items.iter().filter_map(|b| b.sector_id).collect();
        embeds.sectors = taxonomy::sectors_by_ids(db, &ids).await?;
    }
    if include.contains(&"bloggers") {
        let ids = distinct_ids(items.iter().map(|b| &b.blogger_ids));
        embeds.bloggers = editors::by_ids(db, principal, &ids).await?;
    }
    Ok(embeds)
}

/// Lists blogs.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    query: &ListQuery,
) -> Result<(Page<BlogRecord>, BlogEmbeds), AppError> {
    let page = page_by_columns(db, blog::Entity::find(), query, |f| match f.field {
        "sector" => Some(in_subquery(
            blog::Column::SectorId,
            f.op,
            reference_ids::<sector::Entity, _>(sector::Column::Id, sector::Column::Slug, &f.values, Condition::all()),
        )),
        "blogger" => {
            let (link, target) = (blog_blogger::Column::BlogId, blog_blogger::Column::EditorId);
            Some(linked_to::<blog_blogger::Entity, editor::Entity>(blog::Column::Id, link, target, editor::Column::Id, editor::Column::Slug, f, editor_visibility(principal)))
        }
        _ => None,
    })
    .await?;
    let items = records(db, principal, page.items).await?;
    let embeds = embeds(db, principal, &items, &query.include).await?;
    Ok((Page { items, total: page.total }, embeds))
}

/// Finds one blog by id or slug, with the embeds asked for.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    key: &IdOrSlug,
    include: &[&str],
) -> Result<(BlogRecord, BlogEmbeds), AppError> {
    let model = find_one(db, blog::Entity::find(), blog::Column::Id, blog::Column::Slug, key)
        .await?
        .ok_or(AppError::NotFound { resource: "blog" })?;
    let items = records(db, principal, vec![model]).await?;
    let embeds = embeds(db, principal, &items, include).await?;
    let item = items.into_iter().next().ok_or(AppError::NotFound { resource: "blog" })?;
    Ok((item, embeds))
}

/// A blog as clients write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct BlogInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub description: String,
    #[serde(default)]
    pub sector_id: Option<Uuid>,
    /// In display order.
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub blogger_ids: Vec<Uuid>,
}

versioned!(BlogRecord);

/// The blogs writes.
pub struct Blogs;

impl CatalogEntry for Blogs {
    type Entity = blog::Entity;
    type Input = BlogInput;
    type Record = BlogRecord;
    const RESOURCE: Resource = Resource::Blogs;
    const NAME: &'static str = "blog";
    const EMBEDS: &'static [ReadOnly] = &[
        ReadOnly::Embed { name: "sector", ids: "sector_id", many: false },
        ReadOnly::Embed { name: "bloggers", ids: "blogger_ids", many: true },
    ];
    const KIND: RecordKind = RecordKind::Blog;
    catalog_columns!(blog);

    async fn records(db: &DatabaseConnection, principal: &Principal, models: Vec<blog::Model>) -> Result<Vec<BlogRecord>, AppError> {
        records(db, principal, models).await
    }

    async fn get(txn: &DatabaseTransaction, principal: &Principal, key: &IdOrSlug) -> Result<BlogRecord, AppError> {
        Ok(get(txn, principal, key, &[]).await?.0)
    }

    async fn check<'a>(txn: &DatabaseTransaction, _: &Principal, input: &'a BlogInput, errors: &mut FieldErrors) -> Result<(Option<&'a str>, &'a str), AppError> {
        validate::text(errors, "title", &input.title, true, 200);
        validate::text(errors, "description", &input.description, false, 5000);
        validate::ids_exist(txn, errors, "blogger_ids", &input.blogger_ids, 50, editor::Entity::find(), editor::Column::Id, "an editor").await?;
        let sector: Vec<Uuid> = input.sector_id.into_iter().collect();
        validate::ids_exist(txn, errors, "sector_id", &sector, 1, sector::Entity::find(), sector::Column::Id, "a sector").await?;
        Ok((input.slug.as_deref(), &input.title))
    }

    fn row(input: &BlogInput) -> Result<blog::ActiveModel, AppError> {
        Ok(blog::ActiveModel {
            title: Set(input.title.trim().to_owned()),
            description: Set(input.description.clone()),
            sector_id: Set(input.sector_id),
            ..Default::default()
        })
    }

    async fn links(txn: &DatabaseTransaction, id: Uuid, input: &BlogInput, at: DateTime<Utc>) -> Result<(), AppError> {
        blog_blogger::Entity::delete_many().filter(blog_blogger::Column::BlogId.eq(id)).exec(txn).await?;
        if !input.blogger_ids.is_empty() {
            blog_blogger::Entity::insert_many(input.blogger_ids.iter().enumerate().map(|(i, editor_id)| blog_blogger::ActiveModel {
                blog_id: Set(id),
                editor_id: Set(*editor_id),
                position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                created_at: Set(at),
                updated_at: Set(at),
            }))
            .exec(txn)
            .await?;
        }
        Ok(())
    }

    async fn in_use(txn: &DatabaseTransaction, id: Uuid) -> Result<Option<&'static str>, AppError> {
        Ok(referenced::<content_item::Entity>(txn, content_item::Column::BlogId, id).await?.then_some("the blog still has posts"))
    }
}
