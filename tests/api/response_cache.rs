//! The response cache of public reads: a repeated read costs one statement (the change log's
//! position), a write is seen at once on every node, private callers never share it, and its
//! memory stays within the setting.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, urlencode};

/// A value `/metrics` reports (0 when the series has no sample yet).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = String::from_utf8(app.get("/metrics").await.body).unwrap();
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' '))).map_or(0.0, |v| v.parse().unwrap())
}

/// Statements a GET costs, and its answer.
async fn costed(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u64, crate::helpers::Reply) {
    let before = app.statements().await;
    let reply = app.get_with(path, headers).await;
    (app.statements().await - before, reply)
}

const LIST: &str = "/api/v1/essays?limit=5&include=authors,sectors";
const GRAPHQL: &str = "/graphql?query=%7B%20essays(first%3A%205)%20%7B%20nodes%20%7B%20title%20authors%20%7B%20displayName%20%7D%20%7D%20%7D%20%7D";

async fn repeated_public_reads_skip_the_database(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "Site", "scope": "content"})).await.json()["secret"].as_str().unwrap().to_owned();
    for path in [LIST, "/api/v1/essays/the-ground-has-shifted", "/api/v1/sectors", GRAPHQL, "/feeds/all.json"] {
        let (first_cost, first) = costed(&app, path, &[]).await;
        assert_eq!(first.status, 200, "{path}");
        let (_, second) = costed(&app, path, &[]).await;
        assert_eq!(second.body, first.body, "{path}");
        let hits = metric(&app, "ou_cache_hits_total{cache=\"response\"}").await;
        let (cost, third) = costed(&app, path, &[]).await;
        assert_eq!(third.body, first.body, "{path}");
        assert_eq!(cost, 1, "{path}: a kept answer costs the position read only (the first cost {first_cost})");
        // The recorder is the process's, shared by the other tests' servers: at least this hit.
        assert!(metric(&app, "ou_cache_hits_total{cache=\"response\"}").await > hits, "{path}: the hit is counted");
        for name in ["etag", "cache-control", "content-type"] {
            assert_eq!(third.header(name), first.header(name), "{path}: {name}");
        }
        let etag = third.header("etag").expect("an ETag");
        let (cost, revalidated) = costed(&app, path, &[("If-None-Match", &etag)]).await;
        assert_eq!((revalidated.status, cost), (304, 1), "{path}: a 304 from the cache");
        assert!(revalidated.body.is_empty());
        let (cost, other) = costed(&app, path, &[("If-None-Match", "\"another\"")]).await;
        assert_eq!((other.status, cost), (200, 1), "{path}");
        // A content key sees what everyone sees, so it is given the same kept answer; its key
        // is still checked on every request.
        let (cost, keyed) = costed(&app, path, &[("X-Api-Key", &key)]).await;
        assert_eq!(keyed.body, first.body, "{path}");
        assert!(cost <= 3, "{path}: a content key's read costs its key (found, last use noted) and the position ({cost})");
    }
    // A client that only ever revalidates still has its answer kept.
    let revalidating = "/api/v1/tags?limit=10";
    // The same answer under another URL gives the tag without a plain read of this one.
    let first = app.get("/api/v1/tags?limit=10&offset=0").await.header("etag").unwrap();
    for _ in 0..2 {
        assert_eq!(app.get_with(revalidating, &[("If-None-Match", &first)]).await.status, 304);
    }
    let (cost, _) = costed(&app, revalidating, &[("If-None-Match", &first)]).await;
    assert_eq!(cost, 1, "revalidations are answered from the cache");
    // Public GraphQL answers tell shared caches that credentials change them.
    assert!(app.get(GRAPHQL).await.header("vary").unwrap().contains("Authorization"));
    // A range asks for another answer.
    let ranged = app.get_with("/api/v1/essays", &[("Range", "essays=0-1")]).await;
    let ranged_again = app.get_with("/api/v1/essays", &[("Range", "essays=0-1")]).await;
    assert_eq!(ranged_again.ids().len(), 2);
    assert_eq!(ranged.body, ranged_again.body);
    assert_ne!(app.get("/api/v1/essays").await.ids().len(), 2);
    // Bad requests and private answers are never kept.
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/essays?limit=500").await.status, 400);
    }
    assert!(metric(&app, "ou_response_cache_entries").await >= 5.0);
}

/// The essay's id and version, as an admin reads it.
async fn essay(app: &TestApp, admin: &str, slug: &str) -> Value {
    app.get_as(admin, &format!("/api/v1/essays/{slug}")).await.json()
}

async fn no_reader_sees_an_answer_older_than_an_acknowledged_write(app: TestApp) {
    app.seed_demo().await;
    let other = app.another_node().await;
    let admin = app.admin().await;
    let slug = "the-ground-has-shifted";
    let item_path = format!("/api/v1/essays/{slug}");
    let list_path = "/api/v1/essays?limit=100&fields=title";
    let graphql_path = format!("/graphql?query={}", urlencode(&format!("{{ essay(slug: \"{slug}\") {{ title }} }}")));
    for round in 0..4 {
        // Both nodes keep the current answers.
        for node in [&app, &other] {
            for path in [item_path.as_str(), list_path, graphql_path.as_str()] {
                node.get(path).await;
                node.get(path).await;
            }
        }
        let current = essay(&app, &admin, slug).await;
        let title = format!("The Ground Has Shifted, take {round}");
        let writer = if round % 2 == 0 { &app } else { &other };
        let path = format!("/api/v1/essays/{}", current["id"].as_str().unwrap());
        let body = json!({"version": current["version"], "title": title}).to_string();
        assert_eq!(writer.send(Method::PATCH, &path, Some(&admin), Some(&body), &[]).await.status, 200);
        // Acknowledged: every node answers with the new title, at once.
        for node in [&app, &other] {
            assert_eq!(node.get(&item_path).await.json()["title"], title, "round {round}: the item");
            let listed = node.get(list_path).await.json();
            assert!(listed.as_array().unwrap().iter().any(|e| e["title"] == title), "round {round}: the list");
            assert_eq!(node.get(&graphql_path).await.json()["data"]["essay"]["title"], title, "round {round}: GraphQL");
        }
    }
    // A catalog write reaches the embeds of kept answers too.
    let sectors_path = "/api/v1/essays?limit=100&fields=title&include=sectors";
    other.get(sectors_path).await;
    other.get(sectors_path).await;
    let sector = app.get("/api/v1/sectors?limit=1").await.json()[0].clone();
    let path = format!("/api/v1/sectors/{}", sector["id"].as_str().unwrap());
    let body = json!({"version": sector["version"], "name": "Renamed Sector"}).to_string();
    assert_eq!(app.send(Method::PATCH, &path, Some(&admin), Some(&body), &[]).await.status, 200);
    let embedded = other.get(sectors_path).await.body;
    assert!(String::from_utf8(embedded).unwrap().contains("Renamed Sector"));
}

async fn private_callers_never_share_the_public_cache(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let drafts = "/api/v1/content?status=draft&fields=title";
    for _ in 0..3 {
        assert_eq!(app.get(drafts).await.total(), 0, "the public sees no drafts");
    }
    let (cost, private) = {
        let before = app.statements().await;
        let reply = app.get_as(&admin, drafts).await;
        (app.statements().await - before, reply)
    };
    assert!(private.total() > 0, "the admin sees the drafts");
    assert!(cost > 2, "an admin's read is made afresh ({cost} statements)");
    assert_eq!(private.header("cache-control").unwrap(), "private, no-store");
    assert_eq!(app.get(drafts).await.total(), 0, "and the public still sees none");
    // A revoked key is refused even where its answer is kept.
    let key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "Site", "scope": "content"})).await.json();
    let secret = key["secret"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(app.get_with(LIST, &[("X-Api-Key", secret)]).await.status, 200);
    }
    let revoked = app.send(Method::DELETE, &format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap()), Some(&admin), None, &[]).await;
    assert!(revoked.status < 300);
    assert_eq!(app.get_with(LIST, &[("X-Api-Key", secret)]).await.status, 401);
    // A preview key sees drafts: its answers are its own.
    let preview = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "Preview", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();
    let previewed = app.get_with(drafts, &[("X-Api-Key", &preview)]).await;
    assert!(previewed.total() > 0);
    assert_eq!(app.get(drafts).await.total(), 0);
}

async fn memory_stays_within_the_setting(app: TestApp) {
    app.seed_demo().await;
    let small = app.another_node_with(|s| s.response_cache_bytes = 16 * 1024).await;
    for round in 0..2 {
        for offset in 0..40 {
            let reply = small.get(&format!("/api/v1/content?limit=3&offset={offset}&include=authors,sectors,tags")).await;
            assert_eq!(reply.status, 200, "round {round}");
        }
    }
    let kept = metric(&small, "ou_response_cache_bytes").await;
    assert!(kept > 0.0 && kept <= 16.0 * 1024.0, "{kept} bytes kept");
    let off = app.another_node_with(|s| s.response_cache_bytes = 0).await;
    for _ in 0..3 {
        off.get(LIST).await;
    }
    assert_eq!(metric(&off, "ou_response_cache_entries").await, 0.0);
    let (cost, _) = costed(&off, LIST, &[]).await;
    assert!(cost > 1, "with the cache off every read is made ({cost})");
}

crate::on_both_databases!(
    repeated_public_reads_skip_the_database,
    no_reader_sees_an_answer_older_than_an_acknowledged_write,
    private_callers_never_share_the_public_cache,
    memory_stays_within_the_setting,
);
