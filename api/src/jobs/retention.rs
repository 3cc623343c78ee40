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

/// Runs [`prune`] every hour until the jobs stop; the first round an hour after start, as a
/// start is busy enough.
pub fn spawn(jobs: &super::Jobs, db: DatabaseConnection, days: u32) {
    let hour = Duration::from_secs(3600);
    jobs.every("retention", hour, hour, move || {
        let db = db.clone();
        async move { prune(&db, days).await.map(|pruned| usize::try_from(pruned).unwrap_or(usize::MAX)) }
    });
}
