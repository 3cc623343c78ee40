//! Scheduled publishing: items whose `scheduled_at` has passed are published, each exactly once
//! even when several nodes share the database (a conditional update claims each item), and an
//! item whose node died mid-way stays scheduled and is picked up on the next round.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::services::content;

/// Items handled per round.
const BATCH: u64 = 100;

/// Publishes every due item once; returns how many this node published.
pub async fn publish_due(db: &DatabaseConnection) -> Result<usize, AppError> {
    let due = content::due_for_publication(db, BATCH).await?;
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
                Err(error) => tracing::warn!(?error, "scheduled publishing failed; retrying next round"),
            }
        }
    });
}
