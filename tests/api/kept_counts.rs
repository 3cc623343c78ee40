//! Totals of public lists kept beside the change log's position: counted once while the log
//! stands still, exact after every acknowledged write on every node, and never given to a
//! signed-in caller.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

/// A value `/metrics` reports (0 when the series has no sample yet).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = String::from_utf8(app.get("/metrics").await.body).unwrap();
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' '))).map_or(0.0, |v| v.parse().unwrap())
}

const HITS: &str = "ou_cache_hits_total{cache=\"count\"}";

/// The public total of the essays, over REST (page `offset`) and over GraphQL.
async fn public_totals(node: &TestApp, offset: u64) -> (u64, u64) {
    let rest = node.get(&format!("/api/v1/essays?limit=2&offset={offset}&fields=title")).await;
    assert_eq!(rest.status, 200);
    let graphql = node.request(Method::POST, "/graphql", Some(&json!({"query": "{ essays(first: 2) { totalCount } }"}).to_string())).await;
    (rest.total(), graphql.json()["data"]["essays"]["totalCount"].as_u64().unwrap())
}

async fn totals_follow_every_acknowledged_write(app: TestApp) {
    app.seed_demo().await;
    // A node without the response cache, so that every read below is counted afresh or kept.
    let other = app.another_node_with(|s| s.response_cache_bytes = 0).await;
    let admin = app.admin().await;
    let (total, _) = public_totals(&other, 0).await;
    assert!(total > 2, "the demo has a few published essays");
    // Other pages of the same list share its count.
    let hits = metric(&other, HITS).await;
    for offset in 1..4 {
        assert_eq!(public_totals(&other, offset).await, (total, total), "page {offset}");
    }
    assert!(metric(&other, HITS).await >= hits + 6.0, "the pages' counts were kept");

    let mut expected = total;
    for round in 0..3 {
        let writer = if round % 2 == 0 { &app } else { &other };
        let essay = writer.post_as(&admin, "/api/v1/essays", &json!({"title": format!("Counted {round}")})).await.json();
        let id = essay["id"].as_str().unwrap().to_owned();
        // A draft changes no public total.
        for node in [&app, &other] {
            assert_eq!(public_totals(node, 0).await, (expected, expected), "round {round}: after the draft");
        }
        let published = writer.post_as(&admin, &format!("/api/v1/essays/{id}/publish"), &json!({"version": 1})).await;
        assert_eq!(published.status, 200, "round {round}");
        expected += 1;
        // Acknowledged: every node counts the new essay at once.
        for node in [&app, &other] {
            assert_eq!(public_totals(node, 0).await, (expected, expected), "round {round}: after publishing");
            assert_eq!(public_totals(node, 1).await, (expected, expected), "round {round}: another page");
        }
    }
    // Trashing takes one away, everywhere.
    let first = app.get_as(&admin, "/api/v1/essays?limit=1&status=published").await.json()[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/essays/{first}");
    let etag = app.get_as(&admin, &path).await.header("etag").unwrap();
    let trashed = app.send(Method::DELETE, &path, Some(&admin), None, &[("If-Match", etag.as_str())]).await;
    assert_eq!(trashed.status, 200, "{}", String::from_utf8_lossy(&trashed.body));
    expected -= 1;
    for node in [&app, &other] {
        assert_eq!(public_totals(node, 0).await, (expected, expected), "after trashing");
    }
    // A rejected write changes nothing.
    let refused = app.post_as(&admin, "/api/v1/essays", &json!({"title": ""})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(public_totals(&other, 0).await, (expected, expected));
    // A filtered list has its own total, kept the same way.
    let sector = app.get("/api/v1/sectors?limit=1").await.json()[0]["slug"].as_str().unwrap().to_owned();
    let filtered = format!("/api/v1/essays?sector={sector}&fields=title");
    let in_sector = other.get(&filtered).await.total();
    assert_eq!(other.get(&format!("{filtered}&offset=1")).await.total(), in_sector);
    assert!(in_sector <= expected);
}

async fn signed_in_callers_count_their_own_view(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let list = "/api/v1/content?limit=2&fields=title";
    let public = app.get(list).await.total();
    app.get(&format!("{list}&offset=1")).await;
    // The admin's view holds the drafts too, whatever the public's kept total says.
    let private = app.get_as(&admin, list).await.total();
    assert!(private > public, "admin {private}, public {public}");
    let draft = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Seen by the admin only"})).await;
    assert_eq!(draft.status, 201);
    assert_eq!(app.get_as(&admin, list).await.total(), private + 1);
    assert_eq!(app.get(&format!("{list}&offset=1")).await.total(), public);
}

crate::on_both_databases!(
    totals_follow_every_acknowledged_write,
    signed_in_callers_count_their_own_view,
);
