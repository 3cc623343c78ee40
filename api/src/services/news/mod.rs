//! News sources: the feeds news collectors follow, filed in sectors and managed by collectors
//! and editors of those sectors (admins: all). Polling them is [`poll`]; what they answered is
//! read by [`feed`]; stories are told apart by [`canonical`] URL.

pub mod canonical;
pub mod feed;
pub mod poll;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::{news_source, news_source_sector, sector};

use crate::clock::now;
use crate::error::{AppError, FieldErrors};
use crate::listing::{Filter, FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::outbound::Outbound;
use crate::policy::{Action, Principal, Resource, may_file_source, news_source_visibility, require};
use crate::services::audit::{self, AuditEntry};
use crate::services::query::{in_subquery, page_by_columns};
use crate::services::read_only::ReadOnly;
use crate::services::write::{Precondition, Written, versioned};
use crate::services::{link_map, validate};

/// A news source as collectors read it, with its polling health.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "NewsSource"))]
pub struct NewsSourceRecord {
    pub id: Uuid,
    /// The RSS, Atom or JSON Feed URL polled.
    pub url: String,
    pub name: String,
    /// The title the feed gives itself (news links name it as their source).
    pub feed_title: Option<String>,
    /// The site the feed belongs to.
    pub site_url: Option<String>,
    /// Sectors new stories are filed in.
    pub sector_ids: Vec<Uuid>,
    /// Whether the source is polled; the server turns it off after too many failures.
    pub active: bool,
    pub poll_interval_minutes: i32,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// `created` (new stories), `unchanged`, `not_modified` or `failed`.
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    pub next_poll_at: DateTime<Utc>,
    /// Entries the source has shown, over all polls.
    pub items_seen: i64,
    /// Draft news links made from them.
    pub drafts_created: i64,
    /// Why the server paused the source, if it did; an update with `active: true` resumes it.
    pub paused_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

versioned!(NewsSourceRecord);

/// A news source as collectors write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct NewsSourceInput {
    /// An RSS, Atom or JSON Feed URL; a web page is answered with the feeds it advertises.
    pub url: String,
    /// Defaults to the feed's own title.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub sector_ids: Vec<Uuid>,
    #[serde(default = "active_by_default")]
    #[cfg_attr(feature = "adapters", graphql(default = true))]
    pub active: bool,
    /// 5 to 1440 (a day); 60 by default.
    #[serde(default = "default_interval")]
    #[cfg_attr(feature = "adapters", graphql(default = 60))]
    pub poll_interval_minutes: i32,
}

fn active_by_default() -> bool {
    true
}

fn default_interval() -> i32 {
    60
}

/// Shortest and longest polling interval, in minutes.
pub const INTERVAL_MINUTES: std::ops::RangeInclusive<i32> = 5..=1440;
const NAME_MAX: usize = 200;
const SECTORS_MAX: usize = 20;

const READ_ONLY: &[ReadOnly] = &[
    ReadOnly::Computed { name: "id", how: "the server gives every source its id" },
    ReadOnly::Computed { name: "feed_title", how: "polling reads it from the feed" },
    ReadOnly::Computed { name: "site_url", how: "polling reads it from the feed" },
    ReadOnly::Computed { name: "last_polled_at", how: "polling sets it" },
    ReadOnly::Computed { name: "last_success_at", how: "polling sets it" },
    ReadOnly::Computed { name: "last_status", how: "polling sets it" },
    ReadOnly::Computed { name: "last_error", how: "polling sets it" },
    ReadOnly::Computed { name: "consecutive_failures", how: "polling counts them" },
    ReadOnly::Computed { name: "next_poll_at", how: "polling schedules it; POST …/poll polls now" },
    ReadOnly::Computed { name: "items_seen", how: "polling counts them" },
    ReadOnly::Computed { name: "drafts_created", how: "polling counts them" },
    ReadOnly::Computed { name: "paused_reason", how: "the server sets it when it pauses the source; set active to true to resume it" },
    ReadOnly::Computed { name: "created_at", how: "the server keeps it" },
    ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
];

/// List parameters for `/news-sources`.
pub static NEWS_SOURCE_SPEC: ResourceSpec = ResourceSpec {
    name: "news-sources",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "url", aliases: &[], ty: FieldType::Text },
        FilterField { name: "name", aliases: &[], ty: FieldType::Text },
        FilterField { name: "active", aliases: &[], ty: FieldType::Bool },
        FilterField { name: "last_status", aliases: &[], ty: FieldType::Enum(poll::STATUSES) },
        FilterField { name: "sector", aliases: &["sector_id"], ty: FieldType::Uuid },
    ]],
    sorts: &["name", "created_at", "updated_at", "next_poll_at", "last_polled_at", "id"],
    default_sort: &[Sort { field: "name", descending: false }],
    includes: &[],
    fields: &[
        "url", "name", "feed_title", "site_url", "sector_ids", "active", "poll_interval_minutes", "last_polled_at", "last_success_at", "last_status",
        "last_error", "consecutive_failures", "next_poll_at", "items_seen", "drafts_created", "paused_reason", "version", "created_at", "updated_at",
    ],
    searchable: false,
    list_omits: &[],
};

/// Records for rows: their sectors in one statement.
async fn records(db: &impl ConnectionTrait, models: Vec<news_source::Model>) -> Result<Vec<NewsSourceRecord>, AppError> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut sectors = link_map::<news_source_sector::Entity>(db, news_source_sector::Column::SourceId, news_source_sector::Column::SectorId, None, &ids, Condition::all()).await?;
    Ok(models
        .into_iter()
        .map(|m| NewsSourceRecord {
            sector_ids: sectors.remove(&m.id).unwrap_or_default(),
            id: m.id,
            url: m.url,
            name: m.name,
            feed_title: m.feed_title,
            site_url: m.site_url,
            active: m.active,
            poll_interval_minutes: m.poll_interval_minutes,
            last_polled_at: m.last_polled_at,
            last_success_at: m.last_success_at,
            last_status: m.last_status,
            last_error: m.last_error,
            consecutive_failures: m.consecutive_failures,
            next_poll_at: m.next_poll_at,
            items_seen: m.items_seen,
            drafts_created: m.drafts_created,
            paused_reason: m.paused_reason,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
        .collect())
}

/// Lists the sources the caller may manage.
pub async fn list(db: &DatabaseConnection, principal: &Principal, query: &ListQuery) -> Result<Page<NewsSourceRecord>, AppError> {
    require(principal, Resource::NewsSources, Action::Read)?;
    let select = news_source::Entity::find().filter(news_source_visibility(principal, Action::Read));
    let page = page_by_columns(db, select, query, |f: &Filter| {
        (f.field == "sector").then(|| {
            let filed = sea_orm::sea_query::Query::select()
                .column(news_source_sector::Column::SourceId)
                .from(news_source_sector::Entity)
                .and_where(news_source_sector::Column::SectorId.is_in(f.values.iter().map(crate::services::query::bind_value)))
                .take();
            in_subquery(news_source::Column::Id, f.op, filed)
        })
    })
    .await?;
    Ok(Page { items: records(db, page.items).await?, total: page.total })
}

/// Finds a source the caller may act on with `action` (404 for one they may not see).
async fn find(db: &impl ConnectionTrait, principal: &Principal, action: Action, id: Uuid) -> Result<NewsSourceRecord, AppError> {
    require(principal, Resource::NewsSources, action)?;
    let model = news_source::Entity::find_by_id(id)
        .filter(news_source_visibility(principal, action))
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "news source" })?;
    records(db, vec![model]).await?.pop().ok_or(AppError::NotFound { resource: "news source" })
}

/// Finds a source.
pub async fn get(db: &DatabaseConnection, principal: &Principal, id: Uuid) -> Result<NewsSourceRecord, AppError> {
    find(db, principal, Action::Read, id).await
}

/// The field rules, and a look at the URL: it must answer a feed. A web page is refused with
/// the feeds it advertises; returns what the feed says of itself.
async fn check(db: &impl ConnectionTrait, input: &NewsSourceInput, outbound: &Outbound, probe: bool) -> Result<Option<poll::FeedFacts>, AppError> {
    let mut errors = FieldErrors::new();
    validate::url(&mut errors, "url", &input.url);
    if let Ok(url) = url::Url::parse(input.url.trim()) {
        if let Err(refused) = crate::outbound::check_url(&url, outbound.allows_private()) {
            validate::refuse(&mut errors, "url", refused.to_string());
        }
    }
    validate::optional_text(&mut errors, "name", input.name.as_deref(), NAME_MAX);
    if !INTERVAL_MINUTES.contains(&input.poll_interval_minutes) {
        validate::refuse(&mut errors, "poll_interval_minutes", format!("must be between {} and {}", INTERVAL_MINUTES.start(), INTERVAL_MINUTES.end()));
    }
    validate::ids_exist(db, &mut errors, "sector_ids", &input.sector_ids, SECTORS_MAX, sector::Entity::find(), sector::Column::Id, "sector").await?;
    validate::finish(errors)?;
    if !probe {
        return Ok(None);
    }
    match poll::probe(outbound, input.url.trim()).await {
        poll::Probe::Feed(facts) => Ok(Some(facts)),
        poll::Probe::Page(feeds) => {
            let mut errors = FieldErrors::new();
            if feeds.is_empty() {
                validate::refuse(&mut errors, "url", "is a web page that advertises no feed; give the URL of its RSS, Atom or JSON feed");
            } else {
                validate::refuse(&mut errors, "url", "is a web page, not a feed; pick one of the feeds it advertises (listed under `feeds`)");
                errors.insert("feeds".into(), feeds);
            }
            validate::finish(errors).map(|_| None)
        }
        poll::Probe::Unusable(reason) => {
            let mut errors = FieldErrors::new();
            validate::refuse(&mut errors, "url", reason);
            validate::finish(errors).map(|_| None)
        }
    }
}

async fn link_sectors(db: &impl ConnectionTrait, id: Uuid, sector_ids: &[Uuid], at: DateTime<Utc>) -> Result<(), AppError> {
    news_source_sector::Entity::delete_many().filter(news_source_sector::Column::SourceId.eq(id)).exec(db).await?;
    if !sector_ids.is_empty() {
        news_source_sector::Entity::insert_many(sector_ids.iter().map(|sector_id| news_source_sector::ActiveModel {
            source_id: Set(id),
            sector_id: Set(*sector_id),
            created_at: Set(at),
            updated_at: Set(at),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

fn dedup(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids
}

/// Adds a source after checking that its URL answers a feed; it is first polled at once.
pub async fn create(db: &DatabaseConnection, principal: &Principal, written: Written<NewsSourceInput>, outbound: &Outbound) -> Result<NewsSourceRecord, AppError> {
    require(principal, Resource::NewsSources, Action::Create)?;
    let mut input = written.read(None::<&NewsSourceRecord>, &[READ_ONLY], Precondition::default())?;
    input.sector_ids = dedup(input.sector_ids);
    may_file_source(principal, Action::Create, &input.sector_ids)?;
    let facts = check(db, &input, outbound, true).await?.unwrap_or_default();
    let txn = crate::db::begin_write(db).await?;
    let (id, at) = (Uuid::now_v7(), now());
    let name = input.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    let fallback = facts.title.clone().unwrap_or_else(|| input.url.trim().to_owned());
    news_source::ActiveModel {
        id: Set(id),
        url: Set(input.url.trim().to_owned()),
        name: Set(name.unwrap_or(fallback)),
        feed_title: Set(facts.title),
        site_url: Set(facts.site_url),
        active: Set(input.active),
        poll_interval_minutes: Set(input.poll_interval_minutes),
        version: Set(1),
        last_polled_at: Set(None),
        last_success_at: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        consecutive_failures: Set(0),
        next_poll_at: Set(at),
        items_seen: Set(0),
        drafts_created: Set(0),
        paused_reason: Set(None),
        etag: Set(None),
        last_modified: Set(None),
        lease_until: Set(None),
        lease_token: Set(None),
        created_by: Set(principal.user().map(|u| u.id)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    link_sectors(&txn, id, &input.sector_ids, at).await?;
    audit::record(&txn, principal, AuditEntry { resource: Resource::NewsSources.as_str(), resource_id: Some(id), action: "create", version_before: None, version_after: Some(1), details: None }).await?;
    let record = find(&txn, &Principal::System, Action::Read, id).await?;
    txn.commit().await?;
    Ok(record)
}

/// Replaces or merges a source's settings. A new URL is checked like a new source's; turning
/// `active` back on resumes a paused source and polls it soon.
pub async fn update(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    written: Written<NewsSourceInput>,
    precondition: Precondition,
    outbound: &Outbound,
) -> Result<NewsSourceRecord, AppError> {
    let current = find(db, principal, Action::Update, id).await?;
    may_file_source(principal, Action::Update, &current.sector_ids)?;
    let mut input = written.read(Some(&current), &[READ_ONLY], precondition)?;
    input.sector_ids = dedup(input.sector_ids);
    may_file_source(principal, Action::Update, &input.sector_ids)?;
    let moved = input.url.trim() != current.url;
    let facts = check(db, &input, outbound, moved).await?;
    let txn = crate::db::begin_write(db).await?;
    let stored = news_source::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(AppError::NotFound { resource: "news source" })?;
    if stored.version != current.version {
        return Err(AppError::VersionConflict { expected: Some(current.version), current: stored.version });
    }
    let resumed = input.active && !stored.active;
    let at = now();
    let mut row = stored.into_active_model();
    row.url = Set(input.url.trim().to_owned());
    if let Some(name) = input.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        row.name = Set(name.to_owned());
    }
    if let Some(facts) = facts {
        row.feed_title = Set(facts.title);
        row.site_url = Set(facts.site_url);
        // Another feed: its validators are not ours.
        row.etag = Set(None);
        row.last_modified = Set(None);
    }
    row.active = Set(input.active);
    row.poll_interval_minutes = Set(input.poll_interval_minutes);
    if resumed || moved {
        row.consecutive_failures = Set(0);
        row.paused_reason = Set(None);
        row.next_poll_at = Set(at);
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(at);
    row.update(&txn).await?;
    link_sectors(&txn, id, &input.sector_ids, at).await?;
    audit::record(&txn, principal, AuditEntry { resource: Resource::NewsSources.as_str(), resource_id: Some(id), action: "update", version_before: Some(current.version), version_after: Some(current.version + 1), details: None }).await?;
    let record = find(&txn, &Principal::System, Action::Read, id).await?;
    txn.commit().await?;
    Ok(record)
}

/// Removes a source; its news links stay (without a source), and the stories it found stay
/// known, so another source does not bring them back.
pub async fn delete(db: &DatabaseConnection, principal: &Principal, id: Uuid, precondition: Precondition) -> Result<NewsSourceRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let stored = find(&txn, principal, Action::Delete, id).await?;
    may_file_source(principal, Action::Delete, &stored.sector_ids)?;
    precondition.check(stored.version, &crate::etag::of_record(&stored))?;
    crate::services::content::detach_source(&txn, id).await?;
    news_source::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, principal, AuditEntry { resource: Resource::NewsSources.as_str(), resource_id: Some(id), action: "delete", version_before: Some(stored.version), version_after: None, details: None }).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Polls one source now and says what came of it. While another node polls it, this waits
/// for that poll to end (as long as a poll may take), then polls again.
pub async fn poll_now(db: &DatabaseConnection, principal: &Principal, id: Uuid, poller: &poll::Poller) -> Result<poll::PollReport, AppError> {
    let source = find(db, principal, Action::Update, id).await?;
    may_file_source(principal, Action::Update, &source.sector_ids)?;
    let give_up = std::time::Instant::now() + poller.timeout + std::time::Duration::from_secs(5);
    loop {
        if let Some(claimed) = poller.claim_one(id).await? {
            return poller.poll(claimed).await;
        }
        if std::time::Instant::now() >= give_up {
            return Err(AppError::Conflict { code: "poll_in_progress", detail: "the source is being polled right now; try again in a minute".into() });
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
