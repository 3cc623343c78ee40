//! HTTP caching (ETag, If-None-Match, Cache-Control) and CORS for browser clients.

use crate::helpers::TestApp;

async fn etags_answer_304_when_unchanged(app: TestApp) {
    app.seed_demo().await;
    for path in ["/api/v1/essays?limit=3", "/api/v1/essays/the-ground-has-shifted", "/api/v1/sectors"] {
        let first = app.get(path).await;
        assert_eq!(first.status, 200);
        let etag = first.header("etag").expect("an ETag");
        assert!(etag.starts_with('"') && etag.ends_with('"'));
        assert_eq!(first.header("cache-control").unwrap(), "public, max-age=60");

        let again = app.get_with(path, &[("If-None-Match", &etag)]).await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag").unwrap(), etag);

        let weak = app.get_with(path, &[("If-None-Match", &format!("\"other\", W/{etag}"))]).await;
        assert_eq!(weak.status, 304);

        let stale = app.get_with(path, &[("If-None-Match", "\"something-else\"")]).await;
        assert_eq!(stale.status, 200);
        assert_eq!(stale.body, first.body);
    }
    let a = app.get("/api/v1/essays?limit=3").await.header("etag");
    let b = app.get("/api/v1/essays?limit=4").await.header("etag");
    assert_ne!(a, b);
    let problem = app.get("/api/v1/essays?limit=500").await;
    assert_eq!(problem.header("cache-control").unwrap(), "no-store");
}

async fn cors_lets_browser_admin_uis_read_the_headers(app: TestApp) {
    app.seed_demo().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/v1/essays", app.address))
        .header("Origin", "https://admin.example.org")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization, range, if-none-match, x-api-key, if-match, content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    for header in ["authorization", "range", "if-none-match", "x-api-key", "if-match", "content-type"] {
        assert!(allowed.contains(header), "{header} not allowed: {allowed}");
    }
    let reply = app.get_with("/api/v1/essays", &[("Origin", "https://admin.example.org")]).await;
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some("*"));
    let exposed = reply.header("access-control-expose-headers").unwrap().to_lowercase();
    for header in ["x-total-count", "content-range", "link", "etag"] {
        assert!(exposed.contains(header), "{header} not exposed: {exposed}");
    }
}

crate::on_both_databases!(etags_answer_304_when_unchanged, cors_lets_browser_admin_uis_read_the_headers);
