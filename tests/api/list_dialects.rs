//! The three list dialects (native, json-server, simple-rest) and the pagination headers.

use std::collections::HashSet;

use api::listing::encode_cursor;

use crate::helpers::{Reply, TestApp};

/// The `Link` header as rel → URL (relative to the server).
fn links(reply: &Reply, app: &TestApp) -> Vec<(String, String)> {
    let header = reply.header("link").expect("a Link header");
    header
        .split(", <")
        .map(|part| {
            let part = part.trim_start_matches('<');
            let (url, rel) = part.split_once(">; rel=\"").unwrap();
            (rel.trim_end_matches('"').to_owned(), url.trim_start_matches(&app.address).to_owned())
        })
        .collect()
}

fn rels(reply: &Reply, app: &TestApp) -> Vec<String> {
    links(reply, app).into_iter().map(|(rel, _)| rel).collect()
}

async fn every_dialect_gives_the_same_page(app: TestApp) {
    app.seed_demo().await;
    let native = app.get("/api/v1/content?limit=4&offset=3&sort=-published_at,title&status=published").await;
    let json_server = app.get("/api/v1/content?_start=3&_end=7&_sort=published_at,title&_order=DESC,asc&status=published").await;
    let json_pages = app.get("/api/v1/content?_page=2&_limit=4&_sort=published_at,title&_order=desc,asc").await;
    let simple_rest = app
        .get("/api/v1/content?range=%5B3%2C6%5D&sort=%5B%22published_at%22%2C%22DESC%22%5D&filter=%7B%22status%22%3A%22published%22%7D")
        .await;
    let header = app.get_with("/api/v1/content?sort=-published_at", &[("Range", "content=3-6")]).await;
    assert_eq!(native.ids().len(), 4);
    for other in [&json_server, &simple_rest, &header] {
        assert_eq!(other.status, 200);
        assert_eq!(other.ids(), native.ids());
        assert_eq!(other.total(), native.total());
        assert_eq!(other.header("content-range"), native.header("content-range"));
    }
    // _page=2 of 4 starts at 4: one item further than the others.
    assert_eq!(json_pages.ids()[..3], native.ids()[1..]);
    let total = native.total();
    assert_eq!(native.header("content-range").unwrap(), format!("content 3-6/{total}"));

    // Filters in every dialect.
    let labor_native = app.get("/api/v1/essays?sector=labor&title_like=a").await;
    let labor_simple = app.get("/api/v1/essays?filter=%7B%22sector%22%3A%22labor%22%2C%22title_like%22%3A%22a%22%7D").await;
    assert_eq!(labor_native.ids(), labor_simple.ids());
    let ids = app.get("/api/v1/essays?limit=3").await.ids();
    let many_json = app.get(&format!("/api/v1/essays?id={}&id={}&id={}", ids[0], ids[1], ids[2])).await;
    let many_simple = app
        .get(&format!("/api/v1/essays?filter=%7B%22id%22%3A%5B%22{}%22%2C%22{}%22%2C%22{}%22%5D%7D", ids[0], ids[1], ids[2]))
        .await;
    assert_eq!(many_json.ids(), ids);
    assert_eq!(many_simple.ids(), ids);
}

async fn pagination_headers_at_first_middle_and_last_page(app: TestApp) {
    app.seed_demo().await;
    let total = app.get("/api/v1/content").await.total();
    assert!(total > 10, "enough published items for three pages");
    let limit = 5;
    let last_offset = (total - 1) / limit * limit;

    let first = app.get(&format!("/api/v1/content?limit={limit}")).await;
    assert_eq!(first.header("content-range").unwrap(), format!("content 0-4/{total}"));
    assert_eq!(rels(&first, &app), ["first", "next", "last"]);

    let middle = app.get(&format!("/api/v1/content?limit={limit}&offset=5")).await;
    assert_eq!(middle.header("content-range").unwrap(), format!("content 5-9/{total}"));
    assert_eq!(rels(&middle, &app), ["first", "prev", "next", "last"]);

    let last = app.get(&format!("/api/v1/content?limit={limit}&offset={last_offset}")).await;
    assert_eq!(last.header("content-range").unwrap(), format!("content {last_offset}-{}/{total}", total - 1));
    assert_eq!(rels(&last, &app), ["first", "prev", "last"]);
    let last_link = links(&first, &app).into_iter().find(|(rel, _)| rel == "last").unwrap().1;
    assert_eq!(app.get(&last_link).await.ids(), last.ids());

    // Following `next` visits every item once, in every dialect, keeping the other parameters.
    for start in [
        format!("/api/v1/content?limit={limit}&sort=title"),
        format!("/api/v1/content?cursor={}&limit={limit}&sort=title", encode_cursor(0)),
        format!("/api/v1/content?_start=0&_end={limit}&_sort=title"),
        format!("/api/v1/content?range=%5B0%2C{}%5D&sort=%5B%22title%22%2C%22ASC%22%5D", limit - 1),
    ] {
        let mut seen = Vec::new();
        let mut next = Some(start.clone());
        while let Some(path) = next {
            let page = app.get(&path).await;
            assert_eq!(page.status, 200, "{path}");
            seen.extend(page.ids());
            next = links(&page, &app).into_iter().find(|(rel, _)| rel == "next").map(|(_, url)| url);
        }
        assert_eq!(seen.len() as u64, total, "{start}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len() as u64, total, "{start}");
    }

    let beyond = app.get(&format!("/api/v1/content?limit={limit}&offset={}", total + 10)).await;
    assert_eq!(beyond.status, 200);
    let prev = links(&beyond, &app).into_iter().find(|(rel, _)| rel == "prev").unwrap().1;
    assert_eq!(app.get(&prev).await.ids(), last.ids(), "prev of a page past the end is the last page");
    // Links use the Host header, never client-supplied forwarding headers.
    let forwarded = app.get_with("/api/v1/content", &[("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "https")]).await;
    assert!(!forwarded.header("link").unwrap().contains("evil.example"));
    assert!(beyond.ids().is_empty());
    assert_eq!(beyond.header("content-range").unwrap(), format!("content */{total}"));

    let empty = app.get("/api/v1/essays?status=draft").await;
    assert_eq!(empty.header("content-range").unwrap(), "essays */0");
    assert_eq!(empty.total(), 0);
}

async fn cursors_walk_the_list(app: TestApp) {
    app.seed_demo().await;
    // An empty cursor starts a cursor walk at the beginning.
    let first = app.get("/api/v1/essays?limit=2&cursor=").await;
    assert_eq!(first.ids(), app.get("/api/v1/essays?limit=2").await.ids());
    app.get("/api/v1/essays?limit=2&cursor=bm9wZQ").await.assert_problem(400);
    let offset_page = app.get("/api/v1/essays?limit=2&offset=2").await;
    let start = app.get(&format!("/api/v1/essays?limit=2&cursor={}", encode_cursor(0))).await;
    assert!(links(&start, &app).iter().all(|(_, url)| url.contains("cursor=") && !url.contains("offset=")));
    let next = links(&start, &app).into_iter().find(|(rel, _)| rel == "next").unwrap().1;
    assert_eq!(app.get(&next).await.ids(), offset_page.ids());
}

crate::on_both_databases!(
    every_dialect_gives_the_same_page,
    pagination_headers_at_first_middle_and_last_page,
    cursors_walk_the_list,
);
