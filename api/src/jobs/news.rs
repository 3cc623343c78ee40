//! News polling: every node looks for due news sources; a lease lets one node poll a source at
//! a time, and a dead node's lease expires for another to take over.

use std::time::Duration;

use crate::services::news::poll::Poller;

/// Polls due sources every `interval` until the process ends.
pub fn spawn(poller: Poller, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match poller.poll_due().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(polled = n, "news sources polled"),
                Err(error) => tracing::warn!(?error, "news polling failed; retrying next round"),
            }
        }
    });
}
