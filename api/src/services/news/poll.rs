//! Polling news sources: a lease so one node polls a source at a time, a conditional GET through
//! the guarded client, new entries as draft news links (once per story, by canonical URL, never
//! again once dismissed), and the source's health with backoff after failures.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use url::Url;
use uuid::Uuid;

use entity::{content_item, news_source, news_source_entry, news_source_sector, news_story};

use super::feed::{self, Entry};
use crate::clock::now;
use crate::domain::ContentKind;
use crate::error::AppError;
use crate::outbound::{Limits, Outbound, OutboundError};
use crate::policy::Principal;
use crate::services::content::{self, ContentInput, Discovery};
use crate::services::lease;
use crate::services::write::Written;

/// What a poll's `last_status` can be.
pub const STATUSES: &[&str] = &["created", "unchanged", "not_modified", "failed"];
/// Largest answer read, in bytes (nothing is decompressed: the client asks for none).
pub const MAX_BODY: usize = 5 * 1024 * 1024;
/// Redirects followed, each to an address checked again.
const REDIRECTS: usize = 5;
/// Longest wait after failures.
const MAX_BACKOFF: chrono::Duration = chrono::Duration::days(1);
/// Sources polled per round.
const ROUND: usize = 8;

/// The limits of a news source request, with the configured time bound.
pub fn limits(timeout_seconds: u32) -> Limits {
    Limits { timeout: Duration::from_secs(u64::from(timeout_seconds)), redirects: REDIRECTS, max_body: MAX_BODY }
}

/// What a feed says of itself.
#[derive(Debug, Clone, Default)]
pub struct FeedFacts {
    pub title: Option<String>,
    pub site_url: Option<String>,
}

/// What a URL turned out to be.
pub enum Probe {
    Feed(FeedFacts),
    /// A web page, with the feeds it advertises.
    Page(Vec<String>),
    /// Neither, or not reachable: why.
    Unusable(String),
}

/// Fetches `url` once to see whether it is a feed.
pub async fn probe(outbound: &Outbound, url: &str) -> Probe {
    let Ok(base) = Url::parse(url) else {
        return Probe::Unusable("is not a URL".into());
    };
    let answer = match outbound.send(outbound.get(url).header(ACCEPT, ACCEPTED)).await {
        Ok(answer) => answer,
        Err(e) => return Probe::Unusable(format!("could not be fetched: {e}")),
    };
    if !(200..300).contains(&answer.status) {
        return Probe::Unusable(format!("answered HTTP {}", answer.status));
    }
    if answer.truncated {
        return Probe::Unusable(format!("answered more than {} MiB", MAX_BODY / 1024 / 1024));
    }
    match feed::parse(&answer.body, &base) {
        Ok(parsed) => Probe::Feed(FeedFacts { title: parsed.title, site_url: parsed.site_url }),
        Err(_) if looks_like_html(&answer) => Probe::Page(feed::advertised(&String::from_utf8_lossy(&answer.body), &base)),
        Err(e) => Probe::Unusable(format!("does not answer an RSS, Atom or JSON feed ({e})")),
    }
}

const ACCEPTED: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";

fn looks_like_html(answer: &crate::outbound::Answer) -> bool {
    let typed = answer.headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.contains("html"));
    let head = String::from_utf8_lossy(&answer.body[..answer.body.len().min(1024)]).to_ascii_lowercase();
    typed || head.contains("<html") || head.contains("<!doctype html")
}

/// A source held by this node for one poll.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub url: String,
    pub name: String,
    pub sector_ids: Vec<Uuid>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub consecutive_failures: i32,
    pub poll_interval_minutes: i32,
    lease: Uuid,
}

/// How long a claim holds a source: longer than any poll.
fn lease_for(timeout: Duration) -> chrono::Duration {
    chrono::Duration::from_std(timeout).unwrap_or(chrono::Duration::minutes(2)) + chrono::Duration::seconds(60)
}

/// Claims due active sources (or, with `only`, that one whatever its state) whose lease is
/// free (see [`lease`]).
pub async fn claim(db: &DatabaseConnection, only: Option<Uuid>, limit: u64, timeout: Duration) -> Result<Vec<Claimed>, AppError> {
    use news_source::Column as S;
    let due = |at: DateTime<Utc>| match only {
        Some(id) => news_source::Entity::find().filter(S::Id.eq(id)),
        None => news_source::Entity::find().filter(S::Active.eq(true)).filter(S::NextPollAt.lte(at)),
    };
    let columns = lease::Columns { id: S::Id, until: S::LeaseUntil, token: S::LeaseToken, order: S::NextPollAt };
    let Some(lease::Claim { txn, token, rows: held, .. }) = lease::claim(db, &columns, due, limit, lease_for(timeout)).await? else {
        return Ok(Vec::new());
    };
    let ids: Vec<Uuid> = held.iter().map(|s| s.id).collect();
    let mut sectors = crate::services::link_map::<news_source_sector::Entity>(
        &txn,
        news_source_sector::Column::SourceId,
        news_source_sector::Column::SectorId,
        None,
        &ids,
        Condition::all(),
    )
    .await?;
    txn.commit().await?;
    Ok(held
        .into_iter()
        .map(|s| Claimed {
            sector_ids: sectors.remove(&s.id).unwrap_or_default(),
            id: s.id,
            url: s.url,
            name: s.feed_title.filter(|t| !t.is_empty()).unwrap_or(s.name),
            etag: s.etag,
            last_modified: s.last_modified,
            consecutive_failures: s.consecutive_failures,
            poll_interval_minutes: s.poll_interval_minutes,
            lease: token,
        })
        .collect())
}

/// What one GET of a source came to.
enum Fetched {
    NotModified,
    Feed { parsed: feed::Parsed, etag: Option<String>, last_modified: Option<String> },
    Failed { error: String, retry_after: Option<chrono::Duration> },
}

fn header(answer: &crate::outbound::Answer, name: reqwest::header::HeaderName) -> Option<String> {
    answer.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(answer: &crate::outbound::Answer) -> Option<chrono::Duration> {
    let value = header(answer, RETRY_AFTER)?;
    if let Ok(seconds) = value.trim().parse::<i64>() {
        return Some(chrono::Duration::seconds(seconds.clamp(0, MAX_BACKOFF.num_seconds())));
    }
    let at = DateTime::parse_from_rfc2822(value.trim()).ok()?.with_timezone(&Utc);
    Some((at - now()).clamp(chrono::Duration::zero(), MAX_BACKOFF))
}

async fn fetch(outbound: &Outbound, source: &Claimed) -> Fetched {
    let failed = |error: String| Fetched::Failed { error, retry_after: None };
    let Ok(base) = Url::parse(&source.url) else {
        return failed("the source's URL is not a URL".into());
    };
    let mut request = outbound.get(&source.url).header(ACCEPT, ACCEPTED);
    if let Some(etag) = &source.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(date) = &source.last_modified {
        request = request.header(IF_MODIFIED_SINCE, date);
    }
    let answer = match outbound.send(request).await {
        Ok(answer) => answer,
        Err(OutboundError::Refused(reason) | OutboundError::Failed(reason)) => return failed(reason),
    };
    match answer.status {
        304 => Fetched::NotModified,
        200..=299 if answer.truncated => failed(format!("the answer is larger than {} MiB", MAX_BODY / 1024 / 1024)),
        200..=299 => match feed::parse(&answer.body, &base) {
            Ok(parsed) => Fetched::Feed { parsed, etag: header(&answer, ETAG), last_modified: header(&answer, LAST_MODIFIED) },
            Err(e) if looks_like_html(&answer) => failed(format!("answered a web page, not a feed ({e})")),
            Err(e) => failed(e),
        },
        status => Fetched::Failed { error: format!("answered HTTP {status}"), retry_after: retry_after(&answer) },
    }
}

/// What a poll did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
pub struct PollReport {
    pub source_id: Uuid,
    /// `created`, `unchanged`, `not_modified` or `failed`.
    pub status: String,
    /// Entries in the answer.
    pub entries: u32,
    /// Entries not seen before.
    pub new_entries: u32,
    /// Draft news links made.
    pub drafts_created: u32,
    /// New entries whose story was already known (from any source, in any state).
    pub duplicates: u32,
    pub error: Option<String>,
    pub next_poll_at: DateTime<Utc>,
}

/// Polls sources: the guarded client, the database, and how many failures pause a source.
#[derive(Clone)]
pub struct Poller {
    pub db: DatabaseConnection,
    pub outbound: Outbound,
    pub timeout: Duration,
    pub failure_limit: u32,
}

impl Poller {
    /// Polls up to a round of due sources, claiming each just before its poll (so no lease
    /// runs out while earlier sources are polled); returns how many were polled.
    pub async fn poll_due(&self) -> Result<usize, AppError> {
        let mut count = 0;
        while count < ROUND {
            let Some(source) = claim(&self.db, None, 1, self.timeout).await?.pop() else {
                break;
            };
            let id = source.id;
            if let Err(error) = self.poll(source).await {
                tracing::error!(source = %id, error = %error, "recording a news source poll failed");
            }
            count += 1;
        }
        Ok(count)
    }

    /// Polls one claimed source and records what came of it.
    pub async fn poll(&self, source: Claimed) -> Result<PollReport, AppError> {
        let fetched = fetch(&self.outbound, &source).await;
        record(&self.db, &source, fetched, self.failure_limit).await
    }

    /// Claims one source (whatever its state) for a poll now, if no node holds it.
    pub async fn claim_one(&self, id: Uuid) -> Result<Option<Claimed>, AppError> {
        Ok(claim(&self.db, Some(id), 1, self.timeout).await?.pop())
    }
}

/// Minutes to wait after `failures` failures in a row: doubling from the interval, at most a
/// day, with a tenth of jitter so sources that failed together do not retry together.
fn backoff(interval_minutes: i32, failures: i32) -> chrono::Duration {
    let base = chrono::Duration::minutes(i64::from(interval_minutes.max(1)));
    let factor = 1i32.checked_shl(u32::try_from(failures.clamp(0, 12)).unwrap_or(0)).unwrap_or(4096);
    let wait = (base * factor).min(MAX_BACKOFF);
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() { f64::from(byte[0]) / 255.0 * 0.2 - 0.1 } else { 0.0 };
    let wait = wait + chrono::Duration::milliseconds((wait.num_milliseconds() as f64 * jitter) as i64);
    wait.min(MAX_BACKOFF)
}

/// Records a poll in one transaction, if this claim still holds the source.
async fn record(db: &DatabaseConnection, source: &Claimed, fetched: Fetched, failure_limit: u32) -> Result<PollReport, AppError> {
    use news_source::Column as S;
    let txn = crate::db::begin_write(db).await?;
    let Some(stored) = news_source::Entity::find_by_id(source.id).filter(S::LeaseToken.eq(source.lease)).lock_exclusive().one(&txn).await? else {
        txn.rollback().await?;
        return Err(AppError::Conflict { code: "poll_in_progress", detail: "another node took the source over".into() });
    };
    let at = now();
    let interval = chrono::Duration::minutes(i64::from(stored.poll_interval_minutes));
    let mut report = PollReport {
        source_id: source.id,
        status: "unchanged".into(),
        entries: 0,
        new_entries: 0,
        drafts_created: 0,
        duplicates: 0,
        error: None,
        next_poll_at: at + interval,
    };
    let mut row = news_source::ActiveModel {
        last_polled_at: Set(Some(at)),
        lease_until: Set(None),
        lease_token: Set(None),
        ..Default::default()
    };
    match fetched {
        Fetched::Failed { error, retry_after } => {
            let failures = stored.consecutive_failures + 1;
            let wait = backoff(stored.poll_interval_minutes, failures).max(retry_after.unwrap_or_else(chrono::Duration::zero));
            report.status = "failed".into();
            report.next_poll_at = at + wait;
            row.consecutive_failures = Set(failures);
            row.last_error = Set(Some(error.clone()));
            if u32::try_from(failures).unwrap_or(u32::MAX) >= failure_limit {
                row.active = Set(false);
                row.paused_reason = Set(Some(format!("paused after {failures} failed polls in a row; the last: {error}")));
            }
            report.error = Some(error);
        }
        Fetched::NotModified => {
            report.status = "not_modified".into();
            row.last_success_at = Set(Some(at));
            row.consecutive_failures = Set(0);
            row.last_error = Set(None);
        }
        Fetched::Feed { parsed, etag, last_modified } => {
            report.entries = u32::try_from(parsed.entries.len()).unwrap_or(u32::MAX);
            let name = parsed.title.clone().unwrap_or_else(|| source.name.clone());
            let site = parsed.site_url.clone();
            let mut keys = HashSet::new();
            for entry in parsed.entries.into_iter().filter(|e| keys.insert(e.key.clone())) {
                take_entry(&txn, source, &name, site.as_deref(), entry, &mut report).await?;
            }
            report.status = if report.drafts_created > 0 { "created" } else { "unchanged" }.into();
            row.last_success_at = Set(Some(at));
            row.consecutive_failures = Set(0);
            row.last_error = Set(None);
            row.etag = Set(etag);
            row.last_modified = Set(last_modified);
            row.feed_title = Set(parsed.title);
            row.site_url = Set(parsed.site_url);
            row.items_seen = Set(stored.items_seen + i64::from(report.new_entries));
            row.drafts_created = Set(stored.drafts_created + i64::from(report.drafts_created));
        }
    }
    row.last_status = Set(Some(report.status.clone()));
    row.next_poll_at = Set(report.next_poll_at);
    news_source::Entity::update_many().set(row).filter(S::Id.eq(source.id)).exec(&txn).await?;
    txn.commit().await?;
    Ok(report)
}

/// One entry of an answer: passed over when the source showed it before; otherwise a draft
/// news link, unless its story is already known (then a duplicate).
async fn take_entry(txn: &DatabaseTransaction, source: &Claimed, source_name: &str, site_url: Option<&str>, entry: Entry, report: &mut PollReport) -> Result<(), AppError> {
    let seen = news_source_entry::Entity::insert(news_source_entry::ActiveModel {
        source_id: Set(source.id),
        entry_key: Set(entry.key.clone()),
        seen_at: Set(now()),
    })
    .on_conflict(OnConflict::columns([news_source_entry::Column::SourceId, news_source_entry::Column::EntryKey]).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    if seen == 0 {
        return Ok(());
    }
    report.new_entries += 1;
    let linked: Option<Uuid> = content_item::Entity::find().select_only().column(content_item::Column::Id).filter(content_item::Column::Url.eq(entry.url.as_str())).into_tuple().one(txn).await?;
    let at = now();
    // The unique canonical URL decides between sources polled at once: the second waits for
    // the first and then finds the story known.
    let story_id = Uuid::now_v7();
    let new_story = news_story::Entity::insert(news_story::ActiveModel {
        id: Set(story_id),
        canonical_url: Set(entry.url.clone()),
        source_id: Set(Some(source.id)),
        content_id: Set(linked),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .on_conflict(OnConflict::column(news_story::Column::CanonicalUrl).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    if new_story == 0 || linked.is_some() {
        report.duplicates += 1;
        return Ok(());
    }
    let input = ContentInput {
        title: entry.title,
        summary: Some(entry.summary),
        url: Some(entry.url),
        source_name: Some(source_name.chars().take(200).collect()),
        source_url: site_url.map(str::to_owned),
        sector_ids: source.sector_ids.clone(),
        ..ContentInput::default()
    };
    let discovery = Discovery { news_source_id: source.id, details: json!({"news_source_id": source.id, "news_source": source.name}) };
    // An entry the news link rules refuse is counted and left, without spoiling the rest.
    let savepoint = txn.begin().await?;
    match content::create_in(&savepoint, &Principal::System, ContentKind::NewsLink, Written::Input(input), Some(discovery)).await {
        Ok(record) => {
            savepoint.commit().await?;
            news_story::Entity::update_many()
                .col_expr(news_story::Column::ContentId, Expr::value(record.id))
                .filter(news_story::Column::Id.eq(story_id))
                .exec(txn)
                .await?;
            report.drafts_created += 1;
        }
        Err(AppError::Validation { errors }) => {
            savepoint.rollback().await?;
            tracing::warn!(source = %source.id, ?errors, "a news entry does not make a valid news link");
            report.duplicates += 1;
        }
        Err(other) => return Err(other),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_a_day() {
        let minutes = |f| backoff(60, f).num_minutes();
        assert!((108..=132).contains(&minutes(1)), "{}", minutes(1));
        assert!((216..=264).contains(&minutes(2)));
        assert!((1296..=1440).contains(&backoff(60, 30).num_minutes()), "at most a day");
        assert!(backoff(5, 0).num_minutes() <= 6);
    }
}
