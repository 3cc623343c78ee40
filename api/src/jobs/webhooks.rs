//! Webhook delivery, on every node: new changes fan out to deliveries, due deliveries are
//! claimed with a lease (so no two nodes send one at once) and sent through the guarded
//! client, signed anew on every attempt, and each outcome is recorded.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::outbound::{Limits, Outbound};
use crate::services::webhooks::delivery::{self, Attempt, Claimed, Outcome, RetryPolicy};
use crate::services::webhooks::{message_id, signature};

/// Deliveries sent at once per round.
const BATCH: u64 = 16;
/// The response body kept in the delivery log.
const EXCERPT_BYTES: usize = 1024;
/// Longest `Retry-After` honoured.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(86_400);

/// The limits of a delivery request: 15 seconds, no redirects (a 3xx is a failure).
pub const DELIVERY_LIMITS: Limits = Limits { timeout: Duration::from_secs(15), redirects: 0, max_body: EXCERPT_BYTES };

/// What delivering needs.
#[derive(Clone)]
pub struct Deliverer {
    pub db: DatabaseConnection,
    pub outbound: Outbound,
    pub policy: RetryPolicy,
}

/// One round: fans out new changes, then sends what is due. Returns how many were sent.
pub async fn deliver_due(deliverer: &Deliverer) -> Result<usize, AppError> {
    delivery::fan_out(&deliverer.db).await?;
    let claimed = delivery::claim(&deliverer.db, BATCH).await?;
    let count = claimed.len();
    let mut sending = tokio::task::JoinSet::new();
    for held in claimed {
        let deliverer = deliverer.clone();
        sending.spawn(async move {
            let attempt = send(&deliverer.outbound, &held).await;
            delivery::complete(&deliverer.db, &held, attempt, &deliverer.policy).await
        });
    }
    while let Some(done) = sending.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(?error, "recording a webhook attempt failed; the lease will run out and it is sent again"),
            Err(error) => tracing::warn!(?error, "a webhook delivery task failed"),
        }
    }
    Ok(count)
}

/// Sends one delivery: Standard Webhooks headers, signed with every secret in force.
async fn send(outbound: &Outbound, held: &Claimed) -> Attempt {
    let id = message_id(held.delivery.event_id);
    let timestamp = chrono::Utc::now().timestamp();
    let body = &held.delivery.payload;
    let secrets: Vec<&str> = held.secrets.iter().map(String::as_str).collect();
    let signed = match signature::header(&secrets, &id, timestamp, body) {
        Ok(signed) => signed,
        Err(error) => {
            let outcome = Outcome::Failed { status: None, error: format!("cannot sign: {error}"), retry_after: None };
            return Attempt { outcome, duration: Duration::ZERO, excerpt: None };
        }
    };
    let request = outbound
        .post(&held.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signed)
        .body(body.clone());
    let started = std::time::Instant::now();
    match outbound.send(request).await {
        Ok(answer) => {
            let excerpt = (!answer.body.is_empty()).then(|| String::from_utf8_lossy(&answer.body).into_owned());
            let outcome = match answer.status {
                200..=299 => Outcome::Delivered { status: answer.status },
                410 => Outcome::Gone,
                status => Outcome::Failed {
                    status: Some(status),
                    error: format!("the endpoint answered {status}"),
                    retry_after: answer
                        .headers
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(RETRY_AFTER_MAX)),
                },
            };
            Attempt { outcome, duration: answer.elapsed, excerpt }
        }
        Err(error) => Attempt { outcome: Outcome::Failed { status: None, error: error.to_string(), retry_after: None }, duration: started.elapsed(), excerpt: None },
    }
}

/// Runs [`deliver_due`] every `interval` until the jobs stop.
pub fn spawn(jobs: &super::Jobs, deliverer: Deliverer, interval: Duration) {
    jobs.every("webhooks", Duration::ZERO, interval, move || {
        let deliverer = deliverer.clone();
        async move { deliver_due(&deliverer).await }
    });
}
