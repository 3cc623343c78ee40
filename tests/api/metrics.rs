//! `/metrics` in the Prometheus text format: requests by route template, latency histograms,
//! the pool, statements, jobs and cache hits, all parseable.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// One sample: metric name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Parses the text exposition format strictly: every sample belongs to a declared family, label
/// values are quoted, values are numbers.
fn parse(text: &str) -> (HashMap<String, String>, Vec<Sample>) {
    let mut types = HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "{line}");
            assert!(types.insert(name.to_owned(), kind.to_owned()).is_none(), "family declared twice: {name}");
            continue;
        }
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("not a number: {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("labels not closed: {line}"));
                let mut labels = HashMap::new();
                let mut remaining = body;
                while !remaining.is_empty() {
                    let (key, after) = remaining.split_once("=\"").unwrap_or_else(|| panic!("label without a quoted value: {line}"));
                    let end = after.find('"').unwrap_or_else(|| panic!("unterminated label value: {line}"));
                    labels.insert(key.to_owned(), after[..end].to_owned());
                    remaining = after[end + 1..].trim_start_matches(',');
                }
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), HashMap::new()),
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{line}");
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).filter(|f| types.contains_key(*f)).unwrap_or(&name);
        assert!(types.contains_key(family), "a sample of an undeclared family: {line}");
        samples.push(Sample { name, labels, value });
    }
    (types, samples)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
        .reduce(|a, b| a + b)
}

async fn the_metrics_tell_what_happened(app: TestApp) {
    let admin = app.admin().await;
    let essay = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Counted", "body": "x"})).await;
    assert_eq!(essay.status, 201);
    let (id, slug) = (essay.json()["id"].as_str().unwrap().to_owned(), essay.json()["slug"].as_str().unwrap().to_owned());
    assert_eq!(app.post_as(&admin, &format!("/api/v1/essays/{id}/publish"), &json!({"version": 1})).await.status, 200);
    app.get("/api/v1/essays").await;
    let etag = app.get(&format!("/api/v1/essays/{slug}")).await.header("etag");
    let cached = app.get_with(&format!("/api/v1/essays/{slug}"), &[("if-none-match", etag.as_deref().unwrap_or("none"))]).await;
    assert_eq!(cached.status, 304);
    app.get("/api/v1/no-such-thing").await;
    let scraped = app.get("/metrics").await;
    assert_eq!(scraped.status, 200);
    assert!(scraped.header("content-type").unwrap().starts_with("text/plain"));
    let (types, samples) = parse(&String::from_utf8(scraped.body).unwrap());
    assert_eq!(types["ou_http_requests_total"], "counter");
    assert_eq!(types["ou_http_request_duration_seconds"], "histogram");
    assert_eq!(types["ou_db_statement_duration_seconds"], "histogram");
    // By route template, so an item's slug never becomes a series of its own.
    assert!(value(&samples, "ou_http_requests_total", &[("method", "GET"), ("route", "/api/v1/essays/{id_or_slug}"), ("status", "200")]).unwrap() >= 1.0);
    assert!(value(&samples, "ou_http_requests_total", &[("method", "POST"), ("route", "/api/v1/essays"), ("status", "201")]).unwrap() >= 1.0);
    assert!(value(&samples, "ou_http_requests_total", &[("route", "unmatched"), ("status", "404")]).unwrap() >= 1.0);
    assert!(!samples.iter().any(|s| s.labels.get("route").is_some_and(|r| r.contains(&slug))), "no raw paths");
    assert!(value(&samples, "ou_http_request_duration_seconds_bucket", &[("route", "/api/v1/essays"), ("le", "+Inf")]).unwrap() >= 1.0);
    assert!(value(&samples, "ou_cache_hits_total", &[("cache", "conditional")]).unwrap() >= 1.0);
    assert!(value(&samples, "ou_db_statements_total", &[]).unwrap() > 0.0);
    assert!(value(&samples, "ou_db_statement_duration_seconds_count", &[]).unwrap() > 0.0);
    assert!(value(&samples, "ou_db_pool_connections", &[("state", "idle")]).is_some());
    assert!(value(&samples, "ou_db_pool_connections", &[("state", "in_use")]).is_some());
    for job in ["webhooks", "news", "scheduler"] {
        assert_eq!(value(&samples, "ou_job_lag_seconds", &[("job", job)]), Some(0.0), "{job}: nothing is overdue");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_rounds_and_lag_are_measured() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.scheduler_interval_seconds = 1).await.unwrap();
    let admin = app.admin().await;
    // Due in two seconds: the scheduler publishes it in one of its rounds.
    let due = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let essay = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Later", "body": "x"})).await.json();
    let scheduled = app.post_as(&admin, &format!("/api/v1/essays/{}/schedule", essay["id"].as_str().unwrap()), &json!({"version": 1, "at": due})).await;
    assert_eq!(scheduled.status, 200, "{}", String::from_utf8_lossy(&scheduled.body));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, samples) = parse(&String::from_utf8(app.get("/metrics").await.body).unwrap());
        if value(&samples, "ou_job_items_total", &[("job", "scheduler")]).unwrap_or(0.0) >= 1.0 {
            assert!(value(&samples, "ou_job_runs_total", &[("job", "scheduler")]).unwrap() >= 1.0);
            assert!(value(&samples, "ou_job_round_duration_seconds_count", &[("job", "scheduler")]).unwrap() >= 1.0);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the scheduler's round was never counted");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

crate::on_both_databases!(the_metrics_tell_what_happened);
