//! Feeds: the published items of one listing, newest first, with what a feed entry shows, read
//! as an anonymous caller whatever the request's credentials (drafts never appear).

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::{ContentKind, IdOrSlug, Slug};
use crate::error::AppError;
use crate::listing::{Filter, FilterOp, FilterValue, ListQuery, Sort};
use crate::policy::Principal;
use crate::services::content::{self, ContentRecord, KindDetails};
use crate::services::{blogs, changes, editors, taxonomy};

/// Entries a feed has unless the reader asks for another number.
pub const DEFAULT_LIMIT: u64 = 20;
/// Most entries a feed has.
pub const MAX_LIMIT: u64 = 100;

/// Which listing a feed follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedScope {
    /// Every kind.
    All,
    /// One kind.
    Kind(ContentKind),
    /// Items in a sector, with a tag, by an author, on a blog, or answering a key question.
    Sector(Slug),
    Tag(Slug),
    Editor(Slug),
    Blog(Slug),
    Question(Slug),
}

impl FeedScope {
    /// The scope a feed path names (`essays`, or `sectors` and a slug); None for anything else.
    pub fn parse(scope: &str, slug: Option<&str>) -> Option<FeedScope> {
        let Some(slug) = slug else {
            if scope == "all" {
                return Some(FeedScope::All);
            }
            return ContentKind::ALL.iter().find(|k| k.collection() == scope).map(|k| FeedScope::Kind(*k));
        };
        let slug = Slug::parse(slug)?;
        Some(match scope {
            "sectors" => FeedScope::Sector(slug),
            "tags" => FeedScope::Tag(slug),
            "editors" => FeedScope::Editor(slug),
            "blogs" => FeedScope::Blog(slug),
            "questions" => FeedScope::Question(slug),
            _ => return None,
        })
    }
}

/// A feed, ready to be written in any format.
#[derive(Debug, Clone)]
pub struct Feed {
    pub title: String,
    pub description: String,
    /// The REST list with the same items, for `Link: rel="alternate"`.
    pub list_path: String,
    /// When anything a feed can show last changed.
    pub updated: DateTime<Utc>,
    pub entries: Vec<FeedEntry>,
}

/// One entry of a feed.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub id: Uuid,
    pub title: String,
    /// The item's path on the publication's site (`/essays/<slug>`).
    pub path: String,
    /// Where a news link points: the story itself.
    pub story_url: Option<String>,
    pub summary: String,
    /// The full rendered, sanitized HTML (a news link's commentary first).
    pub content_html: String,
    pub authors: Vec<String>,
    /// Sector and tag names.
    pub categories: Vec<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub image_url: Option<String>,
}

/// The publication's name in feed titles.
const PUBLICATION: &str = "Organizing Upgrade";

fn related(field: &'static str, id: Uuid) -> Filter {
    Filter { field, op: FilterOp::Eq, values: vec![FilterValue::Ref(IdOrSlug::Id(id))] }
}

/// What a scope adds to the list query: its title, description, REST path and filter.
async fn describe(db: &DatabaseConnection, scope: &FeedScope) -> Result<(String, String, String, Option<Filter>), AppError> {
    let anonymous = &Principal::Anonymous;
    Ok(match scope {
        FeedScope::All => (PUBLICATION.to_owned(), "Everything Organizing Upgrade publishes".to_owned(), "/api/v1/content".to_owned(), None),
        FeedScope::Kind(kind) => {
            let name = match kind {
                ContentKind::Essay => "Essays",
                ContentKind::StrategyAnalysis => "Strategy analyses",
                ContentKind::BlogPost => "Blog posts",
                ContentKind::NewsLink => "News",
            };
            (format!("{PUBLICATION}: {name}"), format!("{name} from Organizing Upgrade"), format!("/api/v1/{}", kind.collection()), None)
        }
        FeedScope::Sector(slug) => {
            let sector = taxonomy::get_sector(db, &IdOrSlug::Slug(slug.clone())).await?;
            (format!("{PUBLICATION}: {}", sector.name), sector.description, format!("/api/v1/content?sector={}", sector.slug), Some(related("sector", sector.id)))
        }
        FeedScope::Tag(slug) => {
            let tag = taxonomy::get_tag(db, &IdOrSlug::Slug(slug.clone())).await?;
            (format!("{PUBLICATION}: {}", tag.name), format!("Tagged {}", tag.name), format!("/api/v1/content?tag={}", tag.slug), Some(related("tag", tag.id)))
        }
        FeedScope::Editor(slug) => {
            let (editor, _) = editors::get(db, anonymous, &IdOrSlug::Slug(slug.clone()), false).await?;
            let description = format!("By {}", editor.display_name);
            (format!("{PUBLICATION}: {}", editor.display_name), description, format!("/api/v1/content?author={}", editor.slug), Some(related("author", editor.id)))
        }
        FeedScope::Blog(slug) => {
            let (blog, _) = blogs::get(db, anonymous, &IdOrSlug::Slug(slug.clone()), &[]).await?;
            (format!("{PUBLICATION}: {}", blog.title), blog.description, format!("/api/v1/blog-posts?blog={}", blog.slug), Some(related("blog", blog.id)))
        }
        FeedScope::Question(slug) => {
            let question = taxonomy::get_question(db, &IdOrSlug::Slug(slug.clone())).await?;
            (format!("{PUBLICATION}: {}", question.title), question.prompt, format!("/api/v1/content?question={}", question.slug), Some(related("question", question.id)))
        }
    })
}

/// The feed of `scope`: up to `limit` published items, newest first.
pub async fn feed(db: &DatabaseConnection, scope: &FeedScope, limit: u64) -> Result<Feed, AppError> {
    let (title, description, list_path, filter) = describe(db, scope).await?;
    let kind = match scope {
        FeedScope::Kind(kind) => Some(*kind),
        FeedScope::Blog(_) => Some(ContentKind::BlogPost),
        _ => None,
    };
    let query = ListQuery {
        limit,
        sort: vec![Sort { field: "published_at", descending: true }],
        filters: filter.into_iter().collect(),
        include: vec!["authors", "sectors", "tags"],
        count_total: false,
        ..ListQuery::new(content::spec(kind))
    };
    // Anonymous whatever the request carried: a feed is public, and cached as such.
    let (page, embeds) = content::list(db, &Principal::Anonymous, kind, &query, None).await?;
    let entries = page
        .items
        .into_iter()
        .map(|item| {
            let authors = item.author_ids.iter().filter_map(|id| embeds.authors.get(id)).map(|a| a.display_name.clone());
            let authors: Vec<String> = if item.author_ids.is_empty() { item.byline.clone().into_iter().collect() } else { authors.collect() };
            let mut categories: Vec<String> = item.sector_ids.iter().filter_map(|id| embeds.sectors.get(id)).map(|s| s.name.clone()).collect();
            categories.extend(item.tag_ids.iter().filter_map(|id| embeds.tags.get(id)).map(|t| t.name.clone()));
            entry(item, authors, categories)
        })
        .collect();
    let updated = changes::head(db).await?.1.unwrap_or_else(crate::clock::now);
    Ok(Feed { title, description, list_path, updated, entries })
}

fn entry(item: ContentRecord, authors: Vec<String>, categories: Vec<String>) -> FeedEntry {
    let (story_url, commentary) = match &item.details {
        KindDetails::NewsLink { url, commentary, .. } => (url.clone(), commentary.clone()),
        _ => (None, None),
    };
    let content_html = match commentary.filter(|c| !c.trim().is_empty()) {
        Some(commentary) => format!("<p>{}</p>\n{}", crate::rendering::escape_html(&commentary), item.body_html),
        None => item.body_html,
    };
    FeedEntry {
        id: item.id,
        path: format!("/{}/{}", item.kind.collection(), item.slug),
        title: item.title,
        story_url,
        summary: item.summary,
        content_html,
        authors,
        categories,
        published: item.published_at.unwrap_or(item.created_at),
        updated: item.updated_at,
        image_url: item.featured_image_url,
    }
}
