//! The change log: one row for every write that may change what some caller sees, appended
//! inside that write's transaction and numbered without gaps in commit order. Webhooks, sync
//! and cache validators read it; nothing else decides what changed.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use entity::{change, change_log_mark};

use crate::clock::now;
use crate::domain::{ContentKind, vocabulary};
use crate::error::AppError;

vocabulary!(
    /// What a change is about: a content kind or a catalog aggregate.
    RecordKind {
        Essay = "essay",
        StrategyAnalysis = "strategy_analysis",
        BlogPost = "blog_post",
        NewsLink = "news_link",
        Sector = "sector",
        Tag = "tag",
        Question = "question",
        Blog = "blog",
        Editor = "editor",
    }
);

impl RecordKind {
    /// The record kind of a content kind.
    pub fn content(kind: ContentKind) -> RecordKind {
        match kind {
            ContentKind::Essay => RecordKind::Essay,
            ContentKind::StrategyAnalysis => RecordKind::StrategyAnalysis,
            ContentKind::BlogPost => RecordKind::BlogPost,
            ContentKind::NewsLink => RecordKind::NewsLink,
        }
    }

    /// The content kind, for the four content kinds.
    pub fn content_kind(self) -> Option<ContentKind> {
        ContentKind::parse(self.as_str())
    }

    /// The collection it lives under, in REST paths and public URL paths.
    pub fn collection(self) -> &'static str {
        match self {
            RecordKind::Sector => "sectors",
            RecordKind::Tag => "tags",
            RecordKind::Question => "questions",
            RecordKind::Blog => "blogs",
            RecordKind::Editor => "editors",
            content => content.content_kind().map_or("content", ContentKind::collection),
        }
    }
}

vocabulary!(
    /// What happened to the record; with the kind it makes an event type (`essay.published`).
    ChangeAction {
        Created = "created",
        Updated = "updated",
        Submitted = "submitted",
        Published = "published",
        Scheduled = "scheduled",
        Unpublished = "unpublished",
        Archived = "archived",
        /// Moved to the trash.
        Trashed = "trashed",
        /// Brought back from the trash.
        Restored = "restored",
        RevisionRestored = "revision_restored",
        /// A trashed content item deleted for good.
        Purged = "purged",
        /// A catalog entry deleted.
        Deleted = "deleted",
        /// A news link drafted from a news source's new story.
        Discovered = "discovered",
    }
);

impl ChangeAction {
    /// The action's name in the audit log.
    pub fn audit(self) -> &'static str {
        match self {
            ChangeAction::Created => "create",
            ChangeAction::Updated => "update",
            ChangeAction::Submitted => "submit",
            ChangeAction::Published => "publish",
            ChangeAction::Scheduled => "schedule",
            ChangeAction::Unpublished => "unpublish",
            ChangeAction::Archived => "archive",
            ChangeAction::Trashed | ChangeAction::Deleted => "delete",
            ChangeAction::Restored => "restore",
            ChangeAction::RevisionRestored => "restore_revision",
            ChangeAction::Purged => "purge",
            ChangeAction::Discovered => "discover",
        }
    }
}

/// One write, as the log records it.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: RecordKind,
    pub item_id: Uuid,
    pub action: ChangeAction,
    /// The version after the write (before it, for removals).
    pub version: Option<i32>,
    /// Whether everyone could read the record before and after the write.
    pub public_before: bool,
    pub public_after: bool,
    /// The thin, public-safe description webhooks send (see [`summary`]).
    pub summary: Value,
}

/// Mark names.
pub const FANOUT_MARK: &str = "webhook_fanout";
pub const PRUNED_MARK: &str = "pruned_through";

/// A key no other part of the server takes: the lock that serializes appends on PostgreSQL.
const APPEND_LOCK: i64 = 0x6f75_6368_616e_6765;

/// Appends a change inside the caller's write transaction and returns its sequence number.
///
/// On PostgreSQL a transaction-scoped advisory lock makes appenders take turns until they
/// commit, so number N+1 is only handed out once N is committed (or rolled back and reused):
/// a reader never sees N+1 and later finds N appear. SQLite's write transaction already
/// serializes writers.
pub async fn append(db: &impl ConnectionTrait, change: Change) -> Result<i64, AppError> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})")).await?;
    }
    let seq = position(db).await? + 1;
    change::Entity::insert(change::ActiveModel {
        seq: Set(seq),
        event_id: Set(Uuid::now_v7()),
        kind: Set(change.kind.as_str().to_owned()),
        item_id: Set(change.item_id),
        action: Set(change.action.as_str().to_owned()),
        version: Set(change.version),
        public_before: Set(change.public_before),
        public_after: Set(change.public_after),
        summary: Set(change.summary),
        occurred_at: Set(now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(seq)
}

/// The number of the last change (0 for an empty log). The response cache asks on every public
/// read, so this is one fixed statement (prepared once per connection, never rebuilt).
pub async fn position(db: &impl ConnectionTrait) -> Result<i64, AppError> {
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), "SELECT MAX(seq) AS seq FROM changes");
    let row = db.query_one_raw(statement).await?;
    Ok(row.map(|r| r.try_get::<Option<i64>>("", "seq")).transpose()?.flatten().unwrap_or(0))
}

/// The newest change's number and time (0 and none for an empty log): what feeds validate
/// against, the same on every node.
pub async fn head(db: &impl ConnectionTrait) -> Result<(i64, Option<DateTime<Utc>>), AppError> {
    let newest = change::Entity::find().order_by_desc(change::Column::Seq).one(db).await?;
    Ok(newest.map_or((0, None), |c| (c.seq, Some(c.occurred_at))))
}

/// Up to `limit` changes after `after`, in order.
pub async fn since(db: &impl ConnectionTrait, after: i64, limit: u64) -> Result<Vec<change::Model>, AppError> {
    Ok(change::Entity::find()
        .filter(change::Column::Seq.gt(after))
        .order_by_asc(change::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// The position a mark holds (0 when never set).
pub async fn mark(db: &impl ConnectionTrait, name: &str) -> Result<i64, AppError> {
    Ok(change_log_mark::Entity::find_by_id(name.to_owned()).one(db).await?.map_or(0, |m| m.seq))
}

/// Moves a mark.
pub async fn set_mark(db: &impl ConnectionTrait, name: &str, seq: i64) -> Result<(), AppError> {
    change_log_mark::Entity::insert(change_log_mark::ActiveModel { name: Set(name.to_owned()), seq: Set(seq) })
        .on_conflict(OnConflict::column(change_log_mark::Column::Name).update_column(change_log_mark::Column::Seq).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Deletes changes older than `before`, always keeping the newest (it carries the numbering);
/// the pruned mark then says that positions up to there can no longer be followed.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, AppError> {
    let newest = position(db).await?;
    let doomed = change::Entity::find()
        .filter(change::Column::OccurredAt.lt(before))
        .filter(change::Column::Seq.lt(newest));
    let last: Option<Option<i64>> = doomed.clone().select_only().column_as(change::Column::Seq.max(), "seq").into_tuple().one(db).await?;
    let Some(through) = last.flatten() else {
        return Ok(0);
    };
    let deleted = change::Entity::delete_many().filter(change::Column::Seq.lte(through)).exec(db).await?;
    set_mark(db, PRUNED_MARK, through).await?;
    Ok(deleted.rows_affected)
}

/// The thin summary of a record: id, kind, slug, title, version, status and timestamps, and
/// its path under the API base; never a body. `record` is the record as its GET shows it.
pub fn summary(kind: RecordKind, record: &Map<String, Value>) -> Value {
    let field = |name: &str| record.get(name).cloned().unwrap_or(Value::Null);
    let title = ["title", "name", "display_name"].iter().find_map(|name| record.get(*name)).cloned().unwrap_or(Value::Null);
    let slug = record.get("slug").and_then(Value::as_str).unwrap_or_default();
    let mut data = json!({
        "id": field("id"),
        "kind": kind.as_str(),
        "slug": slug,
        "title": title,
        "version": field("version"),
        "path": format!("/{}/{}", kind.collection(), slug),
        "created_at": field("created_at"),
        "updated_at": field("updated_at"),
    });
    if kind.content_kind().is_some() {
        for name in ["status", "published_at", "scheduled_at", "sector_ids", "tag_ids"] {
            data[name] = field(name);
        }
    } else if let Some(sectors) = record.get("sector_ids").or_else(|| record.get("sector_id")) {
        data["sector_ids"] = match sectors {
            Value::Array(_) => sectors.clone(),
            Value::Null => json!([]),
            one => json!([one]),
        };
    }
    data
}
