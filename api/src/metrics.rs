//! Prometheus metrics: the process-wide recorder, the HTTP middleware that times every request
//! by route template, and the names jobs and the database record under. `/metrics` renders them
//! together with the figures read at scrape time (pool, job lag).

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Histogram buckets in seconds, from a cached read to a slow feed.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The recorder of this process, installed by the first caller (several apps in one process, as
/// in tests, share it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder.set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS).unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics shows only this app's own figures");
        }
        handle
    })
}

/// Drains histogram samples into their buckets every five seconds: the exporter keeps raw
/// samples until then, and memory must not grow between scrapes (or without any). One task per
/// process, on the runtime of the first app.
pub fn start_upkeep() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        tokio::spawn(async {
            let mut ticker = tokio::time::interval(Duration::from_secs(5));
            loop {
                ticker.tick().await;
                handle().run_upkeep();
            }
        });
    });
}

/// Counts and times every request by method, route template (never the raw path, which would
/// make a series per item) and status; `304`s also count as conditional cache hits.
pub async fn record_requests(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let began = std::time::Instant::now();
    let method = req.method().as_str().to_owned();
    let response = next.call(req).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    metrics::counter!("ou_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("ou_http_request_duration_seconds", "method" => method, "route" => route).record(began.elapsed().as_secs_f64());
    if status == 304 {
        cache_hit("conditional");
    }
    Ok(response)
}

/// A read answered without building it again (`conditional`: a `304`; `response`: from the
/// response cache).
pub fn cache_hit(cache: &'static str) {
    metrics::counter!("ou_cache_hits_total", "cache" => cache).increment(1);
}

/// One SQL statement and how long it took.
pub fn statement(elapsed: Duration, failed: bool) {
    metrics::histogram!("ou_db_statement_duration_seconds", "outcome" => if failed { "error" } else { "ok" }).record(elapsed.as_secs_f64());
}

/// One round of a background job: `items` handled, or `None` when it failed.
pub fn job_round(job: &'static str, elapsed: Duration, items: Option<usize>) {
    metrics::counter!("ou_job_runs_total", "job" => job).increment(1);
    metrics::histogram!("ou_job_round_duration_seconds", "job" => job).record(elapsed.as_secs_f64());
    match items {
        Some(items) => metrics::counter!("ou_job_items_total", "job" => job).increment(items as u64),
        None => metrics::counter!("ou_job_failures_total", "job" => job).increment(1),
    }
    metrics::gauge!("ou_job_last_run_timestamp_seconds", "job" => job).set(chrono::Utc::now().timestamp() as f64);
}
