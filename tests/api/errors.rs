//! Bad input, tried as a new user would: every malformed request is a problem+json 4xx.

use crate::helpers::TestApp;

async fn malformed_requests_get_problem_documents(app: TestApp) {
    app.seed_demo().await;
    let cases: &[(&str, u16, &str)] = &[
        ("/nowhere", 404, "not_found"),
        ("/api/v1/unicorns", 404, "not_found"),
        ("/api/v1/essays/no-such-essay", 404, "not_found"),
        ("/api/v1/essays/0196f1c2-0000-7000-8000-000000000001", 404, "not_found"),
        ("/api/v1/essays/Not%20A%20Slug", 404, "not_found"),
        ("/api/v1/essays?limit=101", 400, "limit_too_large"),
        ("/api/v1/essays?limit=-5", 400, "invalid_parameter"),
        ("/api/v1/essays?limit=ten", 400, "invalid_parameter"),
        ("/api/v1/essays?offset=1e3", 400, "invalid_parameter"),
        ("/api/v1/essays?sort=password_hash", 400, "invalid_sort"),
        ("/api/v1/essays?sort=title;DROP%20TABLE%20content_items", 400, "invalid_sort"),
        ("/api/v1/essays?sort=%5B%22title%22%5D", 400, "invalid_parameter"),
        ("/api/v1/essays?_sort=title&_order=sideways", 400, "invalid_parameter"),
        ("/api/v1/essays?_page=0&_limit=5", 400, "invalid_parameter"),
        ("/api/v1/essays?range=%5B1%5D", 400, "invalid_parameter"),
        ("/api/v1/essays?colour=red", 400, "unknown_parameter"),
        ("/api/v1/essays?status=deleted", 400, "invalid_filter"),
        ("/api/v1/essays?status_like=pub", 400, "invalid_filter"),
        ("/api/v1/essays?id=42", 400, "invalid_filter"),
        ("/api/v1/essays?sector=%27%20OR%201%3D1%20--", 400, "invalid_filter"),
        ("/api/v1/essays?featured=maybe", 400, "invalid_filter"),
        ("/api/v1/essays?published_after=last%20week", 400, "invalid_filter"),
        ("/api/v1/essays?word_count_gte=many", 400, "invalid_filter"),
        ("/api/v1/essays?blog=the-shop-floor", 400, "unknown_parameter"),
        ("/api/v1/essays?include=password", 400, "invalid_include"),
        ("/api/v1/essays?fields=password_hash", 400, "invalid_fields"),
        ("/api/v1/essays?filter=%7Bbroken", 400, "invalid_parameter"),
        ("/api/v1/essays?filter=%7B%22nope%22%3A1%7D", 400, "unknown_parameter"),
        ("/api/v1/essays?filter=%7B%22title%22%3A%7B%22%24gt%22%3A1%7D%7D", 400, "invalid_filter"),
        ("/api/v1/essays?range=%5B0%2C500%5D", 400, "limit_too_large"),
        ("/api/v1/essays?cursor=bm90LWEtY3Vyc29y", 400, "invalid_parameter"),
        ("/api/v1/essays?q=%2A", 400, "invalid_search"),
        ("/api/v1/content?filter=%7B%22q%22%3A%22-strike%22%7D", 400, "invalid_search"),
        ("/api/v1/sectors?q=labor", 400, "search_unavailable"),
        ("/api/v1/essays/the-ground-has-shifted?limit=5", 400, "unknown_parameter"),
        ("/api/v1/sectors?include=content", 400, "invalid_include"),
    ];
    for (path, status, code) in cases {
        let reply = app.get(path).await;
        assert_eq!(&reply.assert_problem(*status), code, "{path}");
    }
    // Where admin-UI clients differ, the parser is lenient but never ambiguous.
    let count_only = app.get("/api/v1/essays?limit=0").await;
    assert_eq!((count_only.status, count_only.ids().len()), (200, 0));
    assert!(count_only.total() > 0);
    assert_eq!(app.get("/api/v1/essays?_start=5&_end=2").await.ids().len(), 0);
    assert_eq!(app.get("/api/v1/essays?_start=0&_end=2&limit=5").await.ids().len(), 2, "_start/_end wins");
    assert_eq!(app.get("/api/v1/essays?filter=%7B%22id%22%3A%5B%5D%7D").await.total(), 0, "getMany of nothing");
    assert_eq!(app.get("/api/v1/essays?sort=&status=&filter=").await.ids(), app.get("/api/v1/essays").await.ids());
    let over = app.get("/api/v1/essays?limit=1000").await.json();
    assert!(over["detail"].as_str().unwrap().contains("100"), "the error names the maximum");

    let range = app.get_with("/api/v1/essays", &[("Range", "essays=0-500")]).await;
    range.assert_problem(400);
    // Range units other than the collection's are ignored, as HTTP asks.
    let bytes = app.get_with("/api/v1/essays", &[("Range", "bytes=0-10")]).await;
    assert_eq!(bytes.status, 200);
    assert_eq!(app.get("/api/v1/essays?q=").await.status, 200, "an empty search is no search");

    for method in [reqwest::Method::PUT, reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let reply = app.request(method.clone(), "/api/v1/essays", Some("{}")).await;
        assert_eq!(reply.assert_problem(405), "method_not_allowed", "{method}");
        assert!(reply.header("allow").unwrap().contains("GET"));
    }
    let reply = app.request(reqwest::Method::POST, "/api/v1/content", Some("{}")).await;
    assert_eq!(reply.assert_problem(405), "method_not_allowed");
    let anonymous_write = app.request(reqwest::Method::POST, "/api/v1/essays", Some("{}")).await;
    assert_eq!(anonymous_write.assert_problem(401), "unauthenticated");
    let options = app.request(reqwest::Method::OPTIONS, "/api/v1/essays", None).await;
    assert_eq!(options.status, 204);
    assert!(options.header("allow").unwrap().contains("GET"));
    for path in ["/healthz", "/readyz", "/api/v1/essays", "/api/v1/sectors/labor"] {
        assert_eq!(app.request(reqwest::Method::HEAD, path, None).await.status, 200, "HEAD {path}");
    }

    // SQL-looking text in a free-text filter is just text: no match, no error.
    let injection = app.get("/api/v1/essays?title_like=%27%20OR%20%271%27%3D%271").await;
    assert_eq!((injection.status, injection.total()), (200, 0));
    let still_there = app.get("/api/v1/essays").await;
    assert!(still_there.total() > 0);
}

crate::on_both_databases!(malformed_requests_get_problem_documents);
