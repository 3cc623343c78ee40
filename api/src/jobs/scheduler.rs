//! Scheduled publishing: items whose `scheduled_at` has passed are published, each exactly once
//! even when several nodes share the database (a conditional update claims each item), and an
//! item whose node died mid-way stays scheduled and is picked up on the next round.

use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::content_item;

use crate::clock::now;
use crate::domain::ContentStatus;
use crate::error::AppError;
use crate::services::content;

/// Items handled per round.
const BATCH: u64 = 100;

/// Publishes every due item once; returns how many this node published.
pub async fn publish_due(db: &DatabaseConnection) -> Result<usize, AppError> {
    let due: Vec<(uuid::Uuid, i32)> = content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Id)
        .column(content_item::Column::Version)
        .filter(content_item::Column::Status.eq(ContentStatus::Scheduled.as_str()))
        .filter(content_item::Column::ScheduledAt.lte(now()))
        .filter(content_item::Column::DeletedAt.is_null())
        .order_by_asc(content_item::Column::ScheduledAt)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let mut published = 0;
    for (id, version) in due {
        if content::publish_scheduled(db, id, version).await? {
            published += 1;
        }
    }
    Ok(published)
}

/// Runs [`publish_due`] every `interval` until the process ends.
pub fn spawn(db: DatabaseConnection, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match publish_due(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(published = n, "scheduled items published"),
                Err(error) => tracing::warn!(%error, "scheduled publishing failed; retrying next round"),
            }
        }
    });
}
