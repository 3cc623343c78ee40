//! Health, readiness, metrics, the OpenAPI document and the bundled docs UI.

use serde_json::json;

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

/// Every `pattern` and `example` in the document, with where it is (a JSON pointer).
fn walk<'a>(value: &'a serde_json::Value, at: String, found: &mut Vec<(String, &'a str, &'a serde_json::Value)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                if key == "pattern" || key == "example" {
                    found.push((at.clone(), key.as_str(), inner));
                }
                walk(inner, format!("{at}/{key}"), found);
            }
        }
        serde_json::Value::Array(items) => items.iter().enumerate().for_each(|(i, inner)| walk(inner, format!("{at}/{i}"), found)),
        _ => {}
    }
}

async fn openapi_tells_the_truth_about_sparse_reads_and_stays_light(app: TestApp) {
    app.seed_demo().await;
    let doc = app.get("/openapi.json").await.json();
    let sparse = app.get("/api/v1/sectors/labor?fields=slug,description,name").await.json();
    let keys: Vec<&str> = sparse.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(keys.contains(&"id") && !keys.contains(&"position"), "{keys:?}");
    let reference = doc["paths"]["/api/v1/sectors/{id_or_slug}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
    let schema = &doc["components"]["schemas"][reference.rsplit('/').next().unwrap()];
    assert_eq!(schema["required"], serde_json::json!(["id"]), "{reference}");
    for key in keys {
        assert!(schema["properties"][key].is_object(), "{key} is documented");
    }
    let list = &doc["paths"]["/api/v1/essays"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"];
    assert_eq!(list, "#/components/schemas/SparseContentRecord");
    let created = &doc["paths"]["/api/v1/essays"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(created, "#/components/schemas/ContentRecord", "writes answer with the whole record");

    // No patterns on parameters (Swagger UI generates a value for each when an operation opens,
    // which took half a minute on a list), and small examples everywhere.
    let mut found = Vec::new();
    walk(&doc, String::new(), &mut found);
    assert!(found.iter().any(|(_, key, _)| *key == "example"));
    for (at, key, value) in found {
        assert!(!(key == "pattern" && at.contains("/parameters/")), "a parameter has a pattern at {at}");
        let size = value.to_string().len();
        assert!(size <= 200, "{key} at {at} is {size} bytes");
    }
}

/// Answers schemathesis once found undocumented: each is given and documented for its operation.
async fn every_answer_found_is_documented(app: TestApp) {
    use reqwest::Method;
    app.seed_demo().await;
    let doc = app.get("/openapi.json").await.json();
    let admin = app.admin().await;
    let me = app.get_as(&admin, "/api/v1/me").await.json()["id"].as_str().unwrap().to_owned();
    let essay = app.get("/api/v1/essays?limit=1").await.json()[0].clone();
    let essay_id = essay["id"].as_str().unwrap().to_owned();
    let revision = uuid::Uuid::now_v7();
    let mut unversioned = essay.clone();
    unversioned.as_object_mut().unwrap().remove("version");
    let unversioned = unversioned.to_string();
    let nul_login = json!({"email": "a\u{0}b@example.org", "password": "whatever-it-is"}).to_string();
    let nul_title = json!({"title": "nul\u{0}title"}).to_string();
    let cases: Vec<(Method, String, &str, Option<&str>, Option<&str>, u16)> = vec![
        (Method::DELETE, format!("/api/v1/essays/{essay_id}?purge=null&purge=null"), "/api/v1/essays/{id}", Some(&admin), None, 400),
        (Method::DELETE, format!("/api/v1/news-links/{essay_id}?purge=true&x=1"), "/api/v1/news-links/{id}", None, None, 400),
        (Method::DELETE, format!("/api/v1/users/{me}"), "/api/v1/users/{id}", Some(&admin), None, 409),
        (Method::GET, "/api/v1/api-keys?sort=&x-unknown-property=42".into(), "/api/v1/api-keys", Some(&admin), None, 400),
        (Method::GET, "/api/v1/users?limit=-1&offset=-1".into(), "/api/v1/users", None, None, 400),
        (Method::GET, format!("/api/v1/revisions/{revision}/diff?against="), "/api/v1/revisions/{id}/diff", Some(&admin), None, 400),
        (Method::PATCH, format!("/api/v1/essays/{essay_id}"), "/api/v1/essays/{id}", Some(&admin), Some("{}"), 428),
        (Method::PUT, format!("/api/v1/essays/{essay_id}"), "/api/v1/essays/{id}", Some(&admin), Some(&unversioned), 428),
        (Method::POST, format!("/api/v1/essays/{essay_id}/unpublish"), "/api/v1/essays/{id}/{action}", Some(&admin), Some(r#"{"version": -372890}"#), 412),
        (Method::GET, "/api/v1/sync?token=forged".into(), "/api/v1/sync", None, None, 410),
        (Method::GET, "/api/v1/sync?initial=true&limit=0".into(), "/api/v1/sync", None, None, 400),
        (Method::POST, "/api/v1/webhooks".into(), "/api/v1/webhooks", Some(&admin), Some(r#"{"url": "http://127.0.0.1/"}"#), 422),
        // NUL characters, which PostgreSQL refuses, never reach the database.
        (Method::GET, "/api/v1/sectors?slug_gte=%00".into(), "/api/v1/sectors", None, None, 400),
        (Method::GET, "/api/v1/essays?title=a%00b".into(), "/api/v1/essays", None, None, 400),
        (Method::GET, "/api/v1/essays?filter=%7B%22title%22%3A%22a%5Cu0000b%22%7D".into(), "/api/v1/essays", None, None, 400),
        (Method::GET, "/api/v1/roles/a%00b".into(), "/api/v1/roles/{id_or_name}", Some(&admin), None, 400),
        (Method::GET, "/api/v1/users?email=a%00b".into(), "/api/v1/users", Some(&admin), None, 400),
        (Method::POST, "/api/v1/auth/login".into(), "/api/v1/auth/login", None, Some(&nul_login), 422),
        (Method::POST, "/api/v1/essays".into(), "/api/v1/essays", Some(&admin), Some(&nul_title), 422),
    ];
    for (method, path, template, token, body, status) in cases {
        let reply = app.send(method.clone(), &path, token, body, &[]).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", String::from_utf8_lossy(&reply.body));
        let documented = &doc["paths"][template][method.as_str().to_lowercase()]["responses"][status.to_string()];
        assert!(documented.is_object(), "{status} is documented for {method} {template}");
    }
    let etag = app.get("/api/v1/tags").await.header("etag").unwrap();
    assert_eq!(app.get_with("/api/v1/tags", &[("If-None-Match", &etag)]).await.status, 304);
    assert!(doc["paths"]["/api/v1/tags"]["get"]["responses"]["304"].is_object(), "304 is documented");
    let gql = json!({"query": "query($t: String!) { tags(filter: {nameContains: $t}) { totalCount } }", "variables": {"t": "a\u{0}b"}}).to_string();
    let refused = app.send(Method::POST, "/graphql", None, Some(&gql), &[]).await.json();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    assert_eq!(app.get("/api/v1/essays").await.total(), 5, "nothing was created");
}

/// The longest value a schema allows, in characters (as JSON for objects and arrays); `None` when
/// it has no bound.
fn longest(schema: &serde_json::Value, doc: &serde_json::Value) -> Option<usize> {
    if let Some(reference) = schema["$ref"].as_str() {
        return longest(&doc["components"]["schemas"][reference.rsplit('/').next()?], doc);
    }
    if let Some(choices) = schema["anyOf"].as_array() {
        return choices.iter().map(|choice| longest(choice, doc)).collect::<Option<Vec<_>>>()?.into_iter().max();
    }
    if let Some(values) = schema["enum"].as_array() {
        return values.iter().map(|v| v.to_string().len()).max();
    }
    let ty = schema["type"].as_str().or_else(|| schema["type"].as_array()?.iter().filter_map(|t| t.as_str()).find(|t| *t != "null"));
    match (ty?, schema["format"].as_str()) {
        ("string", Some("uuid")) => Some(36),
        ("string", Some("date-time")) => Some(40),
        ("string", _) => schema["maxLength"].as_u64().map(|n| n as usize),
        ("integer" | "number", _) => Some(24),
        ("boolean" | "null", _) => Some(5),
        ("array", _) => Some(schema["maxItems"].as_u64()? as usize * (longest(&schema["items"], doc)? + 3) + 2),
        ("object", _) => schema["properties"].as_object()?.iter().map(|(key, value)| Some(key.len() + 4 + longest(value, doc)?)).sum::<Option<usize>>().map(|n| n + 2),
        _ => None,
    }
}

/// Every query the document allows fits in a request line: past about 64 KiB the HTTP layer
/// refuses a request before the application can answer with a problem (schemathesis sends every
/// parameter at its longest at once).
async fn the_longest_documented_query_fits_in_a_request_line(app: TestApp) {
    let doc = app.get("/openapi.json").await.json();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let mut total = path.len();
            for param in operation["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query") {
                assert!(param.get("schema").is_some() != param.get("content").is_some(), "{method} {path}: {param} has one of schema and content");
                let schema = if param["schema"].is_object() { &param["schema"] } else { &param["content"]["application/json"]["schema"] };
                let value = longest(schema, &doc).unwrap_or_else(|| panic!("{method} {path}: `{}` has no longest value", param["name"]));
                total += param["name"].as_str().unwrap().len() + 2 + value;
            }
            assert!(total <= 32 * 1024, "{method} {path}: the longest query is {total} characters");
        }
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

crate::on_both_databases!(
    health_and_readiness,
    openapi_is_served_and_current,
    openapi_tells_the_truth_about_sparse_reads_and_stays_light,
    every_answer_found_is_documented,
    the_longest_documented_query_fits_in_a_request_line,
    docs_ui_works_offline,
);
