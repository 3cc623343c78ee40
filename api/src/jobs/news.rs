//! News polling: every node looks for due news sources; a lease lets one node poll a source at
//! a time, and a dead node's lease expires for another to take over.

use std::time::Duration;

use crate::services::news::poll::Poller;

/// Polls due sources every `interval` until the jobs stop.
pub fn spawn(jobs: &super::Jobs, poller: Poller, interval: Duration) {
    jobs.every("news", Duration::ZERO, interval, move || {
        let poller = poller.clone();
        async move { poller.poll_due().await }
    });
}
