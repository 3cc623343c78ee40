//! The delivery state machine: changes fan out to one delivery per event and endpoint, a lease
//! lets one node at a time send each, and every attempt's outcome decides what comes next
//! (retry with backoff, success, or the endpoint disabled). A node that dies mid-send loses
//! nothing: its lease runs out and another node (or the next start) sends the delivery again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use entity::{change, webhook, webhook_attempt, webhook_delivery};

use super::events::{self, PING};
use crate::clock::now;
use crate::error::AppError;
use crate::services::changes::{self, ChangeAction, FANOUT_MARK, RecordKind};
use crate::services::lease;

/// How long a claimed delivery is this node's: well past the 15-second request timeout.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// Changes fanned out per round.
const FANOUT_BATCH: u64 = 500;
/// Deliveries written per statement.
const INSERT_CHUNK: usize = 100;
/// Only one node fans out at a time on PostgreSQL (others skip the round).
const FANOUT_LOCK: i64 = 0x6f75_6661_6e6f_7574;

/// A delivery this node holds the lease of, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: webhook_delivery::Model,
    pub url: String,
    /// The secrets in force, newest first: each signs the delivery.
    pub secrets: Vec<String>,
    lease: Uuid,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered { status: u16 },
    /// `410 Gone`: the receiver wants no more; the endpoint is disabled.
    Gone,
    /// Anything else: another status (3xx included), a timeout, a refused connection.
    Failed { status: Option<u16>, error: String, retry_after: Option<Duration> },
}

/// An attempt as the delivery log keeps it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub outcome: Outcome,
    pub duration: Duration,
    /// The start of the answer's body.
    pub excerpt: Option<String>,
}

/// What the server does after failures: the retry delays, and after how many failed events in
/// a row an endpoint is disabled.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub schedule: Vec<Duration>,
    pub failure_limit: u32,
}

fn stored_list<T: serde::de::DeserializeOwned>(value: &Value) -> Vec<T> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// Whether an endpoint subscribes to a change: its event patterns, kinds and sectors.
fn subscribed(hook: &webhook::Model, change: &change::Model) -> bool {
    let (Some(kind), Some(action)) = (RecordKind::parse(&change.kind), ChangeAction::parse(&change.action)) else {
        return false;
    };
    let patterns: Vec<String> = stored_list(&hook.events);
    let kinds: Vec<String> = stored_list(&hook.kinds);
    let sectors: Vec<Uuid> = stored_list(&hook.sector_ids);
    let item_sectors: Vec<Uuid> = if kind == RecordKind::Sector { vec![change.item_id] } else { stored_list(&change.summary["sector_ids"]) };
    patterns.iter().any(|p| events::matches(p, kind, action))
        && (kinds.is_empty() || kinds.iter().any(|k| k == kind.as_str()))
        && (sectors.is_empty() || item_sectors.iter().any(|s| sectors.contains(s)))
}

/// A change's event type: its kind and action (`essay.published`).
fn event_type(change: &change::Model) -> String {
    format!("{}.{}", change.kind, change.action)
}

/// The body every attempt of a change's delivery sends.
fn payload(change: &change::Model) -> String {
    json!({
        "type": event_type(change),
        "timestamp": change.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": change.summary,
    })
    .to_string()
}

/// A delivery of one event to one endpoint, due now.
fn new_delivery(webhook_id: Uuid, event_id: Uuid, change_seq: Option<i64>, event_type: String, payload: String) -> webhook_delivery::ActiveModel {
    let at = now();
    webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        webhook_id: Set(webhook_id),
        event_id: Set(event_id),
        change_seq: Set(change_seq),
        event_type: Set(event_type),
        payload: Set(payload),
        state: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(at),
        lease_until: Set(None),
        lease_token: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        completed_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// A delivery of a change to an endpoint.
fn delivery_of(hook: &webhook::Model, change: &change::Model) -> webhook_delivery::ActiveModel {
    new_delivery(hook.id, change.event_id, Some(change.seq), event_type(change), payload(change))
}

async fn existing(db: &impl ConnectionTrait, webhook_id: Uuid, event_id: Uuid) -> Result<Option<webhook_delivery::Model>, AppError> {
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .filter(webhook_delivery::Column::EventId.eq(event_id))
        .one(db)
        .await?)
}

/// Takes a transaction-scoped advisory lock on PostgreSQL without waiting; true on SQLite,
/// whose write transaction already excludes other writers.
async fn try_lock(db: &impl ConnectionTrait, key: i64) -> Result<bool, AppError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(true);
    }
    let row = db
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, format!("SELECT pg_try_advisory_xact_lock({key}) AS locked")))
        .await?;
    Ok(row.map(|r| r.try_get::<bool>("", "locked")).transpose()?.unwrap_or(false))
}

/// Waits until no fan-out runs and keeps others out until the caller's transaction ends, so a
/// new endpoint's starting position and the fan-out that follows agree (PostgreSQL; SQLite's
/// write transaction already excludes them).
pub async fn hold_fan_out(db: &impl ConnectionTrait) -> Result<(), AppError> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({FANOUT_LOCK})")).await?;
    }
    Ok(())
}

/// Turns the changes after the fan-out mark into deliveries, one per change and subscribed
/// endpoint, and moves the mark, in one transaction: a change is fanned out exactly once.
/// Returns how many deliveries were queued.
pub async fn fan_out(db: &DatabaseConnection) -> Result<usize, AppError> {
    // The common case, nothing new, needs no write transaction.
    if changes::position(db).await? <= changes::mark(db, FANOUT_MARK).await? {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    if !try_lock(&txn, FANOUT_LOCK).await? {
        txn.rollback().await?;
        return Ok(0);
    }
    let after = changes::mark(&txn, FANOUT_MARK).await?;
    let batch = changes::since(&txn, after, FANOUT_BATCH).await?;
    let Some(last) = batch.last().map(|c| c.seq) else {
        txn.rollback().await?;
        return Ok(0);
    };
    let hooks = webhook::Entity::find().filter(webhook::Column::Active.eq(true)).all(&txn).await?;
    if hooks.is_empty() {
        // Nobody listens: later endpoints hear only of changes after their creation anyway.
        let newest = changes::position(&txn).await?;
        changes::set_mark(&txn, FANOUT_MARK, newest).await?;
        txn.commit().await?;
        return Ok(0);
    }
    let rows: Vec<webhook_delivery::ActiveModel> = batch
        .iter()
        .flat_map(|change| hooks.iter().filter(|h| change.seq > h.after_seq && subscribed(h, change)).map(move |hook| delivery_of(hook, change)))
        .collect();
    let mut queued = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        // A replay may have queued some already: those stay as they are.
        let skip_queued = OnConflict::columns([webhook_delivery::Column::WebhookId, webhook_delivery::Column::EventId]).do_nothing().to_owned();
        queued += webhook_delivery::Entity::insert_many(chunk.to_vec()).on_conflict(skip_queued).exec_without_returning(&txn).await?;
    }
    changes::set_mark(&txn, FANOUT_MARK, last).await?;
    txn.commit().await?;
    Ok(usize::try_from(queued).unwrap_or(usize::MAX))
}

/// Claims up to `limit` due deliveries of active endpoints for this node (see [`lease`]).
pub async fn claim(db: &DatabaseConnection, limit: u64) -> Result<Vec<Claimed>, AppError> {
    use webhook_delivery::Column as D;
    let due = |at: DateTime<Utc>| {
        let active = Query::select().column(webhook::Column::Id).from(webhook::Entity).and_where(webhook::Column::Active.eq(true)).take();
        webhook_delivery::Entity::find()
            .filter(D::State.eq("pending"))
            .filter(D::NextAttemptAt.lte(at))
            .filter(D::WebhookId.in_subquery(active))
    };
    let columns = lease::Columns { id: D::Id, until: D::LeaseUntil, token: D::LeaseToken, order: D::NextAttemptAt };
    let Some(lease::Claim { txn, token, at, rows: held }) = lease::claim(db, &columns, due, limit, LEASE).await? else {
        return Ok(Vec::new());
    };
    let hook_ids: Vec<Uuid> = held.iter().map(|d| d.webhook_id).collect();
    let hooks = webhook::Entity::find().filter(webhook::Column::Id.is_in(hook_ids)).all(&txn).await?;
    txn.commit().await?;
    Ok(held
        .into_iter()
        .filter_map(|delivery| {
            let hook = hooks.iter().find(|h| h.id == delivery.webhook_id)?;
            let mut secrets = vec![hook.secret.clone()];
            if let (Some(previous), Some(until)) = (&hook.previous_secret, hook.previous_secret_expires_at) {
                if until > at {
                    secrets.push(previous.clone());
                }
            }
            Some(Claimed { delivery, url: hook.url.clone(), secrets, lease: token })
        })
        .collect())
}

/// A delay stretched or shrunk by up to a tenth, so retries of many deliveries spread out.
fn jittered(delay: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let spread = if getrandom::fill(&mut byte).is_ok() { f64::from(byte[0]) / 255.0 } else { 0.5 };
    delay.mul_f64(0.9 + spread * 0.2)
}

fn chrono_of(delay: Duration) -> chrono::Duration {
    chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::days(7))
}

/// Records an attempt and moves the delivery on. Does nothing to the delivery when this node
/// no longer holds its lease (another node took it over after the lease ran out).
pub async fn complete(db: &DatabaseConnection, claimed: &Claimed, attempt: Attempt, policy: &RetryPolicy) -> Result<(), AppError> {
    use webhook_delivery::Column as D;
    let txn = crate::db::begin_write(db).await?;
    let at = now();
    let delivery = &claimed.delivery;
    let number = delivery.attempts + 1;
    let (status, error) = match &attempt.outcome {
        Outcome::Delivered { status } => (Some(*status), None),
        Outcome::Gone => (Some(410), Some("the endpoint answered 410 Gone and was disabled".to_owned())),
        Outcome::Failed { status, error, .. } => (*status, Some(error.clone())),
    };
    webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(delivery.id),
        webhook_id: Set(delivery.webhook_id),
        attempt: Set(number),
        status_code: Set(status.map(i32::from)),
        duration_ms: Set(i32::try_from(attempt.duration.as_millis()).unwrap_or(i32::MAX)),
        response_excerpt: Set(attempt.excerpt.clone()),
        error: Set(error.clone()),
        succeeded: Set(matches!(attempt.outcome, Outcome::Delivered { .. })),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(D::Attempts, Expr::value(number))
        .col_expr(D::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(D::LeaseToken, Expr::value(Option::<Uuid>::None))
        .col_expr(D::LastStatus, Expr::value(status.map(i32::from)))
        .col_expr(D::LastError, Expr::value(error))
        .col_expr(D::UpdatedAt, Expr::value(at));
    // What happens to the endpoint: success clears its failure count, exhaustion adds to it.
    let mut endpoint = EndpointEffect::None;
    match &attempt.outcome {
        Outcome::Delivered { .. } => {
            update = update.col_expr(D::State, Expr::value("succeeded")).col_expr(D::CompletedAt, Expr::value(Some(at)));
            endpoint = EndpointEffect::Succeeded;
        }
        Outcome::Gone => {
            update = update.col_expr(D::State, Expr::value("failed")).col_expr(D::CompletedAt, Expr::value(Some(at)));
            endpoint = EndpointEffect::Disable("the endpoint answered 410 Gone".into());
        }
        Outcome::Failed { retry_after, .. } => match policy.schedule.get(delivery.attempts as usize) {
            Some(delay) => {
                let wait = jittered(*delay).max(retry_after.unwrap_or_default());
                update = update.col_expr(D::State, Expr::value("pending")).col_expr(D::NextAttemptAt, Expr::value(at + chrono_of(wait)));
            }
            None => {
                update = update.col_expr(D::State, Expr::value("failed")).col_expr(D::CompletedAt, Expr::value(Some(at)));
                // Counted once, when the schedule runs out (not again after a manual redelivery).
                if number as usize == policy.schedule.len() + 1 {
                    endpoint = EndpointEffect::Exhausted;
                }
            }
        },
    }
    let held = update.filter(D::Id.eq(delivery.id)).filter(D::LeaseToken.eq(claimed.lease)).exec(&txn).await?;
    if held.rows_affected == 1 {
        apply(&txn, delivery.webhook_id, endpoint, policy.failure_limit).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// What an attempt does to its endpoint.
enum EndpointEffect {
    None,
    Succeeded,
    /// An event failed every attempt.
    Exhausted,
    Disable(String),
}

async fn apply(db: &impl ConnectionTrait, webhook_id: Uuid, effect: EndpointEffect, failure_limit: u32) -> Result<(), AppError> {
    use webhook::Column as W;
    let reason = match effect {
        EndpointEffect::None => return Ok(()),
        EndpointEffect::Succeeded => {
            webhook::Entity::update_many()
                .col_expr(W::ConsecutiveFailures, Expr::value(0))
                .filter(W::Id.eq(webhook_id))
                .filter(W::ConsecutiveFailures.ne(0))
                .exec(db)
                .await?;
            return Ok(());
        }
        EndpointEffect::Exhausted => {
            webhook::Entity::update_many()
                .col_expr(W::ConsecutiveFailures, Expr::col(W::ConsecutiveFailures).add(1))
                .filter(W::Id.eq(webhook_id))
                .exec(db)
                .await?;
            let failures = webhook::Entity::find_by_id(webhook_id).one(db).await?.map_or(0, |h| h.consecutive_failures);
            if failures < i32::try_from(failure_limit).unwrap_or(i32::MAX) {
                return Ok(());
            }
            format!("{failures} consecutive events failed every attempt")
        }
        EndpointEffect::Disable(reason) => reason,
    };
    webhook::Entity::update_many()
        .col_expr(W::Active, Expr::value(false))
        .col_expr(W::DisabledReason, Expr::value(Some(reason)))
        .col_expr(W::DisabledAt, Expr::value(Some(now())))
        .col_expr(W::Version, Expr::col(W::Version).add(1))
        .col_expr(W::UpdatedAt, Expr::value(now()))
        .filter(W::Id.eq(webhook_id))
        .filter(W::Active.eq(true))
        .exec(db)
        .await?;
    tracing::warn!(%webhook_id, "webhook endpoint disabled");
    Ok(())
}

/// Makes deliveries due now, whatever state they were in.
pub async fn due_now(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), AppError> {
    use webhook_delivery::Column as D;
    webhook_delivery::Entity::update_many()
        .col_expr(D::State, Expr::value("pending"))
        .col_expr(D::NextAttemptAt, Expr::value(now()))
        .col_expr(D::CompletedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(D::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(D::LeaseToken, Expr::value(Option::<Uuid>::None))
        .col_expr(D::UpdatedAt, Expr::value(now()))
        .filter(D::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Queues a `ping` for an endpoint.
pub async fn queue_ping(db: &impl ConnectionTrait, webhook_id: Uuid) -> Result<webhook_delivery::Model, AppError> {
    let body = json!({
        "type": PING,
        "timestamp": now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": { "webhook_id": webhook_id },
    });
    Ok(webhook_delivery::Entity::insert(new_delivery(webhook_id, Uuid::now_v7(), None, PING.to_owned(), body.to_string())).exec_with_returning(db).await?)
}

/// Queues every subscribed change at or after `since` for `hook` again; returns how many.
pub async fn replay(db: &impl ConnectionTrait, hook: &webhook::Model, since: DateTime<Utc>) -> Result<u64, AppError> {
    let mut queued = 0;
    let mut after = change::Entity::find()
        .select_only()
        .column_as(change::Column::Seq.min(), "seq")
        .filter(change::Column::OccurredAt.gte(since))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .map_or(i64::MAX, |first| first - 1);
    loop {
        let batch = changes::since(db, after, FANOUT_BATCH).await?;
        let Some(last) = batch.last().map(|c| c.seq) else { break };
        for change in batch.iter().filter(|c| subscribed(hook, c)) {
            match existing(db, hook.id, change.event_id).await? {
                Some(found) => due_now(db, &[found.id]).await?,
                None => {
                    webhook_delivery::Entity::insert(delivery_of(hook, change)).exec_without_returning(db).await?;
                }
            }
            queued += 1;
        }
        after = last;
    }
    Ok(queued)
}
