//! Webhook endpoints (admins): what they subscribe to, their signing secret, and their
//! deliveries. Deliveries come from the change log (see [`delivery`]); nothing here sends.

pub mod delivery;
pub mod events;
pub mod signature;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, ActiveModelTrait};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use entity::{sector, webhook, webhook_attempt, webhook_delivery};

use crate::clock::now;
use crate::error::{AppError, FieldErrors};
use crate::listing::{FieldType, FilterField, ListQuery, Page, ResourceSpec, Sort};
use crate::policy::{Action, Principal, Resource, require};
use crate::services::audit::{self, AuditEntry};
use crate::services::changes::{self, RecordKind};
use crate::services::query::page_by_columns;
use crate::services::read_only::ReadOnly;
use crate::services::validate;
use crate::services::write::{Precondition, Written, versioned};

/// An endpoint as admins read it: never its secret.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "Webhook"))]
pub struct WebhookRecord {
    pub id: Uuid,
    /// Where events are POSTed.
    pub url: String,
    pub description: String,
    /// Event patterns: `essay.published`, `content.*`, `catalog.*`, `*.published`, `*`.
    pub events: Vec<String>,
    /// Only events about these kinds; empty means every kind.
    pub kinds: Vec<RecordKind>,
    /// Only events about items in one of these sectors; empty means any.
    pub sector_ids: Vec<Uuid>,
    /// Whether events are sent; the server turns it off on `410 Gone` or too many failures.
    pub active: bool,
    /// Events in a row that failed every attempt.
    pub consecutive_failures: i32,
    /// Why the server disabled the endpoint, if it did.
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until when the previous secret still signs deliveries, after a rotation.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

versioned!(WebhookRecord);

/// An endpoint with its signing secret, returned once on creation and on rotation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    #[cfg_attr(feature = "adapters", graphql(flatten))]
    pub webhook: WebhookRecord,
    /// The `whsec_…` secret that signs deliveries. It is not shown again.
    pub secret: String,
}

/// An endpoint as admins write it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    pub url: String,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub description: String,
    /// Defaults to every event (`*`).
    #[serde(default = "every_event")]
    #[cfg_attr(feature = "adapters", graphql(default_with = "every_event()"))]
    pub events: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub kinds: Vec<RecordKind>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub sector_ids: Vec<Uuid>,
    #[serde(default = "active_by_default")]
    #[cfg_attr(feature = "adapters", graphql(default = true))]
    pub active: bool,
}

fn every_event() -> Vec<String> {
    vec!["*".to_owned()]
}

fn active_by_default() -> bool {
    true
}

const READ_ONLY: &[ReadOnly] = &[
    ReadOnly::Computed { name: "id", how: "the server gives every endpoint its id" },
    ReadOnly::Computed { name: "consecutive_failures", how: "deliveries count them" },
    ReadOnly::Computed { name: "disabled_reason", how: "the server sets it when it disables the endpoint; set active to true to enable it" },
    ReadOnly::Computed { name: "disabled_at", how: "the server sets it when it disables the endpoint" },
    ReadOnly::Computed { name: "previous_secret_expires_at", how: "POST …/rotate-secret sets it" },
    ReadOnly::Computed { name: "created_at", how: "the server keeps it" },
    ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
];

/// Longest description.
const DESCRIPTION_MAX: usize = 500;
/// Most event patterns, kinds or sectors an endpoint lists.
const LIST_MAX: usize = 50;

/// List parameters for `/webhooks`.
pub static WEBHOOK_SPEC: ResourceSpec = ResourceSpec {
    name: "webhooks",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "url", aliases: &[], ty: FieldType::Text },
        FilterField { name: "active", aliases: &[], ty: FieldType::Bool },
    ]],
    sorts: &["created_at", "updated_at", "url", "id"],
    default_sort: &[Sort { field: "created_at", descending: false }],
    includes: &[],
    fields: &["url", "description", "events", "kinds", "sector_ids", "active", "consecutive_failures", "disabled_reason", "disabled_at", "previous_secret_expires_at", "version", "created_at", "updated_at"],
    searchable: false,
    list_omits: &[],
};

fn strings<T: serde::de::DeserializeOwned>(value: &Value) -> Result<Vec<T>, AppError> {
    serde_json::from_value(value.clone()).map_err(|e| AppError::Internal(anyhow::anyhow!("a stored webhook list is malformed: {e}")))
}

fn record(m: webhook::Model) -> Result<WebhookRecord, AppError> {
    Ok(WebhookRecord {
        id: m.id,
        url: m.url,
        description: m.description,
        events: strings(&m.events)?,
        kinds: strings::<String>(&m.kinds)?.iter().map(|k| RecordKind::stored(k)).collect::<Result<_, _>>()?,
        sector_ids: strings(&m.sector_ids)?,
        active: m.active,
        consecutive_failures: m.consecutive_failures,
        disabled_reason: m.disabled_reason,
        disabled_at: m.disabled_at,
        previous_secret_expires_at: m.previous_secret_expires_at,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Lists endpoints.
pub async fn list(db: &DatabaseConnection, principal: &Principal, query: &ListQuery) -> Result<Page<WebhookRecord>, AppError> {
    require(principal, Resource::Webhooks, Action::Read)?;
    let page = page_by_columns(db, webhook::Entity::find(), query, |_| None).await?;
    Ok(Page { items: page.items.into_iter().map(record).collect::<Result<_, _>>()?, total: page.total })
}

/// Finds an endpoint.
pub async fn get(db: &DatabaseConnection, principal: &Principal, id: Uuid) -> Result<WebhookRecord, AppError> {
    require(principal, Resource::Webhooks, Action::Read)?;
    record(find(db, id).await?)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<webhook::Model, AppError> {
    webhook::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound { resource: "webhook" })
}

/// The field rules of an endpoint; `allow_private` lets it point at private addresses.
async fn check(db: &impl ConnectionTrait, input: &mut WebhookInput, allow_private: bool) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    validate::url(&mut errors, "url", &input.url);
    if let Ok(url) = url::Url::parse(input.url.trim()) {
        if let Err(refused) = crate::outbound::check_url(&url, allow_private) {
            validate::refuse(&mut errors, "url", refused.to_string());
        }
    }
    validate::text(&mut errors, "description", &input.description, false, DESCRIPTION_MAX);
    input.events.sort();
    input.events.dedup();
    if input.events.is_empty() {
        validate::refuse(&mut errors, "events", "name at least one event pattern, or * for every event");
    }
    if input.events.len() > LIST_MAX || input.kinds.len() > LIST_MAX {
        validate::refuse(&mut errors, "events", format!("at most {LIST_MAX} patterns and {LIST_MAX} kinds"));
    }
    if let Some(problem) = input.events.iter().find_map(|p| events::invalid_pattern(p)) {
        validate::refuse(&mut errors, "events", problem);
    }
    input.kinds.sort_by_key(|k| k.as_str());
    input.kinds.dedup();
    validate::ids_exist(db, &mut errors, "sector_ids", &input.sector_ids, LIST_MAX, sector::Entity::find(), sector::Column::Id, "sector").await?;
    validate::finish(errors)
}

fn json_list<T: Serialize>(items: &[T]) -> Result<Value, AppError> {
    serde_json::to_value(items).map_err(|e| AppError::Internal(e.into()))
}

/// Creates an endpoint; it hears of changes from now on. The answer holds its secret, once.
pub async fn create(db: &DatabaseConnection, principal: &Principal, written: Written<WebhookInput>, allow_private: bool) -> Result<WebhookWithSecret, AppError> {
    require(principal, Resource::Webhooks, Action::Create)?;
    let mut input = written.read(None::<&WebhookRecord>, &[READ_ONLY], Precondition::default())?;
    let txn = crate::db::begin_write(db).await?;
    check(&txn, &mut input, allow_private).await?;
    // It hears of every change after this position, so no fan-out may run past it unseen.
    delivery::hold_fan_out(&txn).await?;
    let (id, at, secret) = (Uuid::now_v7(), now(), signature::new_secret()?);
    let model = webhook::ActiveModel {
        id: Set(id),
        url: Set(input.url.trim().to_owned()),
        description: Set(input.description.trim().to_owned()),
        events: Set(json_list(&input.events)?),
        kinds: Set(json_list(&input.kinds)?),
        sector_ids: Set(json_list(&input.sector_ids)?),
        active: Set(input.active),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        consecutive_failures: Set(0),
        disabled_reason: Set(None),
        disabled_at: Set(None),
        after_seq: Set(changes::position(&txn).await?),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, principal, AuditEntry { resource: Resource::Webhooks.as_str(), resource_id: Some(id), action: "create", version_before: None, version_after: Some(1), details: None }).await?;
    txn.commit().await?;
    Ok(WebhookWithSecret { webhook: record(model)?, secret })
}

/// Replaces or merges an endpoint's settings; turning `active` back on clears the failures.
pub async fn update(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    written: Written<WebhookInput>,
    precondition: Precondition,
    allow_private: bool,
) -> Result<WebhookRecord, AppError> {
    require(principal, Resource::Webhooks, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let stored = webhook::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(AppError::NotFound { resource: "webhook" })?;
    let current = record(stored.clone())?;
    let mut input = written.read(Some(&current), &[READ_ONLY], precondition)?;
    check(&txn, &mut input, allow_private).await?;
    let enabled = input.active && !stored.active;
    let mut row = stored.into_active_model();
    row.url = Set(input.url.trim().to_owned());
    row.description = Set(input.description.trim().to_owned());
    row.events = Set(json_list(&input.events)?);
    row.kinds = Set(json_list(&input.kinds)?);
    row.sector_ids = Set(json_list(&input.sector_ids)?);
    row.active = Set(input.active);
    if enabled {
        row.consecutive_failures = Set(0);
        row.disabled_reason = Set(None);
        row.disabled_at = Set(None);
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(now());
    let model = row.update(&txn).await?;
    audit::record(&txn, principal, AuditEntry { resource: Resource::Webhooks.as_str(), resource_id: Some(id), action: "update", version_before: Some(current.version), version_after: Some(model.version), details: None }).await?;
    txn.commit().await?;
    record(model)
}

/// Deletes an endpoint with its deliveries.
pub async fn delete(db: &DatabaseConnection, principal: &Principal, id: Uuid) -> Result<WebhookRecord, AppError> {
    require(principal, Resource::Webhooks, Action::Delete)?;
    let txn = crate::db::begin_write(db).await?;
    let stored = record(find(&txn, id).await?)?;
    webhook::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, principal, AuditEntry { resource: Resource::Webhooks.as_str(), resource_id: Some(id), action: "delete", version_before: Some(stored.version), version_after: None, details: None }).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Gives an endpoint a new secret; the old one keeps signing beside it for `grace`, so the
/// receiver can switch without losing a delivery.
pub async fn rotate_secret(db: &DatabaseConnection, principal: &Principal, id: Uuid, grace: Duration) -> Result<WebhookWithSecret, AppError> {
    require(principal, Resource::Webhooks, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let stored = webhook::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(AppError::NotFound { resource: "webhook" })?;
    let secret = signature::new_secret()?;
    let version = stored.version;
    let mut row = stored.clone().into_active_model();
    row.previous_secret = Set(Some(stored.secret));
    row.previous_secret_expires_at = Set(Some(now() + grace));
    row.secret = Set(secret.clone());
    row.version = Set(version + 1);
    row.updated_at = Set(now());
    let model = row.update(&txn).await?;
    audit::record(&txn, principal, AuditEntry { resource: Resource::Webhooks.as_str(), resource_id: Some(id), action: "rotate_secret", version_before: Some(version), version_after: Some(version + 1), details: None }).await?;
    txn.commit().await?;
    Ok(WebhookWithSecret { webhook: record(model)?, secret })
}

/// One delivery of one event to one endpoint.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "WebhookDelivery"))]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The `webhook-id` header: the same on every attempt, for receivers to deduplicate.
    pub message_id: String,
    /// The change log position of the event (none for pings).
    pub change_seq: Option<i64>,
    pub event_type: String,
    /// `pending` (to send or retry), `succeeded` or `failed` (every attempt failed, or the
    /// endpoint answered 410).
    pub state: String,
    pub attempts: i32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The body sent on every attempt.
    #[cfg_attr(feature = "adapters", graphql(skip))]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
#[cfg_attr(feature = "adapters", graphql(name = "WebhookAttempt"))]
pub struct AttemptRecord {
    pub id: Uuid,
    pub attempt: i32,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    /// The start of the answer's body.
    pub response_excerpt: Option<String>,
    /// Why the attempt failed without an answer (or what the answer meant).
    pub error: Option<String>,
    pub succeeded: bool,
    pub attempted_at: DateTime<Utc>,
}

/// A delivery with its attempts, newest last.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryRecord,
    pub attempt_log: Vec<AttemptRecord>,
}

/// List parameters for `/webhooks/{id}/deliveries`.
pub static DELIVERY_SPEC: ResourceSpec = ResourceSpec {
    name: "webhook-deliveries",
    filters: &[&[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "state", aliases: &[], ty: FieldType::Enum(&["pending", "succeeded", "failed"]) },
        FilterField { name: "event_type", aliases: &[], ty: FieldType::Text },
        FilterField { name: "created_at", aliases: &[], ty: FieldType::Timestamp },
    ]],
    sorts: &["created_at", "updated_at", "event_type", "state", "id"],
    default_sort: &[Sort { field: "created_at", descending: true }],
    includes: &[],
    fields: &["webhook_id", "message_id", "change_seq", "event_type", "state", "attempts", "next_attempt_at", "last_status", "last_error", "completed_at", "payload", "created_at", "updated_at"],
    searchable: false,
    list_omits: &[],
};

/// The `webhook-id` of an event.
pub fn message_id(event_id: Uuid) -> String {
    format!("msg_{}", event_id.simple())
}

fn delivery_record(m: webhook_delivery::Model) -> DeliveryRecord {
    DeliveryRecord {
        id: m.id,
        webhook_id: m.webhook_id,
        message_id: message_id(m.event_id),
        change_seq: m.change_seq,
        event_type: m.event_type,
        next_attempt_at: (m.state == "pending").then_some(m.next_attempt_at),
        state: m.state,
        attempts: m.attempts,
        last_status: m.last_status,
        last_error: m.last_error,
        completed_at: m.completed_at,
        payload: serde_json::from_str(&m.payload).unwrap_or(Value::String(m.payload)),
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// Lists an endpoint's deliveries, newest first.
pub async fn deliveries(db: &DatabaseConnection, principal: &Principal, webhook_id: Uuid, query: &ListQuery) -> Result<Page<DeliveryRecord>, AppError> {
    require(principal, Resource::Webhooks, Action::Read)?;
    find(db, webhook_id).await?;
    let select = webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    let page = page_by_columns(db, select, query, |_| None).await?;
    Ok(Page { items: page.items.into_iter().map(delivery_record).collect(), total: page.total })
}

/// One delivery with every attempt.
pub async fn delivery(db: &DatabaseConnection, principal: &Principal, webhook_id: Uuid, id: Uuid) -> Result<DeliveryDetail, AppError> {
    require(principal, Resource::Webhooks, Action::Read)?;
    let model = find_delivery(db, webhook_id, id).await?;
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(id))
        .order_by_asc(webhook_attempt::Column::Attempt)
        .all(db)
        .await?;
    let attempt_log = attempts
        .into_iter()
        .map(|a| AttemptRecord {
            id: a.id,
            attempt: a.attempt,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
            succeeded: a.succeeded,
            attempted_at: a.created_at,
        })
        .collect();
    Ok(DeliveryDetail { delivery: delivery_record(model), attempt_log })
}

async fn find_delivery(db: &impl ConnectionTrait, webhook_id: Uuid, id: Uuid) -> Result<webhook_delivery::Model, AppError> {
    webhook_delivery::Entity::find_by_id(id)
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "webhook delivery" })
}

/// Sends a delivery again, now (a failed one gets one more attempt; a pending one is due now).
pub async fn redeliver(db: &DatabaseConnection, principal: &Principal, webhook_id: Uuid, id: Uuid) -> Result<DeliveryRecord, AppError> {
    require(principal, Resource::Webhooks, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    find_delivery(&txn, webhook_id, id).await?;
    delivery::due_now(&txn, &[id]).await?;
    let model = find_delivery(&txn, webhook_id, id).await?;
    txn.commit().await?;
    Ok(delivery_record(model))
}

/// Queues a `ping` event for an endpoint.
pub async fn ping(db: &DatabaseConnection, principal: &Principal, webhook_id: Uuid) -> Result<DeliveryRecord, AppError> {
    require(principal, Resource::Webhooks, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    find(&txn, webhook_id).await?;
    let model = delivery::queue_ping(&txn, webhook_id).await?;
    txn.commit().await?;
    Ok(delivery_record(model))
}

/// How many deliveries a replay queued.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::SimpleObject))]
pub struct Replayed {
    /// Events sent again (or for the first time) to the endpoint.
    pub queued: u64,
}

/// Sends an endpoint every event it subscribes to that happened at or after `since` (as far
/// back as the change log keeps), again where it was delivered before.
pub async fn replay(db: &DatabaseConnection, principal: &Principal, webhook_id: Uuid, since: DateTime<Utc>) -> Result<Replayed, AppError> {
    require(principal, Resource::Webhooks, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let hook = find(&txn, webhook_id).await?;
    let queued = delivery::replay(&txn, &hook, since).await?;
    txn.commit().await?;
    Ok(Replayed { queued })
}
