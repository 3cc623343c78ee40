//! The demo publication: loads `seed/demo.json` idempotently (existing slugs are left alone).

use std::collections::HashMap;

use chrono::Duration;
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use serde::Deserialize;
use uuid::Uuid;

use entity::content_item;

use crate::clock::now;
use crate::domain::{ContentKind, ContentStatus, Slug, TeamRole};
use crate::error::AppError;
use crate::policy::Principal;
use crate::services::blogs::{BlogInput, Blogs};
use crate::services::catalog::{self, CatalogEntry};
use crate::services::content::{self, NewContent};
use crate::services::editors::{EditorInput, Editors, ProfileLink};
use crate::services::taxonomy::{QuestionInput, Questions, SectorInput, Sectors, TagInput, Tags};
use crate::services::write::{Precondition, Versioned, Written};

const DEMO_JSON: &str = include_str!("../seed/demo.json");

#[derive(Deserialize)]
struct Demo {
    sectors: Vec<SectorInput>,
    questions: Vec<QuestionInput>,
    tags: Vec<TagInput>,
    editors: Vec<DemoEditor>,
    blogs: Vec<DemoBlog>,
    content: Vec<DemoContent>,
}

#[derive(Deserialize)]
struct DemoEditor {
    slug: String,
    display_name: String,
    bio: String,
    team_role: TeamRole,
    avatar_url: Option<String>,
    links: Vec<ProfileLink>,
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

/// Inputs with the slugs they are known by in the demo data.
fn keyed<I>(inputs: Vec<I>, slug: fn(&I) -> &Option<String>) -> Vec<(String, I)> {
    inputs.into_iter().map(|input| (slug(&input).clone().unwrap_or_default(), input)).collect()
}

/// Creates the entries whose slugs do not exist yet, through the same write as the API; returns
/// slug → id for all of them.
async fn seed_entries<E: CatalogEntry>(txn: &DatabaseTransaction, report: &mut SeedReport, inputs: Vec<(String, E::Input)>) -> Result<Ids, AppError> {
    let existing: Vec<(String, Uuid)> = E::Entity::find().select_only().column(E::SLUG).column(E::ID).into_tuple().all(txn).await?;
    let mut ids: Ids = existing.into_iter().collect();
    for (slug, input) in inputs {
        if ids.contains_key(&slug) {
            report.kept += 1;
            continue;
        }
        let record = catalog::save_in::<E>(txn, &Principal::System, None, Written::Input(input), Precondition::default()).await?;
        ids.insert(slug, record.id());
        report.created += 1;
    }
    Ok(ids)
}

/// Loads the demo publication; running it again adds nothing.
pub async fn seed_demo(db: &DatabaseConnection) -> Result<SeedReport, AppError> {
    let demo: Demo = serde_json::from_str(DEMO_JSON).map_err(|e| invalid_seed(e.to_string()))?;
    let txn = crate::db::begin_write(db).await?;
    let mut report = SeedReport::default();
    let now = now();

    let sectors = seed_entries::<Sectors>(&txn, &mut report, keyed(demo.sectors, |i| &i.slug)).await?;
    let questions = seed_entries::<Questions>(&txn, &mut report, keyed(demo.questions, |i| &i.slug)).await?;
    let tags = seed_entries::<Tags>(&txn, &mut report, keyed(demo.tags, |i| &i.slug)).await?;
    let mut editor_inputs = Vec::new();
    for e in demo.editors {
        let sector_ids = e.sectors.iter().map(|slug| lookup(&sectors, slug, "sector")).collect::<Result<_, _>>()?;
        let input = EditorInput {
            slug: Some(e.slug.clone()),
            display_name: e.display_name,
            bio: e.bio,
            team_role: e.team_role,
            avatar_url: e.avatar_url,
            links: e.links,
            sector_ids,
            visible: e.visible,
        };
        editor_inputs.push((e.slug, input));
    }
    let editors = seed_entries::<Editors>(&txn, &mut report, editor_inputs).await?;
    let mut blog_inputs = Vec::new();
    for b in demo.blogs {
        let sector_id = b.sector.as_deref().map(|s| lookup(&sectors, s, "sector")).transpose()?;
        let blogger_ids = b.bloggers.iter().map(|slug| lookup(&editors, slug, "editor")).collect::<Result<_, _>>()?;
        let input = BlogInput { slug: Some(b.slug.clone()), title: b.title, description: b.description, sector_id, blogger_ids };
        blog_inputs.push((b.slug, input));
    }
    let blogs = seed_entries::<Blogs>(&txn, &mut report, blog_inputs).await?;

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
