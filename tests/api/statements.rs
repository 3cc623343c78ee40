//! No N+1: the SQL statements behind a list do not depend on the page size.

use crate::fixtures::published_essays;
use crate::helpers::TestApp;

async fn statements_for(app: &TestApp, path: &str) -> (u64, usize) {
    let before = app.statements().await;
    let reply = app.get(path).await;
    assert_eq!(reply.status, 200, "{path}");
    let after = app.statements().await;
    (after - before, reply.ids().len())
}

async fn list_statements_do_not_grow_with_the_page(app: TestApp) {
    app.seed_demo().await;
    published_essays(&app.db, 110).await;
    // Enough blogs, each with a sector and bloggers, that an N+1 in blogs would show.
    let admin = app.admin().await;
    let bloggers = app.get("/api/v1/editors?limit=3").await.ids();
    let sector = app.get("/api/v1/sectors?limit=1").await.ids()[0].clone();
    for n in 0..8 {
        let blog = serde_json::json!({"title": format!("Counted blog {n}"), "sector_id": sector, "blogger_ids": bloggers});
        assert_eq!(app.post_as(&admin, "/api/v1/blogs", &blog).await.status, 201);
    }
    for (collection, include) in [
        ("essays", "authors,sectors,tags,question"),
        ("content", "authors,sectors,tags,blog,question"),
        ("editors", "sectors"),
        ("blogs", "sector,bloggers"),
    ] {
        // The public total is counted by the first page asked for and kept for the others
        // (until the next write), so each measured page finds it kept.
        app.get(&format!("/api/v1/{collection}?limit=1&include={include}")).await;
        let (small, small_len) = statements_for(&app, &format!("/api/v1/{collection}?limit=2&include={include}")).await;
        let (large, large_len) = statements_for(&app, &format!("/api/v1/{collection}?limit=100&include={include}")).await;
        assert!(large_len > small_len, "{collection}: the large page is larger");
        assert_eq!(small, large, "{collection}: {small} statements for {small_len} items, {large} for {large_len}");
        assert!(small <= 13, "{collection}: {small} statements");
    }
    let (five, _) = statements_for(&app, "/api/v1/essays?limit=5&include=authors,sectors,tags").await;
    let (hundred, n) = statements_for(&app, "/api/v1/essays?limit=100&include=authors,sectors,tags").await;
    assert_eq!(n, 100);
    assert_eq!(five, hundred);
}

crate::on_both_databases!(list_statements_do_not_grow_with_the_page);
