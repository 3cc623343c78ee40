//! Storing a new content item with its body, rendering and relations, in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use entity::{content_author, content_body, content_item, content_sector, content_tag};

use crate::domain::{ContentKind, ContentStatus, Slug};
use crate::error::AppError;
use crate::rendering::{RenderedBody, render_markdown};
use super::input::ContentInput;

/// Everything needed to store a content item; ids of relations must exist.
#[derive(Debug, Clone)]
pub struct NewContent {
    pub kind: ContentKind,
    pub slug: Slug,
    pub title: String,
    pub subtitle: Option<String>,
    pub summary: String,
    /// Markdown source; rendered and counted on insert.
    pub body: String,
    pub status: ContentStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub byline: Option<String>,
    pub featured: bool,
    pub question_id: Option<Uuid>,
    pub blog_id: Option<Uuid>,
    pub key_takeaways: Vec<String>,
    pub url: Option<String>,
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    pub commentary: Option<String>,
    pub featured_image_url: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// Authors in byline order.
    pub author_ids: Vec<Uuid>,
    pub sector_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    /// The account that created it (the `own` scope), if any.
    pub created_by: Option<Uuid>,
    /// The news source a news link was drafted from.
    pub news_source_id: Option<Uuid>,
    /// Creation time (also the first `updated_at`).
    pub created_at: DateTime<Utc>,
}

impl NewContent {
    /// A draft of `kind` with the given slug and title and nothing else set.
    pub fn draft(kind: ContentKind, slug: Slug, title: impl Into<String>, created_at: DateTime<Utc>) -> NewContent {
        NewContent::from_input(kind, slug, ContentInput { title: title.into(), ..ContentInput::default() }, created_at)
    }

    /// A draft from what a client wrote (already checked), under `slug`.
    pub fn from_input(kind: ContentKind, slug: Slug, input: ContentInput, created_at: DateTime<Utc>) -> NewContent {
        NewContent {
            kind,
            slug,
            title: input.title.trim().to_owned(),
            subtitle: input.subtitle,
            summary: input.summary.unwrap_or_default(),
            body: input.body.unwrap_or_default(),
            status: ContentStatus::Draft,
            published_at: None,
            scheduled_at: None,
            byline: input.byline,
            featured: input.featured.unwrap_or(false),
            question_id: input.question_id,
            blog_id: input.blog_id,
            key_takeaways: input.key_takeaways.unwrap_or_default(),
            url: input.url,
            source_name: input.source_name,
            source_url: input.source_url,
            commentary: input.commentary,
            featured_image_url: input.featured_image_url,
            seo_title: input.seo_title,
            seo_description: input.seo_description,
            author_ids: input.author_ids,
            sector_ids: input.sector_ids,
            tag_ids: input.tag_ids,
            created_by: None,
            news_source_id: None,
            created_at,
        }
    }
}

/// The columns a write sets from the item's content, listed once for inserts and updates.
pub(super) fn written_columns(new: &NewContent, rendered: &RenderedBody) -> content_item::ActiveModel {
    content_item::ActiveModel {
        slug: Set(new.slug.as_str().to_owned()),
        title: Set(new.title.clone()),
        subtitle: Set(new.subtitle.clone()),
        summary: Set(new.summary.clone()),
        byline: Set(new.byline.clone()),
        featured: Set(new.featured),
        question_id: Set(new.question_id),
        blog_id: Set(new.blog_id),
        key_takeaways: Set(serde_json::json!(new.key_takeaways)),
        url: Set(new.url.clone()),
        source_name: Set(new.source_name.clone()),
        source_url: Set(new.source_url.clone()),
        commentary: Set(new.commentary.clone()),
        featured_image_url: Set(new.featured_image_url.clone()),
        seo_title: Set(new.seo_title.clone()),
        seo_description: Set(new.seo_description.clone()),
        reading_time_minutes: Set(rendered.reading_time_minutes),
        word_count: Set(rendered.word_count),
        ..Default::default()
    }
}

fn position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// Stores the item, its rendered body and its relations; call inside a transaction.
pub async fn insert(db: &impl ConnectionTrait, new: NewContent) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    let at = new.created_at;
    let rendered = render_markdown(&new.body);
    content_item::Entity::insert(content_item::ActiveModel {
        id: Set(id),
        kind: Set(new.kind.as_str().to_owned()),
        status: Set(new.status.as_str().to_owned()),
        published_at: Set(new.published_at),
        scheduled_at: Set(new.scheduled_at),
        version: Set(1),
        deleted_at: Set(None),
        created_by: Set(new.created_by),
        news_source_id: Set(new.news_source_id),
        created_at: Set(at),
        updated_at: Set(at),
        ..written_columns(&new, &rendered)
    })
    .exec(db)
    .await?;
    content_body::Entity::insert(content_body::ActiveModel {
        content_id: Set(id),
        body: Set(new.body),
        body_html: Set(rendered.html),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec(db)
    .await?;
    insert_links(db, id, &new.author_ids, &new.sector_ids, &new.tag_ids, at).await?;
    crate::services::search::index::store(db, &[id]).await?;
    Ok(id)
}

/// Inserts an item's authors (in order), sectors and tags.
pub(super) async fn insert_links(
    db: &impl ConnectionTrait,
    id: Uuid,
    author_ids: &[Uuid],
    sector_ids: &[Uuid],
    tag_ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    if !author_ids.is_empty() {
        content_author::Entity::insert_many(author_ids.iter().enumerate().map(|(i, editor_id)| content_author::ActiveModel {
            content_id: Set(id),
            editor_id: Set(*editor_id),
            position: Set(position(i)),
            created_at: Set(at),
            updated_at: Set(at),
        }))
        .exec(db)
        .await?;
    }
    if !sector_ids.is_empty() {
        content_sector::Entity::insert_many(sector_ids.iter().map(|sector_id| content_sector::ActiveModel {
            content_id: Set(id),
            sector_id: Set(*sector_id),
            created_at: Set(at),
            updated_at: Set(at),
        }))
        .exec(db)
        .await?;
    }
    if !tag_ids.is_empty() {
        content_tag::Entity::insert_many(tag_ids.iter().map(|tag_id| content_tag::ActiveModel {
            content_id: Set(id),
            tag_id: Set(*tag_id),
            created_at: Set(at),
            updated_at: Set(at),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}
