//! Change log retention: changes older than the configured days are pruned once an hour (a
//! sync token from before then answers 410 and the client starts over).

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::now;
use crate::error::AppError;
use crate::services::changes;

/// Prunes changes older than `days`; returns how many were deleted.
pub async fn prune(db: &DatabaseConnection, days: u32) -> Result<u64, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let pruned = changes::prune(&txn, now() - chrono::Duration::days(i64::from(days))).await?;
    txn.commit().await?;
    Ok(pruned)
}

/// Runs [`prune`] every hour until the process ends.
pub fn spawn(db: DatabaseConnection, days: u32) {
    tokio::spawn(async move {
        let hour = Duration::from_secs(3600);
        // The first round an hour after start: a start is busy enough.
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + hour, hour);
        loop {
            ticker.tick().await;
            match prune(&db, days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(pruned = n, "old changes pruned"),
                Err(error) => tracing::warn!(?error, "pruning the change log failed; retrying next hour"),
            }
        }
    });
}
