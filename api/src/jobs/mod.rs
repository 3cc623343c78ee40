//! Background jobs that every node runs; each is safe when several nodes run it at once.
//!
//! Every job is a round repeated at an interval ([`Jobs::every`]). On shutdown no new round
//! starts and the running ones finish what they hold, so nothing claimed is left half done.

pub mod news;
pub mod retention;
pub mod scheduler;
pub mod webhooks;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The jobs of this process and the signal that stops them.
#[derive(Clone)]
pub struct Jobs {
    stop: Arc<watch::Sender<bool>>,
    running: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs { stop: Arc::new(watch::channel(false).0), running: Arc::default() }
    }
}

impl Jobs {
    /// Runs `round` every `interval` (the first after `first_delay`) until [`Jobs::stop`]; a round
    /// returns how many items it handled. Runs, items, failures and durations go to the metrics.
    pub fn every<F, Fut, E>(&self, job: &'static str, first_delay: Duration, interval: Duration, mut round: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<usize, E>> + Send,
        E: std::fmt::Debug,
    {
        let mut stop = self.stop.subscribe();
        let handle = tokio::spawn(async move {
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + first_delay, interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stop.wait_for(|stopping| *stopping) => break,
                }
                let began = Instant::now();
                let outcome = round().await;
                crate::metrics::job_round(job, began.elapsed(), outcome.as_ref().ok().copied());
                match outcome {
                    Ok(0) => {}
                    Ok(items) => tracing::info!(job, items, "job round done"),
                    Err(error) => tracing::warn!(job, ?error, "job round failed; retrying next round"),
                }
            }
        });
        self.running.lock().unwrap_or_else(PoisonError::into_inner).push(handle);
    }

    /// Starts no more rounds and waits up to `grace` for the running ones to finish.
    pub async fn stop(&self, grace: Duration) {
        self.stop.send_replace(true);
        let handles: Vec<_> = std::mem::take(&mut *self.running.lock().unwrap_or_else(PoisonError::into_inner));
        let all = async {
            for handle in handles {
                handle.await.ok();
            }
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(?grace, "background jobs did not finish in time; stopping anyway");
        }
    }
}

/// How far each job is behind: seconds since the oldest work it should have done was due
/// (0 when nothing is overdue), read from the database at scrape time.
pub async fn lag(db: &DatabaseConnection) -> Result<Vec<(&'static str, f64)>, sea_orm::DbErr> {
    use entity::{content_item, news_source, webhook_delivery};
    async fn oldest<E: EntityTrait>(db: &DatabaseConnection, query: sea_orm::Select<E>, column: impl ColumnTrait) -> Result<Option<chrono::DateTime<chrono::Utc>>, sea_orm::DbErr> {
        query.select_only().expr(sea_orm::sea_query::ExprTrait::min(column.into_expr())).into_tuple::<Option<chrono::DateTime<chrono::Utc>>>().one(db).await.map(Option::flatten)
    }
    let now = crate::clock::now();
    let lag = |due: Option<chrono::DateTime<chrono::Utc>>| due.map_or(0.0, |due| ((now - due).num_milliseconds().max(0) as f64) / 1000.0);
    Ok(vec![
        ("webhooks", lag(oldest(db, webhook_delivery::Entity::find().filter(webhook_delivery::Column::State.eq("pending")), webhook_delivery::Column::NextAttemptAt).await?)),
        ("news", lag(oldest(db, news_source::Entity::find().filter(news_source::Column::Active.eq(true)), news_source::Column::NextPollAt).await?)),
        ("scheduler", lag(oldest(db, content_item::Entity::find().filter(content_item::Column::Status.eq("scheduled")), content_item::Column::ScheduledAt).await?)),
    ])
}
