//! Writing the catalog: sectors, tags, key questions, blogs and editor profiles.
//! Same rules as content: the policy decides, inputs are validated with per-field errors,
//! slugs are generated from names and kept unique, and every write is audited.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use entity::{blog, blog_blogger, content_author, content_item, editor, editor_sector, key_question, sector, tag};

use crate::clock::now;
use crate::domain::{IdOrSlug, Slug, TeamRole};
use crate::error::{AppError, FieldErrors, decode_json};
use crate::policy::{Action, Principal, Resource, require};
use crate::services::audit::{self, AuditEntry};
use crate::services::read_only::{self, ReadOnly};
use crate::services::blogs::{self, BlogRecord};
use crate::services::editors::{self, EditorRecord, ProfileLink};
use crate::services::taxonomy::{self, QuestionRecord, SectorRecord, TagRecord};

/// A sector as clients write it.
#[derive(Debug, Clone, Deserialize, ToSchema, async_graphql::InputObject)]
#[serde(deny_unknown_fields)]
pub struct SectorInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub name: String,
    #[serde(default)]
    #[graphql(default)]
    pub description: String,
    #[serde(default)]
    #[graphql(default)]
    pub position: i32,
}

/// A tag as clients write it.
#[derive(Debug, Clone, Deserialize, ToSchema, async_graphql::InputObject)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub name: String,
}

/// A key question as clients write it.
#[derive(Debug, Clone, Deserialize, ToSchema, async_graphql::InputObject)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    #[graphql(default)]
    pub prompt: String,
    #[serde(default)]
    #[graphql(default)]
    pub position: i32,
}

/// A blog as clients write it.
#[derive(Debug, Clone, Deserialize, ToSchema, async_graphql::InputObject)]
#[serde(deny_unknown_fields)]
pub struct BlogInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    #[graphql(default)]
    pub description: String,
    #[serde(default)]
    pub sector_id: Option<Uuid>,
    /// In display order.
    #[serde(default)]
    #[graphql(default)]
    pub blogger_ids: Vec<Uuid>,
}

/// An editor profile as clients write it.
#[derive(Debug, Clone, Deserialize, ToSchema, async_graphql::InputObject)]
#[serde(deny_unknown_fields)]
pub struct EditorInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub display_name: String,
    /// Markdown.
    #[serde(default)]
    #[graphql(default)]
    pub bio: String,
    pub team_role: TeamRole,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    #[graphql(default)]
    pub links: Vec<ProfileLink>,
    #[serde(default)]
    #[graphql(default)]
    pub sector_ids: Vec<Uuid>,
    /// Hidden profiles are seen only by those who manage profiles.
    #[serde(default = "visible_by_default")]
    #[graphql(default = true)]
    pub visible: bool,
}

fn visible_by_default() -> bool {
    true
}

const ID: ReadOnly = ReadOnly::Computed { name: "id", how: "the server gives every entry its id" };
const CREATED_AT: ReadOnly = ReadOnly::Computed { name: "created_at", how: "the server keeps it" };
const UPDATED_AT: ReadOnly = ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" };

/// The fields of each kind of entry that writes cannot set.
fn read_only_fields(kind: CatalogKind) -> &'static [ReadOnly] {
    match kind {
        CatalogKind::Sector | CatalogKind::Tag | CatalogKind::Question => &[ID, CREATED_AT, UPDATED_AT],
        CatalogKind::Blog => &[
            ID,
            CREATED_AT,
            UPDATED_AT,
            ReadOnly::Embed { name: "sector", ids: "sector_id", many: false },
            ReadOnly::Embed { name: "bloggers", ids: "blogger_ids", many: true },
        ],
        CatalogKind::Editor => &[ID, CREATED_AT, UPDATED_AT, ReadOnly::Embed { name: "sectors", ids: "sector_ids", many: true }],
    }
}

/// Reads a written body into an input. The read-only fields it echoes must match the stored
/// entry named by `key`, and a creation (`key` absent) may not set relations through embeds.
pub async fn input<T: serde::de::DeserializeOwned>(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: CatalogKind,
    key: Option<&IdOrSlug>,
    mut object: Map<String, Value>,
) -> Result<T, AppError> {
    // Catalog entries carry no version yet; generic forms may still send one.
    object.remove("version");
    let fields = read_only_fields(kind);
    let echoed = read_only::take(&mut object, fields);
    let stored = match key {
        Some(key) => Some(current(db, principal, kind, key).await?),
        None => None,
    };
    echoed.check(fields, stored.as_ref())?;
    decode_json(Value::Object(object))
}

fn text_rule(errors: &mut FieldErrors, field: &str, value: &str, min: usize, max: usize) {
    let length = value.trim().chars().count();
    if length < min {
        errors.entry(field.into()).or_default().push("is required".into());
    } else if value.chars().count() > max {
        errors.entry(field.into()).or_default().push(format!("at most {max} characters"));
    }
}

fn url_rule(errors: &mut FieldErrors, field: &str, value: &str) {
    let ok = (value.starts_with("https://") || value.starts_with("http://"))
        && value.split("://").nth(1).is_some_and(|h| !h.is_empty())
        && value.len() <= 2048
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        errors.entry(field.into()).or_default().push("must be an absolute http(s) URL".into());
    }
}

/// Picks the slug: the requested one if free, else one from `name` with a numeric suffix.
async fn pick_slug<E, C>(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    slug_column: C,
    id_column: C,
    requested: Option<&str>,
    name: &str,
    except: Option<Uuid>,
) -> Result<Option<Slug>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let taken = |candidate: String| {
        let mut select = E::find().filter(slug_column.eq(candidate));
        if let Some(id) = except {
            select = select.filter(id_column.ne(id));
        }
        async move { Ok::<bool, AppError>(select.count(db).await? > 0) }
    };
    match requested.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => match Slug::parse(raw) {
            None => {
                errors.entry("slug".into()).or_default().push("lower-case letters, digits and single hyphens".into());
                Ok(None)
            }
            Some(slug) if taken(slug.as_str().to_owned()).await? => {
                errors.entry("slug".into()).or_default().push("is already taken".into());
                Ok(None)
            }
            Some(slug) => Ok(Some(slug)),
        },
        None if except.is_some() => {
            // An update without a slug keeps the current one (links to it keep working).
            let current: Option<String> = E::find().filter(id_column.eq(except)).select_only().column(slug_column).into_tuple().one(db).await?;
            Ok(current.as_deref().and_then(Slug::parse))
        }
        None => {
            let Some(base) = Slug::from_title(name) else {
                errors.entry("slug".into()).or_default().push("cannot be made from the name; give one".into());
                return Ok(None);
            };
            let stem: String = base.as_str().chars().take(100).collect::<String>().trim_end_matches('-').to_owned();
            for n in 1..1000 {
                let candidate = if n == 1 { base.as_str().to_owned() } else { format!("{stem}-{n}") };
                if !taken(candidate.clone()).await? {
                    return Ok(Slug::parse(&candidate));
                }
            }
            Ok(None)
        }
    }
}

fn done(errors: FieldErrors) -> Result<(), AppError> {
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation { errors }) }
}

async fn log(db: &impl ConnectionTrait, principal: &Principal, resource: Resource, id: Uuid, action: &str) -> Result<(), AppError> {
    audit::record(db, principal, AuditEntry { resource: resource.as_str(), resource_id: Some(id), action, version_before: None, version_after: None, details: None }).await
}

async fn existing_id<E: EntityTrait>(db: &impl ConnectionTrait, id_column: E::Column, slug_column: E::Column, key: &IdOrSlug, resource: &'static str) -> Result<Uuid, AppError> {
    let select = match key {
        IdOrSlug::Id(id) => E::find().filter(id_column.eq(*id)),
        IdOrSlug::Slug(slug) => E::find().filter(slug_column.eq(slug.as_str())),
    };
    let found: Option<Uuid> = select.select_only().column(id_column).into_tuple().one(db).await?;
    found.ok_or(AppError::NotFound { resource })
}

/// Creates or replaces a sector (`key` None creates).
pub async fn save_sector(db: &DatabaseConnection, principal: &Principal, key: Option<&IdOrSlug>, input: SectorInput) -> Result<SectorRecord, AppError> {
    require(principal, Resource::Sectors, if key.is_some() { Action::Update } else { Action::Create })?;
    let txn = crate::db::begin_write(db).await?;
    let id = match key {
        Some(key) => Some(existing_id::<sector::Entity>(&txn, sector::Column::Id, sector::Column::Slug, key, "sector").await?),
        None => None,
    };
    let mut errors = FieldErrors::new();
    text_rule(&mut errors, "name", &input.name, 1, 200);
    text_rule(&mut errors, "description", &input.description, 0, 5000);
    let slug = pick_slug::<sector::Entity, _>(&txn, &mut errors, sector::Column::Slug, sector::Column::Id, input.slug.as_deref(), &input.name, id).await?;
    done(errors)?;
    let slug = slug.ok_or_else(|| AppError::invalid_field("slug", "is required"))?;
    let at = now();
    let id = match id {
        Some(id) => {
            sector::Entity::update_many()
                .col_expr(sector::Column::Slug, Expr::value(slug.as_str()))
                .col_expr(sector::Column::Name, Expr::value(input.name.trim()))
                .col_expr(sector::Column::Description, Expr::value(input.description.clone()))
                .col_expr(sector::Column::Position, Expr::value(input.position))
                .col_expr(sector::Column::UpdatedAt, Expr::value(at))
                .filter(sector::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            log(&txn, principal, Resource::Sectors, id, "update").await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            sector::Entity::insert(sector::ActiveModel {
                id: Set(id), slug: Set(slug.as_str().to_owned()), name: Set(input.name.trim().to_owned()),
                description: Set(input.description.clone()), position: Set(input.position), created_at: Set(at), updated_at: Set(at),
            })
            .exec(&txn)
            .await?;
            log(&txn, principal, Resource::Sectors, id, "create").await?;
            id
        }
    };
    let record = taxonomy::get_sector(&txn, &IdOrSlug::Id(id)).await?;
    txn.commit().await?;
    Ok(record)
}

/// Creates or replaces a tag.
pub async fn save_tag(db: &DatabaseConnection, principal: &Principal, key: Option<&IdOrSlug>, input: TagInput) -> Result<TagRecord, AppError> {
    require(principal, Resource::Tags, if key.is_some() { Action::Update } else { Action::Create })?;
    let txn = crate::db::begin_write(db).await?;
    let id = match key {
        Some(key) => Some(existing_id::<tag::Entity>(&txn, tag::Column::Id, tag::Column::Slug, key, "tag").await?),
        None => None,
    };
    let mut errors = FieldErrors::new();
    text_rule(&mut errors, "name", &input.name, 1, 200);
    let slug = pick_slug::<tag::Entity, _>(&txn, &mut errors, tag::Column::Slug, tag::Column::Id, input.slug.as_deref(), &input.name, id).await?;
    done(errors)?;
    let slug = slug.ok_or_else(|| AppError::invalid_field("slug", "is required"))?;
    let at = now();
    let id = match id {
        Some(id) => {
            tag::Entity::update_many()
                .col_expr(tag::Column::Slug, Expr::value(slug.as_str()))
                .col_expr(tag::Column::Name, Expr::value(input.name.trim()))
                .col_expr(tag::Column::UpdatedAt, Expr::value(at))
                .filter(tag::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            log(&txn, principal, Resource::Tags, id, "update").await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            tag::Entity::insert(tag::ActiveModel {
                id: Set(id), slug: Set(slug.as_str().to_owned()), name: Set(input.name.trim().to_owned()), created_at: Set(at), updated_at: Set(at),
            })
            .exec(&txn)
            .await?;
            log(&txn, principal, Resource::Tags, id, "create").await?;
            id
        }
    };
    let record = taxonomy::get_tag(&txn, &IdOrSlug::Id(id)).await?;
    txn.commit().await?;
    Ok(record)
}

/// Creates or replaces a key question.
pub async fn save_question(db: &DatabaseConnection, principal: &Principal, key: Option<&IdOrSlug>, input: QuestionInput) -> Result<QuestionRecord, AppError> {
    require(principal, Resource::Questions, if key.is_some() { Action::Update } else { Action::Create })?;
    let txn = crate::db::begin_write(db).await?;
    let id = match key {
        Some(key) => Some(existing_id::<key_question::Entity>(&txn, key_question::Column::Id, key_question::Column::Slug, key, "key question").await?),
        None => None,
    };
    let mut errors = FieldErrors::new();
    text_rule(&mut errors, "title", &input.title, 1, 200);
    text_rule(&mut errors, "prompt", &input.prompt, 0, 5000);
    let slug = pick_slug::<key_question::Entity, _>(&txn, &mut errors, key_question::Column::Slug, key_question::Column::Id, input.slug.as_deref(), &input.title, id).await?;
    done(errors)?;
    let slug = slug.ok_or_else(|| AppError::invalid_field("slug", "is required"))?;
    let at = now();
    let id = match id {
        Some(id) => {
            key_question::Entity::update_many()
                .col_expr(key_question::Column::Slug, Expr::value(slug.as_str()))
                .col_expr(key_question::Column::Title, Expr::value(input.title.trim()))
                .col_expr(key_question::Column::Prompt, Expr::value(input.prompt.clone()))
                .col_expr(key_question::Column::Position, Expr::value(input.position))
                .col_expr(key_question::Column::UpdatedAt, Expr::value(at))
                .filter(key_question::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            log(&txn, principal, Resource::Questions, id, "update").await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            key_question::Entity::insert(key_question::ActiveModel {
                id: Set(id), slug: Set(slug.as_str().to_owned()), title: Set(input.title.trim().to_owned()),
                prompt: Set(input.prompt.clone()), position: Set(input.position), created_at: Set(at), updated_at: Set(at),
            })
            .exec(&txn)
            .await?;
            log(&txn, principal, Resource::Questions, id, "create").await?;
            id
        }
    };
    let record = taxonomy::get_question(&txn, &IdOrSlug::Id(id)).await?;
    txn.commit().await?;
    Ok(record)
}

async fn check_editors(db: &impl ConnectionTrait, errors: &mut FieldErrors, field: &str, ids: &[Uuid]) -> Result<(), AppError> {
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != ids.len() {
        errors.entry(field.into()).or_default().push("lists an id twice".into());
    }
    if editor::Entity::find().filter(editor::Column::Id.is_in(unique.clone())).count(db).await? as usize != unique.len() {
        errors.entry(field.into()).or_default().push("names an editor that does not exist".into());
    }
    Ok(())
}

async fn check_sectors(db: &impl ConnectionTrait, errors: &mut FieldErrors, field: &str, ids: &[Uuid]) -> Result<(), AppError> {
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != ids.len() {
        errors.entry(field.into()).or_default().push("lists an id twice".into());
    }
    if sector::Entity::find().filter(sector::Column::Id.is_in(unique.clone())).count(db).await? as usize != unique.len() {
        errors.entry(field.into()).or_default().push("names a sector that does not exist".into());
    }
    Ok(())
}

/// Creates or replaces a blog with its bloggers.
pub async fn save_blog(db: &DatabaseConnection, principal: &Principal, key: Option<&IdOrSlug>, input: BlogInput) -> Result<BlogRecord, AppError> {
    require(principal, Resource::Blogs, if key.is_some() { Action::Update } else { Action::Create })?;
    let txn = crate::db::begin_write(db).await?;
    let id = match key {
        Some(key) => Some(existing_id::<blog::Entity>(&txn, blog::Column::Id, blog::Column::Slug, key, "blog").await?),
        None => None,
    };
    let mut errors = FieldErrors::new();
    text_rule(&mut errors, "title", &input.title, 1, 200);
    text_rule(&mut errors, "description", &input.description, 0, 5000);
    check_editors(&txn, &mut errors, "blogger_ids", &input.blogger_ids).await?;
    check_sectors(&txn, &mut errors, "sector_id", &input.sector_id.into_iter().collect::<Vec<_>>()).await?;
    let slug = pick_slug::<blog::Entity, _>(&txn, &mut errors, blog::Column::Slug, blog::Column::Id, input.slug.as_deref(), &input.title, id).await?;
    done(errors)?;
    let slug = slug.ok_or_else(|| AppError::invalid_field("slug", "is required"))?;
    let at = now();
    let id = match id {
        Some(id) => {
            blog::Entity::update_many()
                .col_expr(blog::Column::Slug, Expr::value(slug.as_str()))
                .col_expr(blog::Column::Title, Expr::value(input.title.trim()))
                .col_expr(blog::Column::Description, Expr::value(input.description.clone()))
                .col_expr(blog::Column::SectorId, Expr::value(input.sector_id))
                .col_expr(blog::Column::UpdatedAt, Expr::value(at))
                .filter(blog::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            log(&txn, principal, Resource::Blogs, id, "update").await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            blog::Entity::insert(blog::ActiveModel {
                id: Set(id), slug: Set(slug.as_str().to_owned()), title: Set(input.title.trim().to_owned()),
                description: Set(input.description.clone()), sector_id: Set(input.sector_id), created_at: Set(at), updated_at: Set(at),
            })
            .exec(&txn)
            .await?;
            log(&txn, principal, Resource::Blogs, id, "create").await?;
            id
        }
    };
    blog_blogger::Entity::delete_many().filter(blog_blogger::Column::BlogId.eq(id)).exec(&txn).await?;
    if !input.blogger_ids.is_empty() {
        blog_blogger::Entity::insert_many(input.blogger_ids.iter().enumerate().map(|(i, e)| blog_blogger::ActiveModel {
            blog_id: Set(id),
            editor_id: Set(*e),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            created_at: Set(at),
            updated_at: Set(at),
        }))
        .exec(&txn)
        .await?;
    }
    let (record, _) = blogs::get(&txn, principal, &IdOrSlug::Id(id), &[]).await?;
    txn.commit().await?;
    Ok(record)
}

/// Creates or replaces an editor profile with its sectors.
pub async fn save_editor(db: &DatabaseConnection, principal: &Principal, key: Option<&IdOrSlug>, input: EditorInput) -> Result<EditorRecord, AppError> {
    require(principal, Resource::Editors, if key.is_some() { Action::Update } else { Action::Create })?;
    let txn = crate::db::begin_write(db).await?;
    let id = match key {
        Some(key) => Some(existing_id::<editor::Entity>(&txn, editor::Column::Id, editor::Column::Slug, key, "editor").await?),
        None => None,
    };
    let mut errors = FieldErrors::new();
    text_rule(&mut errors, "display_name", &input.display_name, 1, 200);
    text_rule(&mut errors, "bio", &input.bio, 0, 10_000);
    if let Some(url) = &input.avatar_url {
        url_rule(&mut errors, "avatar_url", url);
    }
    if input.links.len() > 20 {
        errors.entry("links".into()).or_default().push("at most 20 links".into());
    }
    for (i, link) in input.links.iter().enumerate() {
        text_rule(&mut errors, &format!("links[{i}].label"), &link.label, 1, 100);
        url_rule(&mut errors, &format!("links[{i}].url"), &link.url);
    }
    check_sectors(&txn, &mut errors, "sector_ids", &input.sector_ids).await?;
    let slug = pick_slug::<editor::Entity, _>(&txn, &mut errors, editor::Column::Slug, editor::Column::Id, input.slug.as_deref(), &input.display_name, id).await?;
    done(errors)?;
    let slug = slug.ok_or_else(|| AppError::invalid_field("slug", "is required"))?;
    let at = now();
    let links = serde_json::to_value(&input.links).map_err(|e| AppError::Internal(e.into()))?;
    let id = match id {
        Some(id) => {
            editor::Entity::update_many()
                .col_expr(editor::Column::Slug, Expr::value(slug.as_str()))
                .col_expr(editor::Column::DisplayName, Expr::value(input.display_name.trim()))
                .col_expr(editor::Column::Bio, Expr::value(input.bio.clone()))
                .col_expr(editor::Column::TeamRole, Expr::value(input.team_role.as_str()))
                .col_expr(editor::Column::AvatarUrl, Expr::value(input.avatar_url.clone()))
                .col_expr(editor::Column::Links, Expr::value(links))
                .col_expr(editor::Column::Visible, Expr::value(input.visible))
                .col_expr(editor::Column::UpdatedAt, Expr::value(at))
                .filter(editor::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            log(&txn, principal, Resource::Editors, id, "update").await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            editor::Entity::insert(editor::ActiveModel {
                id: Set(id), slug: Set(slug.as_str().to_owned()), display_name: Set(input.display_name.trim().to_owned()),
                bio: Set(input.bio.clone()), team_role: Set(input.team_role.as_str().to_owned()), avatar_url: Set(input.avatar_url.clone()),
                links: Set(links), visible: Set(input.visible), user_id: Set(None), created_at: Set(at), updated_at: Set(at),
            })
            .exec(&txn)
            .await?;
            log(&txn, principal, Resource::Editors, id, "create").await?;
            id
        }
    };
    editor_sector::Entity::delete_many().filter(editor_sector::Column::EditorId.eq(id)).exec(&txn).await?;
    if !input.sector_ids.is_empty() {
        editor_sector::Entity::insert_many(input.sector_ids.iter().map(|s| editor_sector::ActiveModel {
            editor_id: Set(id),
            sector_id: Set(*s),
            created_at: Set(at),
            updated_at: Set(at),
        }))
        .exec(&txn)
        .await?;
    }
    let (record, _) = editors::get(&txn, principal, &IdOrSlug::Id(id), false).await?;
    txn.commit().await?;
    Ok(record)
}

/// What a catalog resource is, for deletes and the fields writes cannot set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogKind {
    Sector,
    Tag,
    Question,
    Blog,
    Editor,
}

/// Deletes a catalog entry, refusing with 409 while content still depends on it.
pub async fn delete(db: &DatabaseConnection, principal: &Principal, kind: CatalogKind, key: &IdOrSlug) -> Result<serde_json::Value, AppError> {
    let resource = match kind {
        CatalogKind::Sector => Resource::Sectors,
        CatalogKind::Tag => Resource::Tags,
        CatalogKind::Question => Resource::Questions,
        CatalogKind::Blog => Resource::Blogs,
        CatalogKind::Editor => Resource::Editors,
    };
    require(principal, resource, Action::Delete)?;
    let txn = crate::db::begin_write(db).await?;
    let (id, record): (Uuid, Value) = match kind {
        CatalogKind::Sector => {
            let r = taxonomy::get_sector(&txn, key).await?;
            // Removing a sector would silently widen sector-scoped permissions: refuse while used.
            let used = entity::content_sector::Entity::find().filter(entity::content_sector::Column::SectorId.eq(r.id)).count(&txn).await?
                + entity::user_sector::Entity::find().filter(entity::user_sector::Column::SectorId.eq(r.id)).count(&txn).await?
                + entity::editor_sector::Entity::find().filter(entity::editor_sector::Column::SectorId.eq(r.id)).count(&txn).await?
                + blog::Entity::find().filter(blog::Column::SectorId.eq(r.id)).count(&txn).await?;
            if used > 0 {
                return Err(AppError::Conflict { code: "in_use", detail: "content, blogs, profiles or accounts still use this sector".into() });
            }
            (r.id, to_json(&r)?)
        }
        CatalogKind::Tag => {
            let r = taxonomy::get_tag(&txn, key).await?;
            if entity::content_tag::Entity::find().filter(entity::content_tag::Column::TagId.eq(r.id)).count(&txn).await? > 0 {
                return Err(AppError::Conflict { code: "in_use", detail: "content is still tagged with this tag".into() });
            }
            (r.id, to_json(&r)?)
        }
        CatalogKind::Question => {
            let r = taxonomy::get_question(&txn, key).await?;
            if content_item::Entity::find().filter(content_item::Column::QuestionId.eq(r.id)).count(&txn).await? > 0 {
                return Err(AppError::Conflict { code: "in_use", detail: "content still answers this question".into() });
            }
            (r.id, to_json(&r)?)
        }
        CatalogKind::Blog => {
            let (r, _) = blogs::get(&txn, principal, key, &[]).await?;
            if content_item::Entity::find().filter(content_item::Column::BlogId.eq(r.id)).count(&txn).await? > 0 {
                return Err(AppError::Conflict { code: "in_use", detail: "the blog still has posts".into() });
            }
            (r.id, to_json(&r)?)
        }
        CatalogKind::Editor => {
            let (r, _) = editors::get(&txn, principal, key, false).await?;
            if content_author::Entity::find().filter(content_author::Column::EditorId.eq(r.id)).count(&txn).await? > 0 {
                return Err(AppError::Conflict { code: "in_use", detail: "the editor is still credited as an author".into() });
            }
            (r.id, to_json(&r)?)
        }
    };
    match kind {
        CatalogKind::Sector => sector::Entity::delete_by_id(id).exec(&txn).await?,
        CatalogKind::Tag => tag::Entity::delete_by_id(id).exec(&txn).await?,
        CatalogKind::Question => key_question::Entity::delete_by_id(id).exec(&txn).await?,
        CatalogKind::Blog => blog::Entity::delete_by_id(id).exec(&txn).await?,
        CatalogKind::Editor => editor::Entity::delete_by_id(id).exec(&txn).await?,
    };
    log(&txn, principal, resource, id, "delete").await?;
    txn.commit().await?;
    Ok(record)
}

fn to_json(record: &impl serde::Serialize) -> Result<Value, AppError> {
    serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))
}

/// The current record as JSON, the base a merge patch applies to.
pub async fn current(db: &DatabaseConnection, principal: &Principal, kind: CatalogKind, key: &IdOrSlug) -> Result<Map<String, Value>, AppError> {
    let value = match kind {
        CatalogKind::Sector => to_json(&taxonomy::get_sector(db, key).await?)?,
        CatalogKind::Tag => to_json(&taxonomy::get_tag(db, key).await?)?,
        CatalogKind::Question => to_json(&taxonomy::get_question(db, key).await?)?,
        CatalogKind::Blog => to_json(&blogs::get(db, principal, key, &[]).await?.0)?,
        CatalogKind::Editor => to_json(&editors::get(db, principal, key, false).await?.0)?,
    };
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(AppError::Internal(anyhow::anyhow!("record is not an object"))),
    }
}
