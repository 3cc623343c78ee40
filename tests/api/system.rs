//! Health, readiness, metrics, the OpenAPI document and the bundled docs UI.

use crate::helpers::TestApp;

async fn health_and_readiness(app: TestApp) {
    let health = app.get("/healthz").await;
    assert_eq!((health.status, health.json()["status"].as_str()), (200, Some("ok")));
    let ready = app.get("/readyz").await;
    assert_eq!((ready.status, ready.json()["status"].as_str()), (200, Some("ready")));
    let metrics = String::from_utf8(app.get("/metrics").await.body).unwrap();
    assert!(metrics.contains("# TYPE ou_db_statements_total counter"));
    assert!(app.statements().await > 0);
}

async fn openapi_is_served_and_current(app: TestApp) {
    let served = app.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    let served = served.json();
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap(),
    )
    .unwrap();
    assert!(served == committed, "docs/openapi.json is stale: run `cargo run -- export-schema`");
    for path in [
        "/api/v1/essays", "/api/v1/essays/{id_or_slug}", "/api/v1/analyses", "/api/v1/blog-posts",
        "/api/v1/news-links", "/api/v1/content", "/api/v1/blogs", "/api/v1/editors", "/api/v1/sectors",
        "/api/v1/tags", "/api/v1/questions", "/healthz", "/readyz",
    ] {
        assert!(served["paths"][path]["get"].is_object(), "{path} is documented");
    }
}

async fn docs_ui_works_offline(app: TestApp) {
    let redirect = app.get("/docs").await;
    assert!(matches!(redirect.status, 301 | 308));
    let page = app.get("/docs/").await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    assert!(!html.contains("https://"), "the docs page loads nothing from the internet");
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/swagger-initializer.js"] {
        let reply = app.get(asset).await;
        assert_eq!(reply.status, 200, "{asset}");
        assert!(!reply.body.is_empty());
    }
    let init = String::from_utf8(app.get("/docs/swagger-initializer.js").await.body).unwrap();
    assert!(init.contains("/openapi.json"));
}

crate::on_both_databases!(health_and_readiness, openapi_is_served_and_current, docs_ui_works_offline);
