//! The editorial workflow: which action leads from which state to which, and the scheduler's
//! race-safe publication.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::content_item;

use super::ContentRecord;
use super::write::{Done, apply, check_precondition, facts, finish, load, try_apply};
use crate::clock::now;
use crate::domain::{ContentKind, ContentStatus};
use crate::error::AppError;
use crate::policy::{Action, Principal, authorize, is_public_content};
use crate::services::changes::ChangeAction;
use crate::services::write::Precondition;

/// A workflow action on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Submit,
    Publish,
    Schedule,
    Unpublish,
    Archive,
}

impl Transition {
    /// Parses a path segment.
    pub fn parse(value: &str) -> Option<Transition> {
        match value {
            "submit" => Some(Transition::Submit),
            "publish" => Some(Transition::Publish),
            "schedule" => Some(Transition::Schedule),
            "unpublish" => Some(Transition::Unpublish),
            "archive" => Some(Transition::Archive),
            _ => None,
        }
    }

    /// The permission this transition needs.
    pub fn action(self) -> Action {
        match self {
            Transition::Submit => Action::Submit,
            Transition::Publish => Action::Publish,
            Transition::Schedule => Action::Schedule,
            Transition::Unpublish => Action::Unpublish,
            Transition::Archive => Action::Archive,
        }
    }

    fn name(self) -> &'static str {
        self.action().as_str()
    }

    /// What the change log and webhooks call this move.
    fn change(self) -> ChangeAction {
        match self {
            Transition::Submit => ChangeAction::Submitted,
            Transition::Publish => ChangeAction::Published,
            Transition::Schedule => ChangeAction::Scheduled,
            Transition::Unpublish => ChangeAction::Unpublished,
            Transition::Archive => ChangeAction::Archived,
        }
    }

    /// The states this action may start from, and where it leads.
    fn rule(self) -> (&'static [ContentStatus], ContentStatus) {
        use ContentStatus::*;
        match self {
            Transition::Submit => (&[Draft], InReview),
            Transition::Publish => (&[Draft, InReview, Scheduled, Archived], Published),
            Transition::Schedule => (&[Draft, InReview, Scheduled], Scheduled),
            Transition::Unpublish => (&[InReview, Scheduled, Published, Archived], Draft),
            Transition::Archive => (&[Draft, InReview, Published], Archived),
        }
    }
}

/// Moves an item along the workflow; an impossible move is a 409 naming the current state and the allowed ones.
pub async fn transition(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    transition: Transition,
    at: Option<DateTime<Utc>>,
    precondition: Precondition,
) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, model) = load(&txn, principal, kind, id).await?;
    authorize(principal, kind, transition.action(), &facts(&current, model.created_by)?)?;
    check_precondition(&current, &precondition)?;
    let status = current.status;
    let (from, to) = transition.rule();
    if !from.contains(&status) {
        let allowed: Vec<&str> = [Transition::Submit, Transition::Publish, Transition::Schedule, Transition::Unpublish, Transition::Archive]
            .into_iter()
            .filter(|t| t.rule().0.contains(&status))
            .map(Transition::name)
            .collect();
        return Err(AppError::Conflict {
            code: "invalid_transition",
            detail: format!(
                "cannot {} an item that is {}; allowed from {}: {}",
                transition.name(),
                status.as_str(),
                status.as_str(),
                if allowed.is_empty() { "nothing".to_owned() } else { allowed.join(", ") }
            ),
        });
    }
    let mut row = content_item::ActiveModel { status: Set(to.as_str().to_owned()), scheduled_at: Set(None), ..Default::default() };
    match transition {
        // `published_at` is set on first publication and kept after that.
        Transition::Publish if model.published_at.is_none() => row.published_at = Set(Some(now())),
        Transition::Schedule => {
            let at = at.ok_or_else(|| AppError::invalid_field("at", "is required"))?;
            if at <= Utc::now() {
                return Err(AppError::invalid_field("at", "must be in the future"));
            }
            row.scheduled_at = Set(Some(at));
        }
        Transition::Publish | Transition::Unpublish | Transition::Submit | Transition::Archive => {}
    }
    apply(&txn, id, current.version, row).await?;
    let done = Done { action: transition.change(), version_before: Some(current.version), was_public: is_public_content(&model), details: None };
    let record = finish(&txn, principal, kind, id, done).await?;
    txn.commit().await?;
    Ok(record)
}

/// Scheduled items whose time has come, earliest first, with the version each is at.
pub async fn due_for_publication(db: &DatabaseConnection, limit: u64) -> Result<Vec<(Uuid, i32)>, AppError> {
    Ok(content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Id)
        .column(content_item::Column::Version)
        .filter(content_item::Column::Status.eq(ContentStatus::Scheduled.as_str()))
        .filter(content_item::Column::ScheduledAt.lte(now()))
        .filter(content_item::Column::DeletedAt.is_null())
        .order_by_asc(content_item::Column::ScheduledAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Publishes one scheduled item whose time has come, if no other node got there first.
/// Returns whether this call published it.
pub async fn publish_scheduled(db: &DatabaseConnection, id: Uuid, version: i32) -> Result<bool, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(model) = content_item::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(false);
    };
    let kind = ContentKind::stored(&model.kind)?;
    let published_at = model.published_at.or(model.scheduled_at).unwrap_or_else(now);
    let row = content_item::ActiveModel {
        status: Set(ContentStatus::Published.as_str().to_owned()),
        published_at: Set(Some(published_at)),
        scheduled_at: Set(None),
        ..Default::default()
    };
    // Only one node's update matches the scheduled state at this version.
    let still_scheduled = Condition::all()
        .add(content_item::Column::Status.eq(ContentStatus::Scheduled.as_str()))
        .add(content_item::Column::DeletedAt.is_null());
    if !try_apply(&txn, id, version, row, still_scheduled).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    let done = Done { action: ChangeAction::Published, version_before: Some(version), was_public: is_public_content(&model), details: None };
    finish(&txn, &Principal::System, kind, id, done).await?;
    txn.commit().await?;
    Ok(true)
}

