//! Reads of the change log's position shared by the requests that wait for one at the same time.
//!
//! A request may use any read that *began* after it arrived: such a read sees every write
//! acknowledged before the request came in, on any node. Reads run one at a time; a request that
//! finds one under way waits for it to end and then takes the next read's answer, so under load
//! one statement answers every request that arrived while the previous one ran, and invalidation
//! stays exact.

use std::future::Future;
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
        self.shared(|| crate::services::changes::position(db)).await
    }

    /// The answer of a `read` that began after this call did, making one if there is none.
    async fn shared<F: Future<Output = Result<i64, AppError>>>(&self, read: impl FnOnce() -> F) -> Result<i64, AppError> {
        let arrived = self.begun.load(Ordering::SeqCst);
        let mut newest = self.newest.lock().await;
        if let Some((number, position)) = *newest {
            if number > arrived {
                return Ok(position);
            }
        }
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let position = read().await?;
        *newest = Some((number, position));
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    /// Readers that arrive while writes commit each get a position at least as new as the last
    /// write committed before they arrived, and share reads doing so.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_reader_sees_what_was_committed_before_it_arrived() {
        let reads = Arc::new(PositionReads::default());
        let committed = Arc::new(AtomicU64::new(0));
        let statements = Arc::new(AtomicU64::new(0));
        let writer = {
            let committed = committed.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    committed.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_micros(300)).await;
                }
            })
        };
        let mut readers = Vec::new();
        // Readers arrive in waves over the writes (the timer's grain is a millisecond).
        for reader in 0..400 {
            let (reads, committed, statements) = (reads.clone(), committed.clone(), statements.clone());
            readers.push(tokio::spawn(async move {
                let before = committed.load(Ordering::SeqCst) as i64;
                let seen = reads
                    .shared(|| async {
                        statements.fetch_add(1, Ordering::SeqCst);
                        // A statement sees what was committed when it began, and takes a while.
                        let snapshot = committed.load(Ordering::SeqCst) as i64;
                        tokio::time::sleep(Duration::from_micros(200)).await;
                        Ok(snapshot)
                    })
                    .await
                    .unwrap();
                assert!(seen >= before, "a reader that arrived after write {before} was given position {seen}");
            }));
            if reader % 10 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        for reader in readers {
            reader.await.unwrap();
        }
        writer.await.unwrap();
        assert!(statements.load(Ordering::SeqCst) < 400, "readers waiting together share a read");
    }

    #[tokio::test]
    async fn a_failed_read_is_not_shared() {
        let reads = PositionReads::default();
        let failed = reads.shared(|| async { Err(AppError::Internal(anyhow::anyhow!("no database"))) }).await;
        assert!(failed.is_err());
        assert_eq!(reads.shared(|| async { Ok(7) }).await.unwrap(), 7);
    }
}
