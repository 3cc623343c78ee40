//! The query root: lookups, Relay connections with filters and order, `node`/`nodes`, and `me`.
//! Every field reads through the same services (and so the same policy) as REST.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::errors::ToGraphql;
use crate::domain::{ContentKind, ContentStatus, IdOrSlug};
use crate::error::AppError;
use crate::graphql::loaders::{ContentSelection, Loaders};
use crate::graphql::types::{Blog, BlogPost, Content, Editor, Essay, KeyQuestion, NewsLink, Node, Sector, StrategyAnalysis, Tag, parse_global_id};
use crate::listing::{Filter, FilterOp, FilterValue, ListQuery, MAX_LIMIT, Page, ResourceSpec, Sort};
use crate::policy::Principal;
use crate::listing::encode_cursor;
use crate::graphql::search::SearchConnection;
use crate::services::content::{self, ContentLookup, ContentRecord};
use crate::services::news::{self, NewsSourceRecord};
use crate::services::search;
use crate::services::api_keys::{self, ApiKeyRecord};
use crate::services::audit::{self, AuditRecord};
use crate::services::roles::{self, RoleRecord};
use crate::services::users::{self, UserRecord};
use crate::services::webhooks::{self, AttemptRecord, DeliveryRecord, WebhookRecord};
use crate::services::{blogs, editors, taxonomy};
use crate::state::AppState;

/// Page-size default for connections.
const DEFAULT_FIRST: u64 = 20;

/// Where a connection page sits.
#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $doc:literal) => {
        #[doc = concat!("An edge of ", $doc, ".")]
        #[derive(SimpleObject, Clone)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[doc = concat!("A page of ", $doc, ".")]
        #[derive(SimpleObject, Clone)]
        pub struct $conn {
            pub edges: Vec<$edge>,
            pub nodes: Vec<$node>,
            pub page_info: PageInfo,
            /// Items matching over all pages.
            pub total_count: i64,
        }

        impl $conn {
            /// A connection over one page that starts at `offset`.
            pub fn from_page(page: Page<$node>, offset: u64) -> $conn {
                let count = page.items.len() as u64;
                let edges: Vec<$edge> = page
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, node)| $edge { cursor: encode_cursor(offset + i as u64), node: node.clone() })
                    .collect();
                $conn {
                    page_info: PageInfo {
                        has_next_page: offset + count < page.total,
                        has_previous_page: offset > 0,
                        start_cursor: edges.first().map(|e| e.cursor.clone()),
                        end_cursor: edges.last().map(|e| e.cursor.clone()),
                    },
                    nodes: page.items,
                    edges,
                    total_count: i64::try_from(page.total).unwrap_or(i64::MAX),
                }
            }
        }
    };
}

connection!(EssayConnection, EssayEdge, Essay, "essays");
connection!(StrategyAnalysisConnection, StrategyAnalysisEdge, StrategyAnalysis, "strategy analyses");
connection!(BlogPostConnection, BlogPostEdge, BlogPost, "blog posts");
connection!(NewsLinkConnection, NewsLinkEdge, NewsLink, "news links");
connection!(ContentConnection, ContentEdge, Content, "content of every kind");
connection!(EditorConnection, EditorEdge, Editor, "editors");
connection!(SectorConnection, SectorEdge, Sector, "sectors");
connection!(TagConnection, TagEdge, Tag, "tags");
connection!(KeyQuestionConnection, KeyQuestionEdge, KeyQuestion, "key questions");
connection!(BlogConnection, BlogEdge, Blog, "blogs");
connection!(UserConnection, UserEdge, UserRecord, "user accounts");
connection!(RoleConnection, RoleEdge, RoleRecord, "roles");
connection!(ApiKeyConnection, ApiKeyEdge, ApiKeyRecord, "API keys");
connection!(AuditEntryConnection, AuditEntryEdge, AuditRecord, "audit entries");
connection!(WebhookConnection, WebhookEdge, WebhookRecord, "webhook endpoints");
connection!(NewsSourceConnection, NewsSourceEdge, NewsSourceRecord, "news sources");
connection!(WebhookDeliveryConnection, WebhookDeliveryEdge, DeliveryRecord, "webhook deliveries");

fn bad_input(message: impl Into<String>) -> async_graphql::Error {
    AppError::bad_request("invalid_argument", message).to_graphql()
}

fn decode_cursor(cursor: &str) -> Result<u64> {
    crate::listing::decode_cursor(cursor).ok_or_else(|| bad_input("the cursor is not one this API issued"))
}

/// Relay arguments (`first`/`after`, `last`/`before`) as an offset window.
pub(crate) enum RelayWindow {
    /// `limit` items from `offset`.
    Range { offset: u64, limit: u64 },
    /// The last `count` items, not before `from`: the caller knows where the list ends.
    Last { count: u64, from: u64 },
}

/// Reads Relay arguments: sizes within the page limit, cursors this API issued, not both
/// `first` and `last`.
pub(crate) fn relay_window(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<RelayWindow> {
    let size = |n: Option<i32>, name: &str| -> Result<Option<u64>> {
        match n {
            None => Ok(None),
            Some(n) if n < 0 => Err(bad_input(format!("`{name}` must not be negative"))),
            Some(n) if n as u64 > MAX_LIMIT => Err(bad_input(format!("`{name}` is {n}; the maximum page size is {MAX_LIMIT}"))),
            Some(n) => Ok(Some(n as u64)),
        }
    };
    let start = after.as_deref().map(decode_cursor).transpose()?.map_or(0, |a| a + 1);
    let end = before.as_deref().map(decode_cursor).transpose()?;
    match (size(first, "first")?, size(last, "last")?) {
        (Some(_), Some(_)) => Err(bad_input("use `first` or `last`, not both")),
        (None, Some(count)) => Ok(match end {
            Some(end) => {
                let offset = end.saturating_sub(count).max(start);
                RelayWindow::Range { offset, limit: end.saturating_sub(offset) }
            }
            None => RelayWindow::Last { count, from: start },
        }),
        (first, None) => {
            let first = first.unwrap_or(DEFAULT_FIRST);
            Ok(RelayWindow::Range { offset: start, limit: end.map_or(first, |end| first.min(end.saturating_sub(start))) })
        }
    }
}

/// Relay arguments as an offset and a limit; `total` is asked for only when `last` needs it.
async fn window<F, Fut>(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, total: F) -> Result<(u64, u64)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<u64>>,
{
    match relay_window(first, after, last, before)? {
        RelayWindow::Range { offset, limit } => Ok((offset, limit)),
        RelayWindow::Last { count, from } => {
            let end = total().await?;
            let offset = end.saturating_sub(count).max(from);
            Ok((offset, end.saturating_sub(offset)))
        }
    }
}

/// Relay paging arguments.
#[derive(Default, Clone)]
pub struct Paging {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Which content to list. Relations take slugs or ids.
#[derive(InputObject, Default, Clone)]
pub struct ContentFilter {
    pub sector: Option<Vec<String>>,
    pub tag: Option<Vec<String>>,
    pub author: Option<Vec<String>>,
    /// Essays and analyses only.
    pub question: Option<Vec<String>>,
    /// Blog posts only.
    pub blog: Option<Vec<String>>,
    /// Statuses beyond `PUBLISHED` match only what the caller may read.
    pub status: Option<Vec<ContentStatus>>,
    pub kind: Option<Vec<ContentKind>>,
    pub featured: Option<bool>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    pub title_contains: Option<String>,
    /// Full-text search in the `search` grammar; by relevance unless `orderBy` is given.
    pub search: Option<String>,
    /// News links drafted from these news sources.
    pub news_source: Option<Vec<Uuid>>,
}

/// Orders of content lists.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum ContentOrder {
    #[default]
    PublishedAtDesc,
    PublishedAtAsc,
    TitleAsc,
    TitleDesc,
    CreatedAtDesc,
    UpdatedAtDesc,
}

impl ContentOrder {
    fn sort(self) -> Sort {
        let (field, descending) = match self {
            ContentOrder::PublishedAtDesc => ("published_at", true),
            ContentOrder::PublishedAtAsc => ("published_at", false),
            ContentOrder::TitleAsc => ("title", false),
            ContentOrder::TitleDesc => ("title", true),
            ContentOrder::CreatedAtDesc => ("created_at", true),
            ContentOrder::UpdatedAtDesc => ("updated_at", true),
        };
        Sort { field, descending }
    }
}

fn references(field: &'static str, values: &[String]) -> Result<Filter> {
    let parsed = values
        .iter()
        .map(|v| IdOrSlug::parse(v).map(FilterValue::Ref).ok_or_else(|| bad_input(format!("`{field}` takes slugs or ids, not `{v}`"))))
        .collect::<Result<Vec<_>>>()?;
    Ok(Filter { field, op: FilterOp::Eq, values: parsed })
}

/// Translates the typed filter into the same list query REST builds.
fn content_query(spec: &'static ResourceSpec, filter: &ContentFilter, order: Option<ContentOrder>) -> Result<ListQuery> {
    let mut query = ListQuery::new(spec);
    query.search = filter.search.clone().filter(|s| !s.trim().is_empty());
    query.sort = match order {
        Some(order) => vec![order.sort()],
        // A search without an order comes by relevance.
        None if query.search.is_some() => Vec::new(),
        None => vec![ContentOrder::default().sort()],
    };
    let mut push = |filter: Filter| -> Result<()> {
        if spec.filter_field(filter.field).is_none() {
            return Err(bad_input(format!("`{}` does not apply to {}", filter.field, spec.name)));
        }
        query.filters.push(filter);
        Ok(())
    };
    for (field, values) in [("sector", &filter.sector), ("tag", &filter.tag), ("author", &filter.author), ("question", &filter.question), ("blog", &filter.blog)] {
        if let Some(values) = values {
            push(references(field, values)?)?;
        }
    }
    if let Some(statuses) = &filter.status {
        push(Filter { field: "status", op: FilterOp::Eq, values: statuses.iter().map(|s| FilterValue::Text(s.as_str().into())).collect() })?;
    }
    if let Some(kinds) = &filter.kind {
        push(Filter { field: "kind", op: FilterOp::Eq, values: kinds.iter().map(|k| FilterValue::Text(k.as_str().into())).collect() })?;
    }
    if let Some(featured) = filter.featured {
        push(Filter { field: "featured", op: FilterOp::Eq, values: vec![FilterValue::Bool(featured)] })?;
    }
    if let Some(after) = filter.published_after {
        push(Filter { field: "published_at", op: FilterOp::Gt, values: vec![FilterValue::Timestamp(after)] })?;
    }
    if let Some(before) = filter.published_before {
        push(Filter { field: "published_at", op: FilterOp::Lt, values: vec![FilterValue::Timestamp(before)] })?;
    }
    if let Some(sources) = &filter.news_source {
        push(Filter { field: "source", op: FilterOp::Eq, values: sources.iter().map(|s| FilterValue::Uuid(*s)).collect() })?;
    }
    if let Some(text) = &filter.title_contains {
        push(Filter { field: "title", op: FilterOp::Like, values: vec![FilterValue::Text(text.clone())] })?;
    }
    Ok(query)
}

fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState> {
    ctx.data::<AppState>()
}

fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal> {
    ctx.data::<Principal>()
}

async fn content_page(ctx: &Context<'_>, kind: Option<ContentKind>, paging: Paging, filter: Option<ContentFilter>, order: Option<ContentOrder>) -> Result<(Page<ContentRecord>, u64)> {
    let spec = content::spec(kind);
    let mut query = content_query(spec, &filter.unwrap_or_default(), order)?;
    let (state, who) = (state(ctx)?, principal(ctx)?);
    let (db, counts) = (&state.db, Some(&*state.counts));
    let (offset, limit) = window(paging.first, paging.after, paging.last, paging.before, || async {
        let mut count = query.clone();
        count.limit = 0;
        Ok(content::list(db, who, kind, &count, counts).await.map_err(|e| e.to_graphql())?.0.total)
    })
    .await?;
    query.offset = offset;
    query.limit = limit;
    let look = ctx.look_ahead();
    // The total is counted only when asked for.
    query.count_total = look.field("totalCount").exists();
    // Bodies load only when a body field is asked for.
    let wants_body = ["body", "bodyHtml"].iter().any(|f| look.field("nodes").field(f).exists() || look.field("edges").field("node").field(f).exists());
    if !wants_body {
        query.fields = spec.list_fields();
    }
    let (page, _) = content::list(db, who, kind, &query, counts).await.map_err(|e| e.to_graphql())?;
    let loaders = ctx.data::<Loaders>()?;
    loaders.prefetch_content(&page.items, &selection(&look)).await.map_err(|e| e.to_graphql())?;
    Ok((page, offset))
}

/// What the query selects below `nodes` or `edges.node` of a content connection.
fn selection(look: &async_graphql::Lookahead<'_>) -> ContentSelection {
    let picks = |path: &[&str]| {
        let walk = |mut l: async_graphql::Lookahead<'_>| {
            for p in path {
                l = l.field(p);
            }
            l.exists()
        };
        walk(look.field("nodes")) || walk(look.field("edges").field("node"))
    };
    ContentSelection {
        authors: picks(&["authors"]),
        editor_sectors: picks(&["authors", "sectors"]),
        sectors: picks(&["sectors"]),
        tags: picks(&["tags"]),
        question: picks(&["question"]),
        blog: picks(&["blog"]),
        blog_bloggers: picks(&["blog", "bloggers"]),
        blog_sector: picks(&["blog", "sector"]),
    }
}

fn map_page<T, U>(page: Page<T>, f: impl Fn(T) -> U) -> Page<U> {
    Page { items: page.items.into_iter().map(f).collect(), total: page.total }
}

async fn find_content(ctx: &Context<'_>, kind: Option<ContentKind>, id: Option<ID>, slug: Option<String>) -> Result<Option<ContentRecord>> {
    let key = match (id, slug) {
        (Some(id), None) => match parse_global_id(&id).map(|(_, uuid)| uuid).or_else(|| Uuid::try_parse(&id).ok()) {
            Some(uuid) => IdOrSlug::Id(uuid),
            None => return Ok(None),
        },
        (None, Some(slug)) => match IdOrSlug::parse(&slug) {
            Some(key) => key,
            None => return Ok(None),
        },
        _ => return Err(bad_input("give exactly one of `id` and `slug`")),
    };
    match content::get(&state(ctx)?.db, principal(ctx)?, kind, &key, &[]).await {
        Ok(ContentLookup::Found(record, _)) => Ok(Some(*record)),
        Ok(ContentLookup::Moved { .. }) | Err(AppError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.to_graphql()),
    }
}

/// Which catalog entries to list.
#[derive(InputObject, Default, Clone)]
pub struct CatalogFilter {
    pub slug: Option<Vec<String>>,
    /// Name (or title) contains this text, in any case.
    pub name_contains: Option<String>,
    /// Editors and blogs only: by sector slug or id.
    pub sector: Option<Vec<String>>,
    /// Editors only.
    pub team_role: Option<Vec<crate::domain::TeamRole>>,
}

/// Orders of catalog lists.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CatalogOrder {
    NameAsc,
    NameDesc,
    /// Sectors and key questions only.
    PositionAsc,
    CreatedAtDesc,
    UpdatedAtDesc,
}

/// The field a catalog resource is named by.
fn name_field(spec: &ResourceSpec) -> &'static str {
    ["name", "display_name", "title"].into_iter().find(|f| spec.sorts.contains(f)).unwrap_or("slug")
}

/// Translates a catalog filter and order into the same list query REST builds.
fn catalog_query(spec: &'static ResourceSpec, filter: Option<CatalogFilter>, order: Option<CatalogOrder>) -> Result<ListQuery> {
    let mut query = ListQuery::new(spec);
    let filter = filter.unwrap_or_default();
    let mut push = |filter: Filter| -> Result<()> {
        if spec.filter_field(filter.field).is_none() {
            return Err(bad_input(format!("`{}` does not apply to {}", filter.field, spec.name)));
        }
        query.filters.push(filter);
        Ok(())
    };
    if let Some(slugs) = filter.slug {
        push(Filter { field: "slug", op: FilterOp::Eq, values: slugs.into_iter().map(FilterValue::Text).collect() })?;
    }
    if let Some(text) = filter.name_contains {
        push(Filter { field: name_field(spec), op: FilterOp::Like, values: vec![FilterValue::Text(text)] })?;
    }
    if let Some(sectors) = filter.sector {
        push(references("sector", &sectors)?)?;
    }
    if let Some(roles) = filter.team_role {
        push(Filter { field: "team_role", op: FilterOp::Eq, values: roles.into_iter().map(|r| FilterValue::Text(r.as_str().into())).collect() })?;
    }
    if let Some(order) = order {
        let (field, descending) = match order {
            CatalogOrder::NameAsc => (name_field(spec), false),
            CatalogOrder::NameDesc => (name_field(spec), true),
            CatalogOrder::PositionAsc => ("position", false),
            CatalogOrder::CreatedAtDesc => ("created_at", true),
            CatalogOrder::UpdatedAtDesc => ("updated_at", true),
        };
        let field = spec.sorts.iter().copied().find(|s| *s == field).ok_or_else(|| bad_input(format!("{} cannot be ordered that way", spec.name)))?;
        query.sort = vec![Sort { field, descending }];
    }
    Ok(query)
}

/// Simple lists (sectors, tags…) as connections.
async fn simple_page<T, F, Fut>(paging: Paging, spec: &'static ResourceSpec, list: F) -> Result<(Page<T>, u64)>
where
    F: Fn(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, AppError>>,
{
    catalog_page(paging, ListQuery::new(spec), list).await
}

/// A prepared list query as a connection page.
async fn catalog_page<T, F, Fut>(paging: Paging, query: ListQuery, list: F) -> Result<(Page<T>, u64)>
where
    F: Fn(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, AppError>>,
{
    let (offset, limit) = window(paging.first, paging.after, paging.last, paging.before, || async {
        let mut count = query.clone();
        count.limit = 0;
        Ok(list(count).await.map_err(|e| e.to_graphql())?.total)
    })
    .await?;
    let mut query = query;
    query.offset = offset;
    query.limit = limit;
    Ok((list(query).await.map_err(|e| e.to_graphql())?, offset))
}

/// The signed-in user.
#[derive(SimpleObject)]
pub struct Me {
    pub id: ID,
    pub database_id: Uuid,
    pub email: String,
    pub role: String,
}

/// Entry point of every read.
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// Essays, newest first unless ordered otherwise.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn essays(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<ContentFilter>, order_by: Option<ContentOrder>) -> Result<EssayConnection> {
        let (page, offset) = content_page(ctx, Some(ContentKind::Essay), Paging { first, after, last, before }, filter, order_by).await?;
        Ok(EssayConnection::from_page(map_page(page, Essay), offset))
    }

    /// Strategy analyses.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn analyses(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<ContentFilter>, order_by: Option<ContentOrder>) -> Result<StrategyAnalysisConnection> {
        let (page, offset) = content_page(ctx, Some(ContentKind::StrategyAnalysis), Paging { first, after, last, before }, filter, order_by).await?;
        Ok(StrategyAnalysisConnection::from_page(map_page(page, StrategyAnalysis), offset))
    }

    /// Blog posts.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn blog_posts(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<ContentFilter>, order_by: Option<ContentOrder>) -> Result<BlogPostConnection> {
        let (page, offset) = content_page(ctx, Some(ContentKind::BlogPost), Paging { first, after, last, before }, filter, order_by).await?;
        Ok(BlogPostConnection::from_page(map_page(page, BlogPost), offset))
    }

    /// News links.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn news_links(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<ContentFilter>, order_by: Option<ContentOrder>) -> Result<NewsLinkConnection> {
        let (page, offset) = content_page(ctx, Some(ContentKind::NewsLink), Paging { first, after, last, before }, filter, order_by).await?;
        Ok(NewsLinkConnection::from_page(map_page(page, NewsLink), offset))
    }

    /// Full-text search across kinds under the same visibility as every list: words (all
    /// required), `"exact phrase"`, `-excluded`, `a OR b`, `prefix*`. Best match first unless
    /// `orderBy` is given; `filter` narrows as on `content`.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn search(&self, ctx: &Context<'_>, query: String, first: Option<i32>, after: Option<String>, filter: Option<ContentFilter>, order_by: Option<ContentOrder>) -> Result<SearchConnection> {
        let filter = ContentFilter { search: Some(query), ..filter.unwrap_or_default() };
        let mut list = content_query(&content::ANY_CONTENT_SPEC, &filter, order_by)?;
        let RelayWindow::Range { offset, limit } = relay_window(first, after, None, None)? else {
            return Err(bad_input("search pages forward only: use `first` and `after`"));
        };
        list.offset = offset;
        list.limit = limit;
        let look = ctx.look_ahead();
        let results = search::search(&state(ctx)?.db, principal(ctx)?, &list, look.field("facets").exists()).await.map_err(|e| e.to_graphql())?;
        let items: Vec<ContentRecord> = results.hits.items.iter().map(|hit| hit.item.clone()).collect();
        ctx.data::<Loaders>()?.prefetch_content(&items, &selection(&look)).await.map_err(|e| e.to_graphql())?;
        Ok(SearchConnection::new(results.hits, offset, results.facets, results.did_you_mean))
    }

    /// Content of every kind.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn content(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<ContentFilter>, order_by: Option<ContentOrder>) -> Result<ContentConnection> {
        let (page, offset) = content_page(ctx, None, Paging { first, after, last, before }, filter, order_by).await?;
        Ok(ContentConnection::from_page(map_page(page, Content::from), offset))
    }

    /// One essay by global id, UUID or slug.
    async fn essay(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<Essay>> {
        Ok(find_content(ctx, Some(ContentKind::Essay), id, slug).await?.map(Essay))
    }

    /// One strategy analysis.
    async fn analysis(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<StrategyAnalysis>> {
        Ok(find_content(ctx, Some(ContentKind::StrategyAnalysis), id, slug).await?.map(StrategyAnalysis))
    }

    /// One blog post.
    async fn blog_post(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<BlogPost>> {
        Ok(find_content(ctx, Some(ContentKind::BlogPost), id, slug).await?.map(BlogPost))
    }

    /// One news link.
    async fn news_link(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<NewsLink>> {
        Ok(find_content(ctx, Some(ContentKind::NewsLink), id, slug).await?.map(NewsLink))
    }

    /// Anything by its global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Some((type_name, uuid)) = parse_global_id(&id) else {
            return Ok(None);
        };
        let key = IdOrSlug::Id(uuid);
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        Ok(match type_name.as_str() {
            "Essay" | "StrategyAnalysis" | "BlogPost" | "NewsLink" => find_content(ctx, None, Some(ID(uuid.to_string())), None).await?.map(|record| {
                match Content::from(record) {
                    Content::Essay(e) => Node::Essay(e),
                    Content::StrategyAnalysis(a) => Node::StrategyAnalysis(a),
                    Content::BlogPost(p) => Node::BlogPost(p),
                    Content::NewsLink(n) => Node::NewsLink(n),
                }
            }).filter(|node| node_type(node) == type_name),
            "Editor" => found(editors::get(db, who, &key, false).await)?.map(|(e, _)| Node::Editor(Editor(e))),
            "Sector" => found(taxonomy::get_sector(db, &key).await)?.map(|s| Node::Sector(Sector(s))),
            "Tag" => found(taxonomy::get_tag(db, &key).await)?.map(|t| Node::Tag(Tag(t))),
            "KeyQuestion" => found(taxonomy::get_question(db, &key).await)?.map(|q| Node::KeyQuestion(KeyQuestion(q))),
            "Blog" => found(blogs::get(db, who, &key, &[]).await)?.map(|(b, _)| Node::Blog(Blog(b))),
            _ => None,
        })
    }

    /// Several things by global id (null where one is not readable).
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() as u64 > MAX_LIMIT {
            return Err(bad_input(format!("at most {MAX_LIMIT} ids")));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.node(ctx, id).await?);
        }
        Ok(out)
    }

    /// Public editor profiles.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn editors(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<CatalogFilter>, order_by: Option<CatalogOrder>) -> Result<EditorConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = catalog_page(Paging { first, after, last, before }, catalog_query(&editors::EDITOR_SPEC, filter, order_by)?, |q| async move { editors::list(db, who, &q).await.map(|(p, _)| p) }).await?;
        Ok(EditorConnection::from_page(map_page(page, Editor), offset))
    }

    /// One public editor profile by global id, UUID or slug.
    async fn editor(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<Editor>> {
        let key = lookup_key(id, slug)?;
        match editors::get(&state(ctx)?.db, principal(ctx)?, &key, false).await {
            Ok((e, _)) => Ok(Some(Editor(e))),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.to_graphql()),
        }
    }

    /// Sectors, in display order.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn sectors(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<CatalogFilter>, order_by: Option<CatalogOrder>) -> Result<SectorConnection> {
        let db = &state(ctx)?.db;
        let (page, offset) = catalog_page(Paging { first, after, last, before }, catalog_query(&taxonomy::SECTOR_SPEC, filter, order_by)?, |q| async move { taxonomy::list_sectors(db, &q).await }).await?;
        Ok(SectorConnection::from_page(map_page(page, Sector), offset))
    }

    /// One sector.
    async fn sector(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<Sector>> {
        let key = lookup_key(id, slug)?;
        match taxonomy::get_sector(&state(ctx)?.db, &key).await {
            Ok(s) => Ok(Some(Sector(s))),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.to_graphql()),
        }
    }

    /// Tags, by name.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn tags(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<CatalogFilter>, order_by: Option<CatalogOrder>) -> Result<TagConnection> {
        let db = &state(ctx)?.db;
        let (page, offset) = catalog_page(Paging { first, after, last, before }, catalog_query(&taxonomy::TAG_SPEC, filter, order_by)?, |q| async move { taxonomy::list_tags(db, &q).await }).await?;
        Ok(TagConnection::from_page(map_page(page, Tag), offset))
    }

    /// The key questions, in order.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn questions(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<CatalogFilter>, order_by: Option<CatalogOrder>) -> Result<KeyQuestionConnection> {
        let db = &state(ctx)?.db;
        let (page, offset) = catalog_page(Paging { first, after, last, before }, catalog_query(&taxonomy::QUESTION_SPEC, filter, order_by)?, |q| async move { taxonomy::list_questions(db, &q).await }).await?;
        Ok(KeyQuestionConnection::from_page(map_page(page, KeyQuestion), offset))
    }

    /// Blogs.
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn blogs(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, filter: Option<CatalogFilter>, order_by: Option<CatalogOrder>) -> Result<BlogConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = catalog_page(Paging { first, after, last, before }, catalog_query(&blogs::BLOG_SPEC, filter, order_by)?, |q| async move { blogs::list(db, who, &q).await.map(|(p, _)| p) }).await?;
        Ok(BlogConnection::from_page(map_page(page, Blog), offset))
    }

    /// One blog.
    async fn blog(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<Blog>> {
        let key = lookup_key(id, slug)?;
        match blogs::get(&state(ctx)?.db, principal(ctx)?, &key, &[]).await {
            Ok((b, _)) => Ok(Some(Blog(b))),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.to_graphql()),
        }
    }

    /// User accounts (admins).
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn users(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<UserConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = simple_page(Paging { first, after, last, before }, &users::USER_SPEC, |q| async move { users::list(db, who, &q).await }).await?;
        Ok(UserConnection::from_page(page, offset))
    }

    /// Roles and their permissions (admins).
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn roles(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<RoleConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = simple_page(Paging { first, after, last, before }, &roles::ROLE_SPEC, |q| async move { roles::list(db, who, &q).await }).await?;
        Ok(RoleConnection::from_page(page, offset))
    }

    /// API keys, never their secrets (admins).
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn api_keys(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<ApiKeyConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = simple_page(Paging { first, after, last, before }, &api_keys::API_KEY_SPEC, |q| async move { api_keys::list(db, who, &q).await }).await?;
        Ok(ApiKeyConnection::from_page(page, offset))
    }

    /// News sources of the caller's sectors, with their polling health (collectors, editors;
    /// admins: all).
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn news_sources(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<NewsSourceConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = simple_page(Paging { first, after, last, before }, &news::NEWS_SOURCE_SPEC, |q| async move { news::list(db, who, &q).await }).await?;
        Ok(NewsSourceConnection::from_page(page, offset))
    }

    /// One news source, or null.
    async fn news_source(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<NewsSourceRecord>> {
        match news::get(&state(ctx)?.db, principal(ctx)?, id).await {
            Ok(found) => Ok(Some(found)),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.to_graphql()),
        }
    }

    /// Webhook endpoints, never their secrets (admins).
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn webhooks(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<WebhookConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = simple_page(Paging { first, after, last, before }, &webhooks::WEBHOOK_SPEC, |q| async move { webhooks::list(db, who, &q).await }).await?;
        Ok(WebhookConnection::from_page(page, offset))
    }

    /// One webhook endpoint, or null (admins).
    async fn webhook(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<WebhookRecord>> {
        match webhooks::get(&state(ctx)?.db, principal(ctx)?, id).await {
            Ok(found) => Ok(Some(found)),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.to_graphql()),
        }
    }

    /// An endpoint's deliveries, newest first (admins).
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn webhook_deliveries(&self, ctx: &Context<'_>, webhook_id: Uuid, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<WebhookDeliveryConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = simple_page(Paging { first, after, last, before }, &webhooks::DELIVERY_SPEC, |q| async move { webhooks::deliveries(db, who, webhook_id, &q).await }).await?;
        Ok(WebhookDeliveryConnection::from_page(page, offset))
    }

    /// Every attempt of one delivery, oldest first (admins).
    async fn webhook_attempts(&self, ctx: &Context<'_>, webhook_id: Uuid, delivery_id: Uuid) -> Result<Vec<AttemptRecord>> {
        let detail = webhooks::delivery(&state(ctx)?.db, principal(ctx)?, webhook_id, delivery_id).await.map_err(|e| e.to_graphql())?;
        Ok(detail.attempt_log)
    }

    /// The audit log, newest first (admins).
    #[graphql(complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn audit_log(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Result<AuditEntryConnection> {
        let (db, who) = (&state(ctx)?.db, principal(ctx)?);
        let (page, offset) = simple_page(Paging { first, after, last, before }, &audit::AUDIT_SPEC, |q| async move { audit::list(db, who, &q).await }).await?;
        Ok(AuditEntryConnection::from_page(page, offset))
    }

    /// The signed-in user, or null.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Me>> {
        Ok(principal(ctx)?.user().map(|u| Me {
            id: crate::graphql::types::global_id("User", u.id),
            database_id: u.id,
            email: u.email.clone(),
            role: u.role.clone(),
        }))
    }
}

/// `Ok(None)` for a missing (or unreadable) record.
fn found<T>(result: Result<T, AppError>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(AppError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.to_graphql()),
    }
}

fn node_type(node: &Node) -> &'static str {
    match node {
        Node::Essay(_) => "Essay",
        Node::StrategyAnalysis(_) => "StrategyAnalysis",
        Node::BlogPost(_) => "BlogPost",
        Node::NewsLink(_) => "NewsLink",
        Node::Editor(_) => "Editor",
        Node::Sector(_) => "Sector",
        Node::Tag(_) => "Tag",
        Node::KeyQuestion(_) => "KeyQuestion",
        Node::Blog(_) => "Blog",
    }
}

fn lookup_key(id: Option<ID>, slug: Option<String>) -> Result<IdOrSlug> {
    match (id, slug) {
        (Some(id), None) => parse_global_id(&id)
            .map(|(_, uuid)| IdOrSlug::Id(uuid))
            .or_else(|| Uuid::try_parse(&id).ok().map(IdOrSlug::Id))
            .ok_or_else(|| bad_input("`id` is not an id")),
        (None, Some(slug)) => IdOrSlug::parse(&slug).ok_or_else(|| bad_input("`slug` is not a slug")),
        _ => Err(bad_input("give exactly one of `id` and `slug`")),
    }
}
