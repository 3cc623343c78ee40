//! Validating written content: field rules, kind rules, references and the slug.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use entity::{blog, content_item, content_slug_redirect, editor, key_question, sector, tag};

use super::ContentRecord;
use super::input::ContentInput;
use crate::domain::{ContentKind, ContentStatus, Slug};
use crate::error::{AppError, FieldErrors};
use crate::policy::{Principal, editor_visibility};
use crate::services::{slug, validate};

fn forbid(errors: &mut FieldErrors, kind: ContentKind, field: &str, present: bool) {
    if present {
        errors.entry(field.into()).or_default().push(format!("is not a field of {}", kind.collection()));
    }
}

/// A validated input: everything needed to store the item.
pub(super) struct Checked {
    pub slug: Slug,
    pub input: ContentInput,
}

/// Validates shapes, kind rules and references; picks a free slug when none is given.
pub(super) async fn check(
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

