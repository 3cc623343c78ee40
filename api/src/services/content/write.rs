//! Writing content: create, replace, merge-patch, trash, restore, purge, and workflow transitions.
//! Every write checks the policy, runs in one transaction, bumps the version, stores a revision
//! and an audit entry, and refuses stale versions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,

};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use entity::{
    blog, content_author, content_body, content_item, content_sector, content_slug_redirect, content_tag, editor,
    key_question, revision, sector, tag,
};

use super::{ContentRecord, records, visible};
use crate::clock::now;
use crate::domain::{ContentKind, ContentStatus, Slug};
use crate::error::{AppError, FieldErrors};
use crate::policy::{Action, ItemFacts, Principal, authorize, editor_visibility};
use crate::rendering::render_markdown;
use crate::services::audit::{self, AuditEntry};
use crate::services::read_only::{self, ReadOnly};
use crate::services::{slug, validate};
use crate::services::write::{Precondition, Versioned, Written};

/// Fields the API computes or embeds. Clients may send them back as they read them (admin UIs
/// do); `version` is read apart, as the version the client last saw.
const READ_ONLY: &[ReadOnly] = &[
    ReadOnly::Computed { name: "id", how: "the server gives every item its id" },
    ReadOnly::Computed { name: "kind", how: "the collection written to sets it" },
    ReadOnly::Computed { name: "body_html", how: "write `body` (Markdown); the server renders it" },
    ReadOnly::Computed { name: "published_at", how: "the `publish` action sets it" },
    ReadOnly::Computed { name: "scheduled_at", how: "the `schedule` action sets it" },
    ReadOnly::Computed { name: "reading_time_minutes", how: "the server computes it from `body`" },
    ReadOnly::Computed { name: "word_count", how: "the server computes it from `body`" },
    ReadOnly::Computed { name: "created_at", how: "the server keeps it" },
    ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
    ReadOnly::Embed { name: "authors", ids: "author_ids", many: true },
    ReadOnly::Embed { name: "sectors", ids: "sector_ids", many: true },
    ReadOnly::Embed { name: "tags", ids: "tag_ids", many: true },
    ReadOnly::Embed { name: "blog", ids: "blog_id", many: false },
    ReadOnly::Embed { name: "question", ids: "question_id", many: false },
];

/// A content item as clients write it. Kind-specific fields are refused on other kinds.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, async_graphql::InputObject)]
#[serde(deny_unknown_fields)]
pub struct ContentInput {
    /// Generated from the title when absent.
    #[serde(default)]
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub body: Option<String>,
    /// Only `draft` on creation; changes go through the workflow actions.
    #[serde(default)]
    pub status: Option<ContentStatus>,
    #[serde(default)]
    #[graphql(default)]
    pub author_ids: Vec<Uuid>,
    #[serde(default)]
    pub byline: Option<String>,
    #[serde(default)]
    #[graphql(default)]
    pub sector_ids: Vec<Uuid>,
    #[serde(default)]
    #[graphql(default)]
    pub tag_ids: Vec<Uuid>,
    #[serde(default)]
    pub featured_image_url: Option<String>,
    #[serde(default)]
    pub seo_title: Option<String>,
    #[serde(default)]
    pub seo_description: Option<String>,
    /// Essays and strategy analyses.
    #[serde(default)]
    pub question_id: Option<Uuid>,
    /// Essays.
    #[serde(default)]
    pub featured: Option<bool>,
    /// Strategy analyses.
    #[serde(default)]
    pub key_takeaways: Option<Vec<String>>,
    /// Blog posts (required).
    #[serde(default)]
    pub blog_id: Option<Uuid>,
    /// News links (required, unique).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub source_name: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
    #[serde(default)]
    pub commentary: Option<String>,
}

/// A workflow action on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Submit,
    Publish,
    Schedule,
    Unpublish,
    Archive,
}

impl Transition {
    /// Parses a path segment.
    pub fn parse(value: &str) -> Option<Transition> {
        match value {
            "submit" => Some(Transition::Submit),
            "publish" => Some(Transition::Publish),
            "schedule" => Some(Transition::Schedule),
            "unpublish" => Some(Transition::Unpublish),
            "archive" => Some(Transition::Archive),
            _ => None,
        }
    }

    /// The permission this transition needs.
    pub fn action(self) -> Action {
        match self {
            Transition::Submit => Action::Submit,
            Transition::Publish => Action::Publish,
            Transition::Schedule => Action::Schedule,
            Transition::Unpublish => Action::Unpublish,
            Transition::Archive => Action::Archive,
        }
    }

    fn name(self) -> &'static str {
        self.action().as_str()
    }

    /// The states this action may start from, and where it leads.
    fn rule(self) -> (&'static [ContentStatus], ContentStatus) {
        use ContentStatus::*;
        match self {
            Transition::Submit => (&[Draft], InReview),
            Transition::Publish => (&[Draft, InReview, Scheduled, Archived], Published),
            Transition::Schedule => (&[Draft, InReview, Scheduled], Scheduled),
            Transition::Unpublish => (&[InReview, Scheduled, Published, Archived], Draft),
            Transition::Archive => (&[Draft, InReview, Published], Archived),
        }
    }
}

fn forbid(errors: &mut FieldErrors, kind: ContentKind, field: &str, present: bool) {
    if present {
        errors.entry(field.into()).or_default().push(format!("is not a field of {}", kind.collection()));
    }
}

/// A validated input: everything needed to store the item.
struct Checked {
    slug: Slug,
    input: ContentInput,
}

/// Validates shapes, kind rules and references; picks a free slug when none is given.
async fn check(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kind: ContentKind,
    input: ContentInput,
    current: Option<&ContentRecord>,
) -> Result<Checked, AppError> {
    let mut errors = FieldErrors::new();
    let title = input.title.trim();
    if title.is_empty() {
        errors.entry("title".into()).or_default().push("is required".into());
    }
    validate::optional_text(&mut errors, "title", Some(title), 300);
    validate::optional_text(&mut errors, "subtitle", input.subtitle.as_deref(), 300);
    validate::optional_text(&mut errors, "summary", input.summary.as_deref(), 2000);
    validate::optional_text(&mut errors, "body", input.body.as_deref(), 500_000);
    validate::optional_text(&mut errors, "byline", input.byline.as_deref(), 300);
    validate::optional_text(&mut errors, "seo_title", input.seo_title.as_deref(), 300);
    validate::optional_text(&mut errors, "seo_description", input.seo_description.as_deref(), 500);
    validate::optional_text(&mut errors, "source_name", input.source_name.as_deref(), 200);
    validate::optional_text(&mut errors, "commentary", input.commentary.as_deref(), 5000);
    validate::optional_url(&mut errors, "featured_image_url", input.featured_image_url.as_deref());
    validate::optional_url(&mut errors, "url", input.url.as_deref());
    validate::optional_url(&mut errors, "source_url", input.source_url.as_deref());
    match (input.status, current) {
        (None, _) => {}
        (Some(ContentStatus::Draft), None) => {}
        (Some(status), Some(current)) if status == current.status => {}
        (Some(_), _) => {
            errors.entry("status".into()).or_default().push(
                "changes through the workflow actions (submit, publish, schedule, unpublish, archive); new items start as drafts".into(),
            );
        }
    }
    use ContentKind::*;
    forbid(&mut errors, kind, "question_id", input.question_id.is_some() && !matches!(kind, Essay | StrategyAnalysis));
    forbid(&mut errors, kind, "featured", input.featured.is_some() && kind != Essay);
    forbid(&mut errors, kind, "key_takeaways", input.key_takeaways.is_some() && kind != StrategyAnalysis);
    forbid(&mut errors, kind, "blog_id", input.blog_id.is_some() && kind != BlogPost);
    for (field, present) in [
        ("url", input.url.is_some()),
        ("source_name", input.source_name.is_some()),
        ("source_url", input.source_url.is_some()),
        ("commentary", input.commentary.is_some()),
    ] {
        forbid(&mut errors, kind, field, present && kind != NewsLink);
    }
    if kind == BlogPost && input.blog_id.is_none() {
        errors.entry("blog_id".into()).or_default().push("is required for blog posts".into());
    }
    if kind == NewsLink && input.url.is_none() {
        errors.entry("url".into()).or_default().push("is required for news links".into());
    }
    if let Some(takeaways) = &input.key_takeaways {
        if takeaways.len() > 20 || takeaways.iter().any(|t| t.trim().is_empty() || t.chars().count() > 500) {
            errors.entry("key_takeaways".into()).or_default().push("at most 20 non-empty items of at most 500 characters".into());
        }
    }
    // References must exist and be visible to the caller.
    let editors = editor::Entity::find().filter(editor_visibility(principal));
    validate::ids_exist(db, &mut errors, "author_ids", &input.author_ids, 50, editors, editor::Column::Id, "an editor").await?;
    validate::ids_exist(db, &mut errors, "sector_ids", &input.sector_ids, 50, sector::Entity::find(), sector::Column::Id, "a sector").await?;
    validate::ids_exist(db, &mut errors, "tag_ids", &input.tag_ids, 50, tag::Entity::find(), tag::Column::Id, "a tag").await?;
    if let Some(id) = input.question_id {
        if key_question::Entity::find_by_id(id).one(db).await?.is_none() {
            errors.entry("question_id".into()).or_default().push("no such key question".into());
        }
    }
    if let Some(id) = input.blog_id.filter(|_| kind == BlogPost) {
        if blog::Entity::find_by_id(id).one(db).await?.is_none() {
            errors.entry("blog_id".into()).or_default().push("no such blog".into());
        }
    }
    let current_id = current.map(|c| c.id);
    if let Some(url) = input.url.as_deref().filter(|_| kind == NewsLink) {
        let mut taken = content_item::Entity::find().filter(content_item::Column::Url.eq(url));
        if let Some(id) = current_id {
            taken = taken.filter(content_item::Column::Id.ne(id));
        }
        if taken.count(db).await? > 0 {
            errors.entry("url".into()).or_default().push("is already linked by another news item".into());
        }
    }
    let current_slug = current.map(|c| c.slug.as_str());
    let slug = slug::pick(&mut errors, input.slug.as_deref(), title, current_slug, |candidate: String| async move {
        slug_taken(db, kind, &candidate, current_id).await
    })
    .await?;
    match slug {
        Some(slug) if errors.is_empty() => Ok(Checked { slug, input }),
        None if errors.is_empty() => Err(AppError::invalid_field("slug", "cannot be made from this title; give one")),
        _ => Err(AppError::Validation { errors }),
    }
}

/// Whether a slug is used by another item of the kind, now or formerly.
async fn slug_taken(db: &impl ConnectionTrait, kind: ContentKind, slug: &str, except: Option<Uuid>) -> Result<bool, AppError> {
    let mut items = content_item::Entity::find()
        .filter(content_item::Column::Kind.eq(kind.as_str()))
        .filter(content_item::Column::Slug.eq(slug));
    let mut former = content_slug_redirect::Entity::find()
        .filter(content_slug_redirect::Column::Kind.eq(kind.as_str()))
        .filter(content_slug_redirect::Column::Slug.eq(slug));
    if let Some(id) = except {
        items = items.filter(content_item::Column::Id.ne(id));
        former = former.filter(content_slug_redirect::Column::ContentId.ne(id));
    }
    Ok(items.count(db).await? > 0 || former.count(db).await? > 0)
}

fn facts(record: &ContentRecord, created_by: Option<Uuid>) -> Result<ItemFacts, AppError> {
    Ok(ItemFacts {
        created_by,
        author_ids: record.author_ids.clone(),
        sector_ids: record.sector_ids.clone(),
        status: record.status,
    })
}

/// Loads an item the caller may read, with its creator (for the `own` scope).
async fn load(db: &impl ConnectionTrait, principal: &Principal, kind: ContentKind, id: Uuid) -> Result<(ContentRecord, content_item::Model), AppError> {
    let model = visible(principal, Some(kind))
        .filter(content_item::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "content item" })?;
    let record = records(db, principal, vec![model.clone()], true)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound { resource: "content item" })?;
    Ok((record, model))
}

impl Versioned for ContentRecord {
    fn id(&self) -> Uuid {
        self.id
    }
    fn version(&self) -> i32 {
        self.version
    }
}

/// Refuses a write based on a version other than the stored one.
fn check_precondition(record: &ContentRecord, precondition: &Precondition) -> Result<(), AppError> {
    precondition.check(record.version, &crate::etag::of_record(record))
}

async fn replace_links(db: &impl ConnectionTrait, id: Uuid, input: &ContentInput, at: DateTime<Utc>) -> Result<(), AppError> {
    content_author::Entity::delete_many().filter(content_author::Column::ContentId.eq(id)).exec(db).await?;
    content_sector::Entity::delete_many().filter(content_sector::Column::ContentId.eq(id)).exec(db).await?;
    content_tag::Entity::delete_many().filter(content_tag::Column::ContentId.eq(id)).exec(db).await?;
    super::insert::insert_links(db, id, &input.author_ids, &input.sector_ids, &input.tag_ids, at).await
}

/// Stores a revision of the item as it now is.
async fn snapshot(db: &impl ConnectionTrait, principal: &Principal, record: &ContentRecord, note: Option<&str>) -> Result<(), AppError> {
    let at = now();
    let (user, key) = match principal {
        Principal::User(u) => (Some(u.id), None),
        Principal::ApiKey { id, .. } => (None, Some(*id)),
        Principal::Anonymous | Principal::System => (None, None),
    };
    revision::Entity::insert(revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        content_id: Set(record.id),
        version: Set(record.version),
        snapshot: Set(serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))?),
        note: Set(note.map(str::to_owned)),
        author_user_id: Set(user),
        author_api_key_id: Set(key),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Reloads a just-written item as the caller sees it, records its revision and the audit entry.
async fn finish(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    action: &str,
    version_before: Option<i32>,
) -> Result<ContentRecord, AppError> {
    let model = content_item::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound { resource: "content item" })?;
    // The revision keeps everything (hidden profiles too); the caller gets what they may see.
    let complete = records(db, &Principal::System, vec![model.clone()], true).await?.into_iter().next().ok_or(AppError::NotFound { resource: "content item" })?;
    snapshot(db, principal, &complete, Some(action)).await?;
    let record = records(db, principal, vec![model], true).await?.into_iter().next().ok_or(AppError::NotFound { resource: "content item" })?;
    audit::record(
        db,
        principal,
        AuditEntry {
            resource: crate::policy::Resource::for_kind(kind).as_str(),
            resource_id: Some(id),
            action,
            version_before,
            version_after: Some(record.version),
            details: None,
        },
    )
    .await?;
    Ok(record)
}

/// Creates an item (always a draft).
pub async fn create(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, written: Written<ContentInput>) -> Result<ContentRecord, AppError> {
    let input = written.read(None::<&ContentRecord>, &[READ_ONLY], Precondition::default())?;
    let creator = principal.user().map(|u| u.id);
    let proposed = ItemFacts {
        created_by: creator,
        author_ids: input.author_ids.clone(),
        sector_ids: input.sector_ids.clone(),
        status: ContentStatus::Draft,
    };
    authorize(principal, kind, Action::Create, &proposed)?;
    let txn = crate::db::begin_write(db).await?;
    let Checked { slug, input } = check(&txn, principal, kind, input, None).await?;
    let at = now();
    let id = Uuid::now_v7();
    let body = input.body.clone().unwrap_or_default();
    let rendered = render_markdown(&body);
    content_item::Entity::insert(content_item::ActiveModel {
        id: Set(id),
        kind: Set(kind.as_str().to_owned()),
        slug: Set(slug.as_str().to_owned()),
        title: Set(input.title.trim().to_owned()),
        subtitle: Set(input.subtitle.clone()),
        summary: Set(input.summary.clone().unwrap_or_default()),
        status: Set(ContentStatus::Draft.as_str().to_owned()),
        published_at: Set(None),
        scheduled_at: Set(None),
        version: Set(1),
        byline: Set(input.byline.clone()),
        featured: Set(input.featured.unwrap_or(false)),
        question_id: Set(input.question_id),
        blog_id: Set(input.blog_id),
        key_takeaways: Set(serde_json::json!(input.key_takeaways.clone().unwrap_or_default())),
        url: Set(input.url.clone()),
        source_name: Set(input.source_name.clone()),
        source_url: Set(input.source_url.clone()),
        commentary: Set(input.commentary.clone()),
        featured_image_url: Set(input.featured_image_url.clone()),
        seo_title: Set(input.seo_title.clone()),
        seo_description: Set(input.seo_description.clone()),
        reading_time_minutes: Set(rendered.reading_time_minutes),
        word_count: Set(rendered.word_count),
        deleted_at: Set(None),
        created_by: Set(creator),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec(&txn)
    .await?;
    content_body::Entity::insert(content_body::ActiveModel {
        content_id: Set(id),
        body: Set(body),
        body_html: Set(rendered.html),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec(&txn)
    .await?;
    replace_links(&txn, id, &input, at).await?;
    let record = finish(&txn, principal, kind, id, "create", None).await?;
    txn.commit().await?;
    Ok(record)
}

/// Replaces an item's content (PUT), or merges changes into it (PATCH), in one transaction.
pub async fn update(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    written: Written<ContentInput>,
    precondition: Precondition,
) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let record = save(&txn, principal, kind, id, written, precondition, "update").await?;
    txn.commit().await?;
    Ok(record)
}

/// Makes a new version of an item from one of its revisions (the workflow state is kept).
pub async fn restore_revision(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    revision_id: Uuid,
    precondition: Precondition,
) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, model) = load(&txn, principal, kind, id).await?;
    authorize(principal, kind, Action::Restore, &facts(&current, model.created_by)?)?;
    let revision = revision::Entity::find_by_id(revision_id)
        .one(&txn)
        .await?
        .filter(|r| r.content_id == id)
        .ok_or(AppError::NotFound { resource: "revision" })?;
    let Value::Object(mut snapshot) = revision.snapshot else {
        return Err(AppError::Internal(anyhow::anyhow!("revision {revision_id} has no object snapshot")));
    };
    // The snapshot's computed fields are history, not an echo to check.
    read_only::take(&mut snapshot, READ_ONLY);
    for kept in ["status", "version"] {
        snapshot.remove(kept);
    }
    let input = crate::error::decode_json(Value::Object(snapshot))?;
    let record = save(&txn, principal, kind, id, Written::Input(input), precondition, "restore_revision").await?;
    txn.commit().await?;
    Ok(record)
}

/// Stores new content for an item inside the caller's transaction.
async fn save(
    txn: &sea_orm::DatabaseTransaction,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    written: Written<ContentInput>,
    precondition: Precondition,
    action: &str,
) -> Result<ContentRecord, AppError> {
    let (current, model) = load(txn, principal, kind, id).await?;
    authorize(principal, kind, Action::Update, &facts(&current, model.created_by)?)?;
    let input = written.read(Some(&current), &[READ_ONLY], precondition)?;
    let proposed = ItemFacts {
        created_by: model.created_by,
        author_ids: input.author_ids.clone(),
        sector_ids: input.sector_ids.clone(),
        status: current.status,
    };
    authorize(principal, kind, Action::Update, &proposed)?;
    let Checked { slug, input } = check(txn, principal, kind, input, Some(&current)).await?;
    let at = now();
    let body = input.body.clone().unwrap_or_default();
    let rendered = render_markdown(&body);
    let updated = content_item::Entity::update_many()
        .col_expr(content_item::Column::Slug, Expr::value(slug.as_str()))
        .col_expr(content_item::Column::Title, Expr::value(input.title.trim()))
        .col_expr(content_item::Column::Subtitle, Expr::value(input.subtitle.clone()))
        .col_expr(content_item::Column::Summary, Expr::value(input.summary.clone().unwrap_or_default()))
        .col_expr(content_item::Column::Byline, Expr::value(input.byline.clone()))
        .col_expr(content_item::Column::Featured, Expr::value(input.featured.unwrap_or(false)))
        .col_expr(content_item::Column::QuestionId, Expr::value(input.question_id))
        .col_expr(content_item::Column::BlogId, Expr::value(input.blog_id))
        .col_expr(content_item::Column::KeyTakeaways, Expr::value(serde_json::json!(input.key_takeaways.clone().unwrap_or_default())))
        .col_expr(content_item::Column::Url, Expr::value(input.url.clone()))
        .col_expr(content_item::Column::SourceName, Expr::value(input.source_name.clone()))
        .col_expr(content_item::Column::SourceUrl, Expr::value(input.source_url.clone()))
        .col_expr(content_item::Column::Commentary, Expr::value(input.commentary.clone()))
        .col_expr(content_item::Column::FeaturedImageUrl, Expr::value(input.featured_image_url.clone()))
        .col_expr(content_item::Column::SeoTitle, Expr::value(input.seo_title.clone()))
        .col_expr(content_item::Column::SeoDescription, Expr::value(input.seo_description.clone()))
        .col_expr(content_item::Column::ReadingTimeMinutes, Expr::value(rendered.reading_time_minutes))
        .col_expr(content_item::Column::WordCount, Expr::value(rendered.word_count))
        .col_expr(content_item::Column::Version, Expr::value(current.version + 1))
        .col_expr(content_item::Column::UpdatedAt, Expr::value(at))
        .filter(content_item::Column::Id.eq(id))
        .filter(content_item::Column::Version.eq(current.version))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        let latest = content_item::Entity::find_by_id(id).one(txn).await?.map_or(current.version + 1, |m| m.version);
        return Err(AppError::VersionConflict { expected: Some(current.version), current: latest });
    }
    content_body::Entity::update_many()
        .col_expr(content_body::Column::Body, Expr::value(body))
        .col_expr(content_body::Column::BodyHtml, Expr::value(rendered.html))
        .col_expr(content_body::Column::UpdatedAt, Expr::value(at))
        .filter(content_body::Column::ContentId.eq(id))
        .exec(txn)
        .await?;
    if slug.as_str() != current.slug {
        // The old slug keeps answering, with a redirect to the new one.
        content_slug_redirect::Entity::delete_many()
            .filter(content_slug_redirect::Column::Kind.eq(kind.as_str()))
            .filter(content_slug_redirect::Column::Slug.eq(slug.as_str()))
            .exec(txn)
            .await?;
        content_slug_redirect::Entity::insert(content_slug_redirect::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(kind.as_str().to_owned()),
            slug: Set(current.slug.clone()),
            content_id: Set(id),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec(txn)
        .await?;
    }
    replace_links(txn, id, &input, at).await?;
    finish(txn, principal, kind, id, action, Some(current.version)).await
}

/// Sets columns of one item at the version the caller saw, bumping the version.
async fn apply(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    columns: Vec<(content_item::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<(), AppError> {
    let mut update = content_item::Entity::update_many()
        .col_expr(content_item::Column::Version, Expr::value(version + 1))
        .col_expr(content_item::Column::UpdatedAt, Expr::value(now()));
    for (column, value) in columns {
        update = update.col_expr(column, value);
    }
    let result = update
        .filter(content_item::Column::Id.eq(id))
        .filter(content_item::Column::Version.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        let latest = content_item::Entity::find_by_id(id).one(db).await?.map_or(version + 1, |m| m.version);
        return Err(AppError::VersionConflict { expected: Some(version), current: latest });
    }
    Ok(())
}

/// Moves an item to the trash (readers no longer see it; editors can restore it).
pub async fn trash(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, id: Uuid, precondition: Precondition) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, model) = load(&txn, principal, kind, id).await?;
    authorize(principal, kind, Action::Delete, &facts(&current, model.created_by)?)?;
    check_precondition(&current, &precondition)?;
    apply(&txn, id, current.version, vec![(content_item::Column::DeletedAt, Expr::value(now()))]).await?;
    let record = finish(&txn, principal, kind, id, "delete", Some(current.version)).await?;
    txn.commit().await?;
    Ok(record)
}

/// Loads a trashed item for someone allowed to restore or purge it.
async fn load_trashed(db: &impl ConnectionTrait, principal: &Principal, kind: ContentKind, id: Uuid, action: Action) -> Result<(ContentRecord, content_item::Model), AppError> {
    let model = content_item::Entity::find()
        .filter(content_item::Column::Id.eq(id))
        .filter(content_item::Column::Kind.eq(kind.as_str()))
        .filter(content_item::Column::DeletedAt.is_not_null())
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "trashed content item" })?;
    let record = records(db, principal, vec![model.clone()], true).await?.into_iter().next().ok_or(AppError::NotFound { resource: "content item" })?;
    let facts = facts(&record, model.created_by)?;
    // Someone who may not act on it learns nothing about it.
    authorize(principal, kind, action, &facts).map_err(|e| match e {
        AppError::Forbidden => AppError::NotFound { resource: "trashed content item" },
        other => other,
    })?;
    Ok((record, model))
}

/// Brings an item back from the trash.
pub async fn restore(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, id: Uuid) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, _) = load_trashed(&txn, principal, kind, id, Action::Restore).await?;
    apply(&txn, id, current.version, vec![(content_item::Column::DeletedAt, Expr::value(Option::<DateTime<Utc>>::None))]).await?;
    let record = finish(&txn, principal, kind, id, "restore", Some(current.version)).await?;
    txn.commit().await?;
    Ok(record)
}

/// Deletes a trashed item for good, with its revisions.
pub async fn purge(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, id: Uuid) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, _) = load_trashed(&txn, principal, kind, id, Action::Purge).await?;
    content_item::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        principal,
        AuditEntry {
            resource: crate::policy::Resource::for_kind(kind).as_str(),
            resource_id: Some(id),
            action: "purge",
            version_before: Some(current.version),
            version_after: None,
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(current)
}

/// Moves an item along the workflow; an impossible move is a 409 naming the current state and the allowed ones.
pub async fn transition(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    transition: Transition,
    at: Option<DateTime<Utc>>,
    precondition: Precondition,
) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, model) = load(&txn, principal, kind, id).await?;
    authorize(principal, kind, transition.action(), &facts(&current, model.created_by)?)?;
    check_precondition(&current, &precondition)?;
    let status = current.status;
    let (from, to) = transition.rule();
    if !from.contains(&status) {
        let allowed: Vec<&str> = [Transition::Submit, Transition::Publish, Transition::Schedule, Transition::Unpublish, Transition::Archive]
            .into_iter()
            .filter(|t| t.rule().0.contains(&status))
            .map(Transition::name)
            .collect();
        return Err(AppError::Conflict {
            code: "invalid_transition",
            detail: format!(
                "cannot {} an item that is {}; allowed from {}: {}",
                transition.name(),
                status.as_str(),
                status.as_str(),
                if allowed.is_empty() { "nothing".to_owned() } else { allowed.join(", ") }
            ),
        });
    }
    let mut columns = vec![(content_item::Column::Status, Expr::value(to.as_str()))];
    match transition {
        Transition::Publish => {
            // `published_at` is set on first publication and kept after that.
            if model.published_at.is_none() {
                columns.push((content_item::Column::PublishedAt, Expr::value(now())));
            }
            columns.push((content_item::Column::ScheduledAt, Expr::value(Option::<DateTime<Utc>>::None)));
        }
        Transition::Schedule => {
            let at = at.ok_or_else(|| AppError::invalid_field("at", "is required"))?;
            if at <= Utc::now() {
                return Err(AppError::invalid_field("at", "must be in the future"));
            }
            columns.push((content_item::Column::ScheduledAt, Expr::value(at)));
        }
        Transition::Unpublish | Transition::Submit | Transition::Archive => {
            columns.push((content_item::Column::ScheduledAt, Expr::value(Option::<DateTime<Utc>>::None)));
        }
    }
    apply(&txn, id, current.version, columns).await?;
    let record = finish(&txn, principal, kind, id, transition.name(), Some(current.version)).await?;
    txn.commit().await?;
    Ok(record)
}

/// Publishes one scheduled item whose time has come, if no other node got there first.
/// Returns whether this call published it.
pub async fn publish_scheduled(db: &DatabaseConnection, id: Uuid, version: i32) -> Result<bool, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(model) = content_item::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(false);
    };
    let Some(kind) = ContentKind::parse(&model.kind) else {
        return Ok(false);
    };
    let published_at = model.published_at.or(model.scheduled_at).unwrap_or_else(now);
    // Only one node's update matches the scheduled state at this version.
    let claimed = content_item::Entity::update_many()
        .col_expr(content_item::Column::Status, Expr::value(ContentStatus::Published.as_str()))
        .col_expr(content_item::Column::PublishedAt, Expr::value(published_at))
        .col_expr(content_item::Column::ScheduledAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(content_item::Column::Version, Expr::value(version + 1))
        .col_expr(content_item::Column::UpdatedAt, Expr::value(now()))
        .filter(content_item::Column::Id.eq(id))
        .filter(content_item::Column::Version.eq(version))
        .filter(content_item::Column::Status.eq(ContentStatus::Scheduled.as_str()))
        .filter(content_item::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    finish(&txn, &Principal::System, kind, id, "publish", Some(version)).await?;
    txn.commit().await?;
    Ok(true)
}
