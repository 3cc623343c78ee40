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

/// Runs [`publish_due`] every `interval` until the jobs stop.
pub fn spawn(jobs: &super::Jobs, db: DatabaseConnection, interval: Duration) {
    jobs.every("scheduler", Duration::ZERO, interval, move || {
        let db = db.clone();
        async move { publish_due(&db).await }
    });
}
