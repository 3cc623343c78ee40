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
