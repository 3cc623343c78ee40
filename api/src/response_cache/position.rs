//! Reads of the change log's position shared by the requests that wait for one at the same time.
//!
//! A request may use any read that *began* after it arrived: such a read sees every write
//! acknowledged before the request came in, on any node. Reads run one at a time; a request that
//! finds one under way waits for it to end and then takes the next read's answer, so under load
//! one statement answers every request that arrived while the previous one ran, and invalidation
//! stays exact.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;

use crate::error::AppError;

/// The position reads of one process.
#[derive(Default)]
pub struct PositionReads {
    /// How many reads have begun; a read's number is its place in that count.
    begun: AtomicU64,
    /// The newest finished read: its number and the position it found. Held while a read runs.
    newest: Mutex<Option<(u64, i64)>>,
}

impl PositionReads {
    /// The change log's position as of some moment after this call began.
    pub async fn read(&self, db: &DatabaseConnection) -> Result<i64, AppError> {
        let arrived = self.begun.load(Ordering::SeqCst);
        let mut newest = self.newest.lock().await;
        if let Some((number, position)) = *newest {
            if number > arrived {
                return Ok(position);
            }
        }
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let position = crate::services::changes::position(db).await?;
        *newest = Some((number, position));
        Ok(position)
    }
}
