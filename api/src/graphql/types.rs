//! GraphQL object types over the service records, with relations through the loaders.

use async_graphql::{Context, ID, Interface, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::errors::ToGraphql;
use crate::domain::{ContentKind, ContentStatus};
use crate::graphql::loaders::{ChildrenKey, Loaders};
use crate::graphql::query::{BlogPostConnection, ContentConnection, EssayConnection, RelayWindow, relay_window};
use crate::services::content::Parent;
use crate::services::revisions::RevisionRecord;
use crate::services::blogs::BlogRecord;
use crate::services::content::{ContentRecord, KindDetails};
use crate::services::editors::{EditorRecord, ProfileLink};
use crate::services::taxonomy::{QuestionRecord, SectorRecord, TagRecord};

/// A Relay global id: the type name and the database id.
pub fn global_id(type_name: &str, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}")))
}

/// Splits a global id into its type name and database id.
pub fn parse_global_id(id: &str) -> Option<(String, Uuid)> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let (type_name, raw) = decoded.split_once(':')?;
    Some((type_name.to_owned(), Uuid::try_parse(raw).ok()?))
}

fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

async fn load_many<T, L>(loader: &async_graphql::dataloader::DataLoader<L, async_graphql::dataloader::HashMapCache>, ids: &[Uuid]) -> Result<Vec<T>>
where
    L: async_graphql::dataloader::Loader<Uuid, Value = T, Error = crate::graphql::loaders::LoadError>,
    T: Clone + Send + Sync + 'static,
{
    let found = loader.load_many(ids.iter().copied()).await.map_err(|e| e.to_graphql())?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

async fn load_one<T, L>(loader: &async_graphql::dataloader::DataLoader<L, async_graphql::dataloader::HashMapCache>, id: Option<Uuid>) -> Result<Option<T>>
where
    L: async_graphql::dataloader::Loader<Uuid, Value = T, Error = crate::graphql::loaders::LoadError>,
    T: Clone + Send + Sync + 'static,
{
    match id {
        Some(id) => loader.load_one(id).await.map_err(|e| e.to_graphql()),
        None => Ok(None),
    }
}

/// A link on an editor's profile.
#[derive(SimpleObject, Clone)]
pub struct Link {
    pub label: String,
    pub url: String,
}

impl From<&ProfileLink> for Link {
    fn from(l: &ProfileLink) -> Self {
        Link { label: l.label.clone(), url: l.url.clone() }
    }
}

macro_rules! content_object {
    ($ty:ident, $name:literal, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        #[derive(Clone)]
        pub struct $ty(pub ContentRecord);

        #[Object]
        impl $ty {
            /// Relay global id.
            async fn id(&self) -> ID { global_id($name, self.0.id) }
            /// The id used by the REST API.
            async fn database_id(&self) -> Uuid { self.0.id }
            async fn slug(&self) -> &str { &self.0.slug }
            async fn title(&self) -> &str { &self.0.title }
            async fn subtitle(&self) -> Option<&str> { self.0.subtitle.as_deref() }
            async fn summary(&self) -> &str { &self.0.summary }
            /// Markdown source.
            async fn body(&self) -> &str { &self.0.body }
            /// Rendered, sanitized HTML.
            async fn body_html(&self) -> &str { &self.0.body_html }
            async fn status(&self) -> Option<ContentStatus> { Some(self.0.status) }
            async fn published_at(&self) -> Option<DateTime<Utc>> { self.0.published_at }
            async fn scheduled_at(&self) -> Option<DateTime<Utc>> { self.0.scheduled_at }
            async fn version(&self) -> i32 { self.0.version }
            async fn byline(&self) -> Option<&str> { self.0.byline.as_deref() }
            async fn featured_image_url(&self) -> Option<&str> { self.0.featured_image_url.as_deref() }
            async fn seo_title(&self) -> Option<&str> { self.0.seo_title.as_deref() }
            async fn seo_description(&self) -> Option<&str> { self.0.seo_description.as_deref() }
            async fn reading_time_minutes(&self) -> i32 { self.0.reading_time_minutes }
            async fn word_count(&self) -> i32 { self.0.word_count }
            async fn created_at(&self) -> DateTime<Utc> { self.0.created_at }
            async fn updated_at(&self) -> DateTime<Utc> { self.0.updated_at }
            /// Authors, in byline order.
            async fn authors(&self, ctx: &Context<'_>) -> Result<Vec<Editor>> {
                Ok(load_many(&loaders(ctx)?.editors, &self.0.author_ids).await?.into_iter().map(Editor).collect())
            }
            async fn sectors(&self, ctx: &Context<'_>) -> Result<Vec<Sector>> {
                Ok(load_many(&loaders(ctx)?.sectors, &self.0.sector_ids).await?.into_iter().map(Sector).collect())
            }
            async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
                Ok(load_many(&loaders(ctx)?.tags, &self.0.tag_ids).await?.into_iter().map(Tag).collect())
            }
            /// Saved versions, oldest first; empty for callers who may not read the history.
            async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<RevisionRecord>> {
                Ok(loaders(ctx)?.revisions.load_one(self.0.id).await.map_err(|e| e.to_graphql())?.unwrap_or_default())
            }
            $($extra)*
        }
    };
}

content_object!(Essay, "Essay", "A feature essay.", {
    /// Whether the essay is featured.
    async fn featured(&self) -> bool { matches!(self.0.details, KindDetails::Essay { featured: true, .. }) }
    /// The key question the essay answers.
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<KeyQuestion>> {
        Ok(load_one(&loaders(ctx)?.questions, self.0.question_id()).await?.map(KeyQuestion))
    }
});

content_object!(StrategyAnalysis, "StrategyAnalysis", "An analysis of conditions and strategy.", {
    async fn key_takeaways(&self) -> Vec<String> {
        match &self.0.details { KindDetails::StrategyAnalysis { key_takeaways, .. } => key_takeaways.clone(), _ => Vec::new() }
    }
    /// The key question the analysis answers.
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<KeyQuestion>> {
        Ok(load_one(&loaders(ctx)?.questions, self.0.question_id()).await?.map(KeyQuestion))
    }
});

content_object!(BlogPost, "BlogPost", "A post on one of the blogs.", {
    /// The blog the post belongs to.
    async fn blog(&self, ctx: &Context<'_>) -> Result<Option<Blog>> {
        Ok(load_one(&loaders(ctx)?.blogs, self.0.blog_id()).await?.map(Blog))
    }
});

content_object!(NewsLink, "NewsLink", "An aggregated news item.", {
    async fn url(&self) -> Option<&str> { match &self.0.details { KindDetails::NewsLink { url, .. } => url.as_deref(), _ => None } }
    async fn source_name(&self) -> Option<&str> { match &self.0.details { KindDetails::NewsLink { source_name, .. } => source_name.as_deref(), _ => None } }
    async fn source_url(&self) -> Option<&str> { match &self.0.details { KindDetails::NewsLink { source_url, .. } => source_url.as_deref(), _ => None } }
    /// The collector's commentary.
    async fn commentary(&self) -> Option<&str> { match &self.0.details { KindDetails::NewsLink { commentary, .. } => commentary.as_deref(), _ => None } }
    /// The id of the news source that found the story, if one did.
    async fn news_source_id(&self) -> Option<Uuid> { match &self.0.details { KindDetails::NewsLink { news_source_id, .. } => *news_source_id, _ => None } }
});

/// Any content item.
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "database_id", ty = "Uuid"),
    field(name = "slug", ty = "&str"),
    field(name = "title", ty = "&str"),
    field(name = "summary", ty = "&str"),
    field(name = "body_html", ty = "&str"),
    field(name = "status", ty = "Option<ContentStatus>"),
    field(name = "published_at", ty = "Option<DateTime<Utc>>"),
    field(name = "version", ty = "i32"),
    field(name = "authors", ty = "Vec<Editor>"),
    field(name = "sectors", ty = "Vec<Sector>"),
    field(name = "tags", ty = "Vec<Tag>")
)]
pub enum Content {
    Essay(Essay),
    StrategyAnalysis(StrategyAnalysis),
    BlogPost(BlogPost),
    NewsLink(NewsLink),
}

impl From<ContentRecord> for Content {
    fn from(record: ContentRecord) -> Self {
        match record.details {
            KindDetails::Essay { .. } => Content::Essay(Essay(record)),
            KindDetails::StrategyAnalysis { .. } => Content::StrategyAnalysis(StrategyAnalysis(record)),
            KindDetails::BlogPost { .. } => Content::BlogPost(BlogPost(record)),
            KindDetails::NewsLink { .. } => Content::NewsLink(NewsLink(record)),
        }
    }
}

/// The page of content under one parent, through the batched loader, and the offset of its first item.
#[allow(clippy::too_many_arguments)]
async fn children(
    ctx: &Context<'_>,
    parent: Parent,
    id: Uuid,
    kind: Option<ContentKind>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<(crate::listing::Page<ContentRecord>, u64)> {
    // The last items of a nested list are counted from its end by the loader.
    let (offset, limit, from_end) = match relay_window(first, after, last, before)? {
        RelayWindow::Range { offset, limit } => (offset, limit, false),
        RelayWindow::Last { count, .. } => (0, count, true),
    };
    let key = ChildrenKey { parent, id, kind, offset, limit, from_end };
    let page = loaders(ctx)?.children.load_one(key).await.map_err(|e| e.to_graphql())?;
    let page = page.unwrap_or(crate::listing::Page { items: Vec::new(), total: 0 });
    let offset = if from_end { page.total.saturating_sub(page.items.len() as u64) } else { offset };
    Ok((page, offset))
}

fn contents(page: crate::listing::Page<ContentRecord>) -> crate::listing::Page<Content> {
    crate::listing::Page { items: page.items.into_iter().map(Content::from).collect(), total: page.total }
}

/// A public team profile.
#[derive(Clone)]
pub struct Editor(pub EditorRecord);

#[Object]
impl Editor {
    async fn id(&self) -> ID { global_id("Editor", self.0.id) }
    async fn database_id(&self) -> Uuid { self.0.id }
    async fn slug(&self) -> &str { &self.0.slug }
    /// Bumped by every write; pass it as `expectedVersion` to update this version.
    async fn version(&self) -> i32 { self.0.version }
    async fn display_name(&self) -> &str { &self.0.display_name }
    /// Markdown.
    async fn bio(&self) -> &str { &self.0.bio }
    async fn team_role(&self) -> &str { self.0.team_role.as_str() }
    async fn avatar_url(&self) -> Option<&str> { self.0.avatar_url.as_deref() }
    async fn links(&self) -> Vec<Link> { self.0.links.iter().map(Link::from).collect() }
    async fn sectors(&self, ctx: &Context<'_>) -> Result<Vec<Sector>> {
        Ok(load_many(&loaders(ctx)?.sectors, &self.0.sector_ids).await?.into_iter().map(Sector).collect())
    }
    /// What this editor is an author of (of one kind, or of every kind), newest first.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn content(&self, ctx: &Context<'_>, kind: Option<ContentKind>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<ContentConnection> {
        let (page, offset) = children(ctx, Parent::Author, self.0.id, kind, first, after, last, before).await?;
        Ok(ContentConnection::from_page(contents(page), offset))
    }
    /// The essays this editor is an author of, newest first.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn essays(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<EssayConnection> {
        let (page, offset) = children(ctx, Parent::Author, self.0.id, Some(ContentKind::Essay), first, after, last, before).await?;
        Ok(EssayConnection::from_page(crate::listing::Page { items: page.items.into_iter().map(Essay).collect(), total: page.total }, offset))
    }
}

/// A movement sector.
#[derive(Clone)]
pub struct Sector(pub SectorRecord);

#[Object]
impl Sector {
    async fn id(&self) -> ID { global_id("Sector", self.0.id) }
    async fn database_id(&self) -> Uuid { self.0.id }
    async fn slug(&self) -> &str { &self.0.slug }
    /// Bumped by every write; pass it as `expectedVersion` to update this version.
    async fn version(&self) -> i32 { self.0.version }
    async fn name(&self) -> &str { &self.0.name }
    async fn description(&self) -> &str { &self.0.description }
    async fn position(&self) -> i32 { self.0.position }
    /// Content filed under this sector, newest first.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn content(&self, ctx: &Context<'_>, kind: Option<ContentKind>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<ContentConnection> {
        let (page, offset) = children(ctx, Parent::Sector, self.0.id, kind, first, after, last, before).await?;
        Ok(ContentConnection::from_page(contents(page), offset))
    }
}

/// A tag.
#[derive(Clone)]
pub struct Tag(pub TagRecord);

#[Object]
impl Tag {
    async fn id(&self) -> ID { global_id("Tag", self.0.id) }
    async fn database_id(&self) -> Uuid { self.0.id }
    async fn slug(&self) -> &str { &self.0.slug }
    /// Bumped by every write; pass it as `expectedVersion` to update this version.
    async fn version(&self) -> i32 { self.0.version }
    async fn name(&self) -> &str { &self.0.name }
    /// Content with this tag, newest first.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn content(&self, ctx: &Context<'_>, kind: Option<ContentKind>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<ContentConnection> {
        let (page, offset) = children(ctx, Parent::Tag, self.0.id, kind, first, after, last, before).await?;
        Ok(ContentConnection::from_page(contents(page), offset))
    }
}

/// One of the publication's key questions.
#[derive(Clone)]
pub struct KeyQuestion(pub QuestionRecord);

#[Object]
impl KeyQuestion {
    async fn id(&self) -> ID { global_id("KeyQuestion", self.0.id) }
    async fn database_id(&self) -> Uuid { self.0.id }
    async fn slug(&self) -> &str { &self.0.slug }
    /// Bumped by every write; pass it as `expectedVersion` to update this version.
    async fn version(&self) -> i32 { self.0.version }
    async fn title(&self) -> &str { &self.0.title }
    async fn prompt(&self) -> &str { &self.0.prompt }
    async fn position(&self) -> i32 { self.0.position }
    /// Essays and analyses answering this question, newest first.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn content(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<ContentConnection> {
        let (page, offset) = children(ctx, Parent::Question, self.0.id, None, first, after, last, before).await?;
        Ok(ContentConnection::from_page(contents(page), offset))
    }
}

/// A blog.
#[derive(Clone)]
pub struct Blog(pub BlogRecord);

#[Object]
impl Blog {
    async fn id(&self) -> ID { global_id("Blog", self.0.id) }
    async fn database_id(&self) -> Uuid { self.0.id }
    async fn slug(&self) -> &str { &self.0.slug }
    /// Bumped by every write; pass it as `expectedVersion` to update this version.
    async fn version(&self) -> i32 { self.0.version }
    async fn title(&self) -> &str { &self.0.title }
    async fn description(&self) -> &str { &self.0.description }
    async fn sector(&self, ctx: &Context<'_>) -> Result<Option<Sector>> {
        Ok(load_one(&loaders(ctx)?.sectors, self.0.sector_id).await?.map(Sector))
    }
    /// The blog's writers, in display order.
    async fn bloggers(&self, ctx: &Context<'_>) -> Result<Vec<Editor>> {
        Ok(load_many(&loaders(ctx)?.editors, &self.0.blogger_ids).await?.into_iter().map(Editor).collect())
    }
    /// The blog's posts, newest first.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn posts(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<BlogPostConnection> {
        let (page, offset) = children(ctx, Parent::Blog, self.0.id, Some(ContentKind::BlogPost), first, after, last, before).await?;
        Ok(BlogPostConnection::from_page(crate::listing::Page { items: page.items.into_iter().map(BlogPost).collect(), total: page.total }, offset))
    }
}

/// Anything with a global id.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Essay(Essay),
    StrategyAnalysis(StrategyAnalysis),
    BlogPost(BlogPost),
    NewsLink(NewsLink),
    Editor(Editor),
    Sector(Sector),
    Tag(Tag),
    KeyQuestion(KeyQuestion),
    Blog(Blog),
}
