//! Content items of the four kinds: listing and lookup under the caller's visibility.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Select};
use serde::Serialize;
use uuid::Uuid;

use entity::{blog, content_author, content_item, content_sector, content_slug_redirect, content_tag, editor, key_question, sector, tag};

use crate::domain::{ContentKind, ContentStatus, IdOrSlug};
use crate::error::AppError;
use crate::listing::{Filter, FilterOp, FilterValue, ListQuery, Page};
use crate::policy::{Principal, content_visibility, editor_visibility, trash_visibility};
use crate::services::blogs::BlogRecord;
use crate::services::counts::CountCache;
use crate::services::editors::EditorRecord;
use crate::services::query::{Empty, apply_filters, apply_sort, column_condition, fetch_page, page_statements, in_subquery, linked_to, reference_ids};
use crate::services::search::Search;
use crate::services::taxonomy::{QuestionRecord, SectorRecord, TagRecord};
use crate::services::{blogs, distinct_ids, editors, link_map, taxonomy};

mod input;
mod insert;
mod links;
mod validate;
mod workflow;
mod nested;
mod spec;
mod write;

pub use insert::{NewContent, insert};
pub use nested::{Parent, pages_by_parent};
pub use input::ContentInput;
pub use workflow::{Transition, due_for_publication, publish_scheduled, transition};
pub use write::{Discovery, create, create_in, detach_source, purge, restore, restore_revision, trash, update};
pub use spec::{ALL_KIND_FILTERS, ANALYSIS_SPEC, ANY_CONTENT_SPEC, BLOG_POST_SPEC, ESSAY_SPEC, NEWS_LINK_SPEC, spec};

/// A content item of any kind, as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct ContentRecord {
    pub id: Uuid,
    pub kind: ContentKind,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub summary: String,
    /// Markdown source (in lists only when `fields=` names it).
    pub body: String,
    /// Rendered, sanitized HTML (in lists only when `fields=` names it).
    pub body_html: String,
    pub status: ContentStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Incremented by every save.
    pub version: i32,
    /// Authors, in byline order.
    pub author_ids: Vec<Uuid>,
    /// A guest writer's name, shown instead of or beside the authors.
    pub byline: Option<String>,
    pub sector_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub featured_image_url: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub reading_time_minutes: i32,
    pub word_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Fields that only this kind has.
    #[serde(flatten)]
    pub details: KindDetails,
}

/// The fields particular to one kind of content.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum KindDetails {
    /// A feature essay.
    Essay {
        #[cfg_attr(feature = "adapters", schema(required = true))]
        question_id: Option<Uuid>,
        featured: bool,
    },
    /// A strategy analysis.
    StrategyAnalysis {
        #[cfg_attr(feature = "adapters", schema(required = true))]
        question_id: Option<Uuid>,
        key_takeaways: Vec<String>,
    },
    /// A blog post.
    BlogPost {
        #[cfg_attr(feature = "adapters", schema(required = true))]
        blog_id: Option<Uuid>,
    },
    /// An aggregated news link.
    NewsLink {
        #[cfg_attr(feature = "adapters", schema(required = true))]
        url: Option<String>,
        source_name: Option<String>,
        source_url: Option<String>,
        commentary: Option<String>,
        /// The news source it was drafted from, if a source found it.
        news_source_id: Option<Uuid>,
    },
}

impl KindDetails {
    fn question_id(&self) -> Option<Uuid> {
        match self {
            KindDetails::Essay { question_id, .. } | KindDetails::StrategyAnalysis { question_id, .. } => *question_id,
            _ => None,
        }
    }

    fn blog_id(&self) -> Option<Uuid> {
        match self {
            KindDetails::BlogPost { blog_id } => *blog_id,
            _ => None,
        }
    }
}

/// Related records embedded on request (`include=`), keyed by id.
#[derive(Debug, Default)]
pub struct ContentEmbeds {
    pub authors: HashMap<Uuid, EditorRecord>,
    pub sectors: HashMap<Uuid, SectorRecord>,
    pub tags: HashMap<Uuid, TagRecord>,
    pub blogs: HashMap<Uuid, BlogRecord>,
    pub questions: HashMap<Uuid, QuestionRecord>,
}

/// The outcome of looking an item up by id or slug.
#[derive(Debug)]
pub enum ContentLookup {
    /// The item, with what was asked to be embedded.
    Found(Box<ContentRecord>, ContentEmbeds),
    /// The slug is a former one; the item now lives under this slug.
    Moved { slug: String },
}

fn sort_column(field: &str) -> Option<content_item::Column> {
    use content_item::Column as C;
    Some(match field {
        "published_at" => C::PublishedAt,
        "created_at" => C::CreatedAt,
        "updated_at" => C::UpdatedAt,
        "title" => C::Title,
        "slug" => C::Slug,
        "status" => C::Status,
        "scheduled_at" => C::ScheduledAt,
        "reading_time_minutes" => C::ReadingTimeMinutes,
        "word_count" => C::WordCount,
        "version" => C::Version,
        "kind" => C::Kind,
        "id" => C::Id,
        _ => return None,
    })
}

fn filter_column(field: &str) -> Option<content_item::Column> {
    use content_item::Column as C;
    match field {
        "featured" => Some(C::Featured),
        "source_name" => Some(C::SourceName),
        "source" => Some(C::NewsSourceId),
        "url" => Some(C::Url),
        other => sort_column(other),
    }
}


/// The rows of one kind (or all kinds) the caller may read.
fn visible(principal: &Principal, kind: Option<ContentKind>) -> Select<content_item::Entity> {
    content_item::Entity::find().filter(content_visibility(principal, kind))
}

/// Lists the content the caller may read.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kind: Option<ContentKind>,
    query: &ListQuery,
    counts: Option<&CountCache>,
) -> Result<(Page<ContentRecord>, ContentEmbeds), AppError> {
    let backend = db.get_database_backend();
    let (select, search) = matching(backend, principal, kind, query)?;
    let select = ordered(select, principal, search.as_ref(), query, backend)?;
    // Kept totals only for public readers: what they see is exactly what the change log
    // describes, while a signed-in caller's view also follows grants and accounts.
    let counts = counts.filter(|_| principal.is_public());
    let page = fetch_page(db, select, query, counts).await?;
    let with_bodies = query.wants_field("body") || query.wants_field("body_html");
    let items = records(db, principal, page.items, with_bodies).await?;
    let embeds = embeds(db, principal, &items, &query.include).await?;
    Ok((Page { items, total: page.total }, embeds))
}

/// The statements a list runs on `content_items` (its count and its page), built as [`list`]
/// builds them: what the query-plan test reads the plans of.
pub fn list_statements(backend: DbBackend, principal: &Principal, kind: Option<ContentKind>, query: &ListQuery) -> Result<Vec<sea_orm::Statement>, AppError> {
    let (select, search) = matching(backend, principal, kind, query)?;
    let select = ordered(select, principal, search.as_ref(), query, backend)?;
    Ok(page_statements(backend, &select, query))
}

/// The rows the caller may read that meet the query's filters and search, unordered; and the
/// parsed search, if there is one.
pub(crate) fn matching(
    backend: DbBackend,
    principal: &Principal,
    kind: Option<ContentKind>,
    query: &ListQuery,
) -> Result<(Select<content_item::Entity>, Option<Search>), AppError> {
    use content_item::Column as C;
    let trashed = FilterValue::Text("trashed".into());
    let wants_trash = query.filters.iter().any(|f| f.field == "status" && f.op == FilterOp::Eq && f.values.contains(&trashed));
    let base = if wants_trash {
        content_item::Entity::find().filter(
            Condition::any()
                .add(content_visibility(principal, kind))
                .add(trash_visibility(principal, kind)),
        )
    } else {
        visible(principal, kind)
    };
    let select = apply_filters(base, query, |f| match f.field {
        "status" => Some(status_condition(f)),
        "sector" => Some(linked_to::<content_sector::Entity, sector::Entity>(
            content_item::Column::Id,
            content_sector::Column::ContentId, content_sector::Column::SectorId,
            sector::Column::Id, sector::Column::Slug, f, Condition::all(),
        )),
        "tag" => Some(linked_to::<content_tag::Entity, tag::Entity>(
            content_item::Column::Id,
            content_tag::Column::ContentId, content_tag::Column::TagId,
            tag::Column::Id, tag::Column::Slug, f, Condition::all(),
        )),
        "author" => Some(linked_to::<content_author::Entity, editor::Entity>(
            content_item::Column::Id,
            content_author::Column::ContentId, content_author::Column::EditorId,
            editor::Column::Id, editor::Column::Slug, f, editor_visibility(principal),
        )),
        "question" => Some(in_subquery(
            C::QuestionId,
            f.op,
            reference_ids::<key_question::Entity, _>(key_question::Column::Id, key_question::Column::Slug, &f.values, Condition::all()),
        )),
        "blog" => Some(in_subquery(
            C::BlogId,
            f.op,
            reference_ids::<blog::Entity, _>(blog::Column::Id, blog::Column::Slug, &f.values, Condition::all()),
        )),
        other => filter_column(other).map(|c| column_condition(c, f)),
    })?;
    match query.search.as_deref() {
        Some(text) => {
            let search = Search::parse(text)?;
            Ok((search.constrain(select, backend), Some(search)))
        }
        None => Ok((select, None)),
    }
}

/// Orders matching rows by the query's sort, or by relevance when it searches without one;
/// `id` breaks ties.
pub(crate) fn ordered(
    select: Select<content_item::Entity>,
    principal: &Principal,
    search: Option<&Search>,
    query: &ListQuery,
    backend: DbBackend,
) -> Result<Select<content_item::Entity>, AppError> {
    let select = match search {
        Some(search) if query.sort.is_empty() => search.by_relevance(select, backend),
        _ => select,
    };
    // What a public caller reads is published: every row has a publication date and none a
    // schedule, so the order needs no rule for empty dates (which would keep PostgreSQL from
    // reading a descending index backwards).
    let empty = if principal.is_public() { Empty::Only(&[]) } else { Empty::Only(&["published_at", "scheduled_at"]) };
    apply_sort(select, query, content_item::Column::Id, sort_column, empty)
}

/// The items among `ids` the caller may read or restore from the trash (with their bodies), in
/// no particular order.
pub(crate) async fn by_ids(db: &impl ConnectionTrait, principal: &Principal, ids: &[Uuid]) -> Result<Vec<ContentRecord>, AppError> {
    let readable = Condition::any().add(content_visibility(principal, None)).add(trash_visibility(principal, None));
    let models = content_item::Entity::find().filter(readable).filter(content_item::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    records(db, principal, models, true).await
}

/// The items of `kind` the caller may read, with their bodies, as a plain GET shows them: the
/// next `limit` after `after` in id order, or (with `ids`) those among `ids`. Sync reads here.
pub async fn readable(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kind: ContentKind,
    after: Option<Uuid>,
    ids: Option<&[Uuid]>,
    limit: u64,
) -> Result<Vec<ContentRecord>, AppError> {
    use sea_orm::QueryOrder;
    let mut select = visible(principal, Some(kind)).order_by_asc(content_item::Column::Id).limit(limit);
    if let Some(after) = after {
        select = select.filter(content_item::Column::Id.gt(after));
    }
    if let Some(ids) = ids {
        select = select.filter(content_item::Column::Id.is_in(ids.iter().copied()));
    }
    records(db, principal, select.all(db).await?, true).await
}

/// `status` filters, where `trashed` means "in the trash" and the other statuses exclude the trash.
fn status_condition(filter: &Filter) -> Condition {
    let trashed = FilterValue::Text("trashed".into());
    let states: Vec<FilterValue> = filter.values.iter().filter(|v| **v != trashed).cloned().collect();
    let in_trash = filter.values.contains(&trashed);
    let live = Condition::all().add(content_item::Column::DeletedAt.is_null());
    let by_state = |values: Vec<FilterValue>| column_condition(content_item::Column::Status, &Filter { field: "status", op: filter.op, values });
    match filter.op {
        FilterOp::Ne => {
            let mut keep = Condition::all();
            if !states.is_empty() {
                keep = keep.add(by_state(states));
            }
            if in_trash {
                keep = keep.add(live);
            }
            keep
        }
        _ => {
            let mut any = Condition::any();
            if !states.is_empty() {
                any = any.add(by_state(states).add(live));
            }
            if in_trash {
                any = any.add(content_item::Column::DeletedAt.is_not_null());
            }
            any
        }
    }
}

/// Finds one readable item of a kind (or any kind) by id or slug; former slugs answer `Moved`.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kind: Option<ContentKind>,
    key: &IdOrSlug,
    include: &[&str],
) -> Result<ContentLookup, AppError> {
    let not_found = AppError::NotFound { resource: "content item" };
    let select = visible(principal, kind);
    let model = match key {
        IdOrSlug::Id(id) => select.filter(content_item::Column::Id.eq(*id)).one(db).await?,
        IdOrSlug::Slug(slug) => {
            let mut found = select.filter(content_item::Column::Slug.eq(slug.as_str())).limit(2).all(db).await?;
            if found.len() > 1 {
                return Err(AppError::bad_request(
                    "ambiguous_slug",
                    format!("several kinds use the slug `{}`; ask /{{kind}}/{} or use the id", slug.as_str(), slug.as_str()),
                ));
            }
            match found.pop() {
                Some(model) => Some(model),
                None => return moved(db, principal, kind, slug.as_str()).await?.ok_or(not_found),
            }
        }
    };
    let model = model.ok_or(not_found)?;
    let items = records(db, principal, vec![model], true).await?;
    let embeds = embeds(db, principal, &items, include).await?;
    let item = items.into_iter().next().ok_or(AppError::NotFound { resource: "content item" })?;
    Ok(ContentLookup::Found(Box::new(item), embeds))
}

/// The current slug of a readable item (of `kind`, or of any kind) that used to be called `slug`.
async fn moved(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kind: Option<ContentKind>,
    slug: &str,
) -> Result<Option<ContentLookup>, AppError> {
    let mut redirects = content_slug_redirect::Entity::find().filter(content_slug_redirect::Column::Slug.eq(slug));
    if let Some(kind) = kind {
        redirects = redirects.filter(content_slug_redirect::Column::Kind.eq(kind.as_str()));
    }
    let targets: Vec<Uuid> = redirects.all(db).await?.into_iter().map(|r| r.content_id).collect();
    let mut current = visible(principal, kind)
        .filter(content_item::Column::Id.is_in(targets))
        .limit(2)
        .all(db)
        .await?;
    // A former slug shared by items of several kinds names none of them.
    if current.len() != 1 {
        return Ok(None);
    }
    Ok(current.pop().map(|m| ContentLookup::Moved { slug: m.slug }))
}

/// Turns rows into records: relation ids (and bodies, when wanted) in one statement.
async fn records(
    db: &impl ConnectionTrait,
    principal: &Principal,
    models: Vec<content_item::Model>,
    with_bodies: bool,
) -> Result<Vec<ContentRecord>, AppError> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let links::Links { mut authors, mut sectors, mut tags, mut bodies } = links::links(db, principal, &ids, with_bodies).await?;
    let mut records = Vec::with_capacity(models.len());
    for m in models {
        let kind = ContentKind::stored(&m.kind)?;
        let details = match kind {
            ContentKind::Essay => KindDetails::Essay { question_id: m.question_id, featured: m.featured },
            ContentKind::StrategyAnalysis => KindDetails::StrategyAnalysis {
                question_id: m.question_id,
                key_takeaways: serde_json::from_value(m.key_takeaways)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("content item {}: corrupt key_takeaways: {e}", m.id)))?,
            },
            ContentKind::BlogPost => KindDetails::BlogPost { blog_id: m.blog_id },
            ContentKind::NewsLink => KindDetails::NewsLink {
                url: m.url,
                source_name: m.source_name,
                source_url: m.source_url,
                commentary: m.commentary,
                news_source_id: m.news_source_id,
            },
        };
        let (body, body_html) = bodies.remove(&m.id).unwrap_or_default();
        records.push(ContentRecord {
            id: m.id,
            kind,
            slug: m.slug,
            title: m.title,
            subtitle: m.subtitle,
            summary: m.summary,
            body,
            body_html,
            status: ContentStatus::stored(&m.status)?,
            published_at: m.published_at,
            scheduled_at: m.scheduled_at,
            version: m.version,
            author_ids: authors.remove(&m.id).unwrap_or_default(),
            byline: m.byline,
            sector_ids: sectors.remove(&m.id).unwrap_or_default(),
            tag_ids: tags.remove(&m.id).unwrap_or_default(),
            featured_image_url: m.featured_image_url,
            seo_title: m.seo_title,
            seo_description: m.seo_description,
            reading_time_minutes: m.reading_time_minutes,
            word_count: m.word_count,
            created_at: m.created_at,
            updated_at: m.updated_at,
            details,
        });
    }
    Ok(records)
}

/// Loads what `include` names for these items, one statement per relation.
async fn embeds(
    db: &impl ConnectionTrait,
    principal: &Principal,
    items: &[ContentRecord],
    include: &[&str],
) -> Result<ContentEmbeds, AppError> {
    let mut embeds = ContentEmbeds::default();
    for relation in include {
        match *relation {
            "authors" => {
                let ids = distinct_ids(items.iter().map(|i| &i.author_ids));
                embeds.authors = editors::by_ids(db, principal, &ids).await?;
            }
            "sectors" => {
                let ids = distinct_ids(items.iter().map(|i| &i.sector_ids));
                embeds.sectors = taxonomy::sectors_by_ids(db, &ids).await?;
            }
            "tags" => {
                let ids = distinct_ids(items.iter().map(|i| &i.tag_ids));
                embeds.tags = taxonomy::tags_by_ids(db, &ids).await?;
            }
            "blog" => {
                let ids: Vec<Uuid> = items.iter().filter_map(|i| i.details.blog_id()).collect();
                embeds.blogs = blogs::by_ids(db, principal, &ids).await?;
            }
            "question" => {
                let ids: Vec<Uuid> = items.iter().filter_map(|i| i.details.question_id()).collect();
                embeds.questions = taxonomy::questions_by_ids(db, &ids).await?;
            }
            _ => {}
        }
    }
    Ok(embeds)
}

impl ContentRecord {
    /// The blog this item belongs to, for blog posts.
    pub fn blog_id(&self) -> Option<Uuid> {
        self.details.blog_id()
    }

    /// The key question this item answers, for essays and analyses.
    pub fn question_id(&self) -> Option<Uuid> {
        self.details.question_id()
    }
}

/// The kind of an existing item, or 404; callers still go through the policy for access.
pub async fn kind_of(db: &impl ConnectionTrait, id: Uuid) -> Result<ContentKind, AppError> {
    let kind: Option<String> = content_item::Entity::find_by_id(id)
        .select_only()
        .column(content_item::Column::Kind)
        .into_tuple()
        .one(db)
        .await?;
    ContentKind::stored(&kind.ok_or(AppError::NotFound { resource: "content item" })?)
}

/// The author ids of one item, in order (all of them, for policy decisions).
pub async fn author_ids(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(link_map::<content_author::Entity>(db, content_author::Column::ContentId, content_author::Column::EditorId, Some(content_author::Column::Position), &[id], Condition::all())
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// The sector ids of one item.
pub async fn sector_ids(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(link_map::<content_sector::Entity>(db, content_sector::Column::ContentId, content_sector::Column::SectorId, None, &[id], Condition::all())
        .await?
        .remove(&id)
        .unwrap_or_default())
}
