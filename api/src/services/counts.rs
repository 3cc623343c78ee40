//! Totals of public lists kept beside the change log's position: a list's count reads its index
//! once per change of the log, not once per request, so its cost does not grow with the table.
//!
//! What a public reader may see changes only through writes that append to the change log in
//! their own transaction (the response cache rests on the same fact), so a total counted when the
//! log stood at position P is the total for as long as it stands there. The position is read
//! before the count: a write committed in between makes the total newer than its position, never
//! older, and the next request, finding the log moved, counts again. Counts run on the pool, never
//! inside a caller's transaction, whose uncommitted rows (and, on SQLite, change numbers that a
//! rollback frees for reuse) no other request may be answered from.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use sea_orm::{DatabaseConnection, Statement};

use crate::error::AppError;
use crate::services::positions::PositionReads;

/// How many distinct count statements are remembered (a key and two numbers each).
const REMEMBERED: usize = 1024;

/// The kept totals of one process.
pub struct CountCache {
    db: DatabaseConnection,
    positions: Arc<PositionReads>,
    /// Digest of the count statement (its SQL and bound values) → (position, total).
    totals: Mutex<LruCache<u128, (i64, u64)>>,
}

impl CountCache {
    /// Totals counted on `db`'s pool, validated by `positions`.
    pub fn new(db: DatabaseConnection, positions: Arc<PositionReads>) -> CountCache {
        let size = NonZeroUsize::new(REMEMBERED).unwrap_or(NonZeroUsize::MIN);
        CountCache { db, positions, totals: Mutex::new(LruCache::new(size)) }
    }

    /// The number a count statement of `services::query` over public rows answers now.
    pub async fn count(&self, statement: Statement) -> Result<u64, AppError> {
        let key = digest(&statement);
        let position = self.positions.read(&self.db).await?;
        if let Some(total) = self.kept(key, position) {
            crate::metrics::cache_hit("count");
            return Ok(total);
        }
        let total = crate::services::query::run_count(&self.db, statement).await?;
        if let Ok(mut totals) = self.totals.lock() {
            totals.put(key, (position, total));
        }
        Ok(total)
    }

    fn kept(&self, key: u128, position: i64) -> Option<u64> {
        let mut totals = self.totals.lock().ok()?;
        totals.get(&key).filter(|(at, _)| *at == position).map(|(_, total)| *total)
    }
}

fn digest(statement: &Statement) -> u128 {
    let mut text = statement.sql.clone();
    text.push('\0');
    text.push_str(&format!("{:?}", statement.values));
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}
