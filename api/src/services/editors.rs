//! Editor profiles: the public team, visible only when marked so.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, Query, SimpleExpr};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationDef, RelationTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::{blog_blogger, content_author, editor, editor_sector, sector};

use crate::domain::{IdOrSlug, TeamRole};
use crate::error::{AppError, FieldErrors};
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::policy::{Principal, Resource, editor_visibility};
use crate::services::catalog::{CatalogEntry, catalog_columns, referenced};
use crate::services::changes::RecordKind;
use crate::services::write::versioned;
use crate::services::read_only::ReadOnly;
use crate::services::validate;
use crate::services::query::{find_one, linked_to, page_by_columns};
use crate::services::taxonomy::SectorRecord;
use crate::services::{distinct_ids, link_map};

/// A link on an editor's profile.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[cfg_attr(feature = "adapters", graphql(name = "ProfileLinkInput"))]
pub struct ProfileLink {
    pub label: String,
    pub url: String,
}

/// A public team profile.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct EditorRecord {
    pub id: Uuid,
    pub slug: String,
    pub display_name: String,
    /// Markdown.
    pub bio: String,
    pub team_role: TeamRole,
    pub avatar_url: Option<String>,
    pub links: Vec<ProfileLink>,
    /// Sectors the editor is rooted in.
    pub sector_ids: Vec<Uuid>,
    /// Whether the public sees the profile.
    pub visible: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; send it back (or the ETag as If-Match) to write this version.
    pub version: i32,
}

/// A page of editors and the sectors `include=sectors` asked for.
#[derive(Debug, Default)]
pub struct EditorEmbeds {
    /// Sectors by id.
    pub sectors: HashMap<Uuid, SectorRecord>,
}


/// List parameters for `/editors`.
pub static EDITOR_SPEC: ResourceSpec = ResourceSpec {
    name: "editors",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "slug", aliases: &[], ty: FieldType::Text },
        FilterField { name: "display_name", aliases: &[], ty: FieldType::Text },
        FilterField { name: "team_role", aliases: &[], ty: FieldType::Enum(TeamRole::NAMES) },
        FilterField { name: "sector", aliases: &["sector_id"], ty: FieldType::Reference },
        FilterField { name: "created_at", aliases: &[], ty: FieldType::Timestamp },
        FilterField { name: "updated_at", aliases: &[], ty: FieldType::Timestamp },
    ]],
    sorts: &["display_name", "slug", "team_role", "created_at", "updated_at", "id"],
    default_sort: &[Sort { field: "display_name", descending: false }],
    includes: &["sectors"],
    fields: &["slug", "display_name", "bio", "team_role", "avatar_url", "links", "sector_ids", "visible", "created_at", "updated_at", "version"],
    searchable: false,
    list_omits: &[],
};

/// An editor's record; its sector ids in id order, so every read lists them alike.
fn record(m: editor::Model, mut sector_ids: Vec<Uuid>) -> Result<EditorRecord, AppError> {
    sector_ids.sort_unstable();
    let links = serde_json::from_value(m.links).map_err(|e| AppError::Internal(anyhow::anyhow!("editor {}: corrupt links: {e}", m.id)))?;
    let team_role = TeamRole::stored(&m.team_role)?;
    Ok(EditorRecord {
        id: m.id,
        slug: m.slug,
        display_name: m.display_name,
        bio: m.bio,
        team_role,
        avatar_url: m.avatar_url,
        links,
        sector_ids,
        visible: m.visible,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// Turns editor rows into records, loading their sector ids in one statement.
pub async fn records(db: &impl ConnectionTrait, models: Vec<editor::Model>) -> Result<Vec<EditorRecord>, AppError> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut sectors = link_map::<editor_sector::Entity>(
        db,
        editor_sector::Column::EditorId,
        editor_sector::Column::SectorId,
        None,
        &ids,
        Condition::all(),
    )
    .await?;
    models
        .into_iter()
        .map(|m| {
            let sector_ids = sectors.remove(&m.id).unwrap_or_default();
            record(m, sector_ids)
        })
        .collect()
}

/// Loads the visible editors among `ids`, keyed by id, with their sector ids: one statement,
/// a row per profile and sector (a page's authors have a sector or two each).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, EditorRecord>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sectors: RelationDef = editor_sector::Entity::belongs_to(editor::Entity)
        .from(editor_sector::Column::EditorId)
        .to(editor::Column::Id)
        .into();
    let rows = editor::Entity::find()
        .join_rev(JoinType::LeftJoin, sectors)
        .select_also(editor_sector::Entity)
        .filter(editor_visibility(principal))
        .filter(editor::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let mut profiles: HashMap<Uuid, (editor::Model, Vec<Uuid>)> = HashMap::new();
    for (profile, link) in rows {
        let (_, sector_ids) = profiles.entry(profile.id).or_insert_with(|| (profile, Vec::new()));
        sector_ids.extend(link.map(|l| l.sector_id));
    }
    profiles.into_iter().map(|(id, (profile, sector_ids))| Ok((id, record(profile, sector_ids)?))).collect()
}

/// `editors.id IN (visible editors)`: keeps hidden profiles out of author and blogger lists.
pub fn visible_editor_ids(principal: &Principal) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(editor::Column::Id)
        .from(editor::Entity)
        .cond_where(editor_visibility(principal))
        .take()
}

/// Whether the editor a link row names (`editor_id`, a qualified column) is one the caller may
/// see: a correlated `EXISTS`, so each linked editor is looked up by id (an `IN` over every
/// visible editor had SQLite probe the link table once per editor and item).
pub fn linked_editor_visible(principal: &Principal, editor_id: impl IntoColumnRef) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(editor::Entity)
            .cond_where(Condition::all().add(Expr::col((editor::Entity, editor::Column::Id)).equals(editor_id)).add(editor_visibility(principal)))
            .take(),
    )
}

/// Lists the editors the caller may see.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    query: &ListQuery,
) -> Result<(Page<EditorRecord>, EditorEmbeds), AppError> {
    let select = editor::Entity::find().filter(editor_visibility(principal));
    let page = page_by_columns(db, select, query, |f| {
        (f.field == "sector").then(|| {
            let (link, target) = (editor_sector::Column::EditorId, editor_sector::Column::SectorId);
            linked_to::<editor_sector::Entity, sector::Entity>(editor::Column::Id, link, target, sector::Column::Id, sector::Column::Slug, f, Condition::all())
        })
    })
    .await?;
    let items = records(db, page.items).await?;
    let mut embeds = EditorEmbeds::default();
    if query.includes("sectors") {
        let ids = distinct_ids(items.iter().map(|e| &e.sector_ids));
        embeds.sectors = crate::services::taxonomy::sectors_by_ids(db, &ids).await?;
    }
    Ok((Page { items, total: page.total }, embeds))
}

/// Finds one visible editor by id or slug, with the embeds asked for.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    key: &IdOrSlug,
    include_sectors: bool,
) -> Result<(EditorRecord, EditorEmbeds), AppError> {
    let select = editor::Entity::find().filter(editor_visibility(principal));
    let model = find_one(db, select, editor::Column::Id, editor::Column::Slug, key)
        .await?
        .ok_or(AppError::NotFound { resource: "editor" })?;
    let item = records(db, vec![model]).await?.into_iter().next().ok_or(AppError::NotFound { resource: "editor" })?;
    let mut embeds = EditorEmbeds::default();
    if include_sectors {
        embeds.sectors = crate::services::taxonomy::sectors_by_ids(db, &item.sector_ids).await?;
    }
    Ok((item, embeds))
}

/// An editor profile as clients write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct EditorInput {
    #[serde(default)]
    pub slug: Option<String>,
    pub display_name: String,
    /// Markdown.
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub bio: String,
    pub team_role: TeamRole,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub links: Vec<ProfileLink>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub sector_ids: Vec<Uuid>,
    /// Hidden profiles are seen only by those who manage profiles.
    #[serde(default = "visible_by_default")]
    #[cfg_attr(feature = "adapters", graphql(default = true))]
    pub visible: bool,
}

fn visible_by_default() -> bool {
    true
}

versioned!(EditorRecord);

/// The editor profile writes.
pub struct Editors;

impl CatalogEntry for Editors {
    type Entity = editor::Entity;
    type Input = EditorInput;
    type Record = EditorRecord;
    const RESOURCE: Resource = Resource::Editors;
    const NAME: &'static str = "editor";
    const EMBEDS: &'static [ReadOnly] = &[ReadOnly::Embed { name: "sectors", ids: "sector_ids", many: true }];
    const KIND: RecordKind = RecordKind::Editor;
    catalog_columns!(editor);

    fn is_public(record: &EditorRecord) -> bool {
        record.visible
    }

    fn readable(principal: &Principal) -> Condition {
        editor_visibility(principal)
    }

    async fn records(db: &DatabaseConnection, _: &Principal, models: Vec<editor::Model>) -> Result<Vec<EditorRecord>, AppError> {
        records(db, models).await
    }

    async fn get(txn: &DatabaseTransaction, principal: &Principal, key: &IdOrSlug) -> Result<EditorRecord, AppError> {
        Ok(get(txn, principal, key, false).await?.0)
    }

    async fn check<'a>(txn: &DatabaseTransaction, _: &Principal, input: &'a EditorInput, errors: &mut FieldErrors) -> Result<(Option<&'a str>, &'a str), AppError> {
        validate::text(errors, "display_name", &input.display_name, true, 200);
        validate::text(errors, "bio", &input.bio, false, 10_000);
        validate::optional_url(errors, "avatar_url", input.avatar_url.as_deref());
        if input.links.len() > 20 {
            validate::refuse(errors, "links", "at most 20 links");
        }
        for (i, link) in input.links.iter().enumerate() {
            validate::text(errors, &format!("links[{i}].label"), &link.label, true, 100);
            validate::url(errors, &format!("links[{i}].url"), &link.url);
        }
        validate::ids_exist(txn, errors, "sector_ids", &input.sector_ids, 50, sector::Entity::find(), sector::Column::Id, "a sector").await?;
        Ok((input.slug.as_deref(), &input.display_name))
    }

    fn row(input: &EditorInput) -> Result<editor::ActiveModel, AppError> {
        Ok(editor::ActiveModel {
            display_name: Set(input.display_name.trim().to_owned()),
            bio: Set(input.bio.clone()),
            team_role: Set(input.team_role.as_str().to_owned()),
            avatar_url: Set(input.avatar_url.clone()),
            links: Set(serde_json::to_value(&input.links).map_err(|e| AppError::Internal(e.into()))?),
            visible: Set(input.visible),
            ..Default::default()
        })
    }

    async fn links(txn: &DatabaseTransaction, id: Uuid, input: &EditorInput, at: DateTime<Utc>) -> Result<(), AppError> {
        editor_sector::Entity::delete_many().filter(editor_sector::Column::EditorId.eq(id)).exec(txn).await?;
        if !input.sector_ids.is_empty() {
            editor_sector::Entity::insert_many(input.sector_ids.iter().map(|sector_id| editor_sector::ActiveModel {
                editor_id: Set(id),
                sector_id: Set(*sector_id),
                created_at: Set(at),
                updated_at: Set(at),
            }))
            .exec(txn)
            .await?;
        }
        Ok(())
    }

    async fn in_use(txn: &DatabaseTransaction, id: Uuid) -> Result<Option<&'static str>, AppError> {
        if referenced::<content_author::Entity>(txn, content_author::Column::EditorId, id).await? {
            return Ok(Some("the editor is still credited as an author"));
        }
        let blogging = referenced::<blog_blogger::Entity>(txn, blog_blogger::Column::EditorId, id).await?;
        Ok(blogging.then_some("the editor still writes for a blog"))
    }
}
