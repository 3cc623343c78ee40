//! The demo publication: loads `seed/demo.json` idempotently (existing slugs are left alone).

use std::collections::HashMap;

use chrono::Duration;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,

};
use serde::Deserialize;
use uuid::Uuid;

use entity::{blog, blog_blogger, content_item, editor, editor_sector, key_question, sector, tag};

use crate::clock::now;
use crate::domain::{ContentKind, ContentStatus, Slug, TeamRole};
use crate::error::AppError;
use crate::services::content::{self, NewContent};

const DEMO_JSON: &str = include_str!("../seed/demo.json");

#[derive(Deserialize)]
struct Demo {
    sectors: Vec<DemoSector>,
    questions: Vec<DemoQuestion>,
    tags: Vec<DemoTag>,
    editors: Vec<DemoEditor>,
    blogs: Vec<DemoBlog>,
    content: Vec<DemoContent>,
}

#[derive(Deserialize)]
struct DemoSector {
    slug: String,
    name: String,
    description: String,
    position: i32,
}

#[derive(Deserialize)]
struct DemoQuestion {
    slug: String,
    title: String,
    prompt: String,
    position: i32,
}

#[derive(Deserialize)]
struct DemoTag {
    slug: String,
    name: String,
}

#[derive(Deserialize)]
struct DemoEditor {
    slug: String,
    display_name: String,
    bio: String,
    team_role: String,
    avatar_url: Option<String>,
    links: serde_json::Value,
    sectors: Vec<String>,
    visible: bool,
}

#[derive(Deserialize)]
struct DemoBlog {
    slug: String,
    title: String,
    description: String,
    sector: Option<String>,
    bloggers: Vec<String>,
}

#[derive(Deserialize)]
struct DemoContent {
    kind: String,
    slug: String,
    title: String,
    subtitle: Option<String>,
    summary: String,
    body: String,
    status: String,
    published_days_ago: Option<i64>,
    scheduled_in_days: Option<i64>,
    authors: Vec<String>,
    byline: Option<String>,
    sectors: Vec<String>,
    tags: Vec<String>,
    question: Option<String>,
    featured: bool,
    key_takeaways: Vec<String>,
    blog: Option<String>,
    url: Option<String>,
    source_name: Option<String>,
    source_url: Option<String>,
    commentary: Option<String>,
    seo_title: Option<String>,
    seo_description: Option<String>,
    featured_image_url: Option<String>,
}

/// What a seeding run added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Rows created (sectors, questions, tags, editors, blogs, content items).
    pub created: usize,
    /// Rows already present and left as they were.
    pub kept: usize,
}

fn invalid_seed(what: String) -> AppError {
    AppError::Internal(anyhow::anyhow!("demo data is inconsistent: {what}"))
}

/// Slug → id lookups for one table, filled as rows are found or created.
type Ids = HashMap<String, Uuid>;

fn lookup(ids: &Ids, slug: &str, what: &str) -> Result<Uuid, AppError> {
    ids.get(slug).copied().ok_or_else(|| invalid_seed(format!("unknown {what} `{slug}`")))
}

/// Loads the demo publication; running it again adds nothing.
pub async fn seed_demo(db: &DatabaseConnection) -> Result<SeedReport, AppError> {
    let demo: Demo = serde_json::from_str(DEMO_JSON).map_err(|e| invalid_seed(e.to_string()))?;
    let txn = crate::db::begin_write(db).await?;
    let mut report = SeedReport::default();
    let now = now();

    let mut sectors = sector::Entity::find().all(&txn).await?.into_iter().map(|m| (m.slug, m.id)).collect::<Ids>();
    for s in demo.sectors {
        if sectors.contains_key(&s.slug) {
            report.kept += 1;
            continue;
        }
        let id = Uuid::now_v7();
        sector::Entity::insert(sector::ActiveModel {
            id: Set(id), slug: Set(s.slug.clone()), name: Set(s.name), description: Set(s.description),
            position: Set(s.position), created_at: Set(now), updated_at: Set(now), version: Set(1),
        })
        .exec(&txn)
        .await?;
        sectors.insert(s.slug, id);
        report.created += 1;
    }

    let mut questions = key_question::Entity::find().all(&txn).await?.into_iter().map(|m| (m.slug, m.id)).collect::<Ids>();
    for q in demo.questions {
        if questions.contains_key(&q.slug) {
            report.kept += 1;
            continue;
        }
        let id = Uuid::now_v7();
        key_question::Entity::insert(key_question::ActiveModel {
            id: Set(id), slug: Set(q.slug.clone()), title: Set(q.title), prompt: Set(q.prompt),
            position: Set(q.position), created_at: Set(now), updated_at: Set(now), version: Set(1),
        })
        .exec(&txn)
        .await?;
        questions.insert(q.slug, id);
        report.created += 1;
    }

    let mut tags = tag::Entity::find().all(&txn).await?.into_iter().map(|m| (m.slug, m.id)).collect::<Ids>();
    for t in demo.tags {
        if tags.contains_key(&t.slug) {
            report.kept += 1;
            continue;
        }
        let id = Uuid::now_v7();
        tag::Entity::insert(tag::ActiveModel {
            id: Set(id), slug: Set(t.slug.clone()), name: Set(t.name), created_at: Set(now), updated_at: Set(now), version: Set(1),
        })
        .exec(&txn)
        .await?;
        tags.insert(t.slug, id);
        report.created += 1;
    }

    let mut editors = editor::Entity::find().all(&txn).await?.into_iter().map(|m| (m.slug, m.id)).collect::<Ids>();
    for e in demo.editors {
        if editors.contains_key(&e.slug) {
            report.kept += 1;
            continue;
        }
        let team_role = TeamRole::parse(&e.team_role).ok_or_else(|| invalid_seed(format!("team role {}", e.team_role)))?;
        let id = Uuid::now_v7();
        editor::Entity::insert(editor::ActiveModel {
            id: Set(id), slug: Set(e.slug.clone()), display_name: Set(e.display_name), bio: Set(e.bio),
            team_role: Set(team_role.as_str().to_owned()), avatar_url: Set(e.avatar_url), links: Set(e.links),
            visible: Set(e.visible), user_id: Set(None), created_at: Set(now), updated_at: Set(now), version: Set(1),
        })
        .exec(&txn)
        .await?;
        for slug in &e.sectors {
            editor_sector::Entity::insert(editor_sector::ActiveModel {
                editor_id: Set(id), sector_id: Set(lookup(&sectors, slug, "sector")?), created_at: Set(now), updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
        }
        editors.insert(e.slug, id);
        report.created += 1;
    }

    let mut blogs = blog::Entity::find().all(&txn).await?.into_iter().map(|m| (m.slug, m.id)).collect::<Ids>();
    for b in demo.blogs {
        if blogs.contains_key(&b.slug) {
            report.kept += 1;
            continue;
        }
        let id = Uuid::now_v7();
        let sector_id = b.sector.as_deref().map(|s| lookup(&sectors, s, "sector")).transpose()?;
        blog::Entity::insert(blog::ActiveModel {
            id: Set(id), slug: Set(b.slug.clone()), title: Set(b.title), description: Set(b.description),
            sector_id: Set(sector_id), created_at: Set(now), updated_at: Set(now), version: Set(1),
        })
        .exec(&txn)
        .await?;
        for (position, slug) in b.bloggers.iter().enumerate() {
            blog_blogger::Entity::insert(blog_blogger::ActiveModel {
                blog_id: Set(id), editor_id: Set(lookup(&editors, slug, "editor")?),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)), created_at: Set(now), updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
        }
        blogs.insert(b.slug, id);
        report.created += 1;
    }

    for (index, c) in demo.content.into_iter().enumerate() {
        let kind = ContentKind::parse(&c.kind).ok_or_else(|| invalid_seed(format!("kind {}", c.kind)))?;
        let status = ContentStatus::parse(&c.status).ok_or_else(|| invalid_seed(format!("status {}", c.status)))?;
        let taken = content_item::Entity::find()
            .filter(content_item::Column::Kind.eq(kind.as_str()))
            .filter(content_item::Column::Slug.eq(c.slug.as_str()))
            .one(&txn)
            .await?;
        if taken.is_some() {
            report.kept += 1;
            continue;
        }
        // Spread creation times so items of one day still sort deterministically.
        let offset = Duration::minutes(i64::try_from(index).unwrap_or(0));
        let published_at = c.published_days_ago.map(|d| now - Duration::days(d) + offset);
        let created_at = published_at.unwrap_or(now - Duration::days(1)) - Duration::hours(6);
        let slug = Slug::parse(&c.slug).ok_or_else(|| invalid_seed(format!("slug {}", c.slug)))?;
        let ids = |slugs: &[String], table: &Ids, what: &str| -> Result<Vec<Uuid>, AppError> {
            slugs.iter().map(|s| lookup(table, s, what)).collect()
        };
        content::insert(&txn, NewContent {
            subtitle: c.subtitle,
            summary: c.summary,
            body: c.body,
            status,
            published_at,
            scheduled_at: c.scheduled_in_days.map(|d| now + Duration::days(d) + offset),
            byline: c.byline,
            featured: c.featured,
            question_id: c.question.as_deref().map(|q| lookup(&questions, q, "question")).transpose()?,
            blog_id: c.blog.as_deref().map(|b| lookup(&blogs, b, "blog")).transpose()?,
            key_takeaways: c.key_takeaways,
            url: c.url,
            source_name: c.source_name,
            source_url: c.source_url,
            commentary: c.commentary,
            featured_image_url: c.featured_image_url,
            seo_title: c.seo_title,
            seo_description: c.seo_description,
            author_ids: ids(&c.authors, &editors, "editor")?,
            sector_ids: ids(&c.sectors, &sectors, "sector")?,
            tag_ids: ids(&c.tags, &tags, "tag")?,
            ..NewContent::draft(kind, slug, c.title, created_at)
        })
        .await?;
        report.created += 1;
    }
    txn.commit().await?;
    Ok(report)
}
