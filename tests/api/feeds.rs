//! Feeds from the outside: every listing in RSS 2.0, Atom 1.0 and JSON Feed 1.1, parsed by
//! feed-rs; published items only whatever the credentials; stable ids, links, authors,
//! categories and images; limits; exact validators and 304s.

use feed_rs::parser;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A word only the planted drafts contain.
const SECRET: &str = "zqxplanteddraftword";

async fn slug_of(app: &TestApp, collection: &str) -> String {
    app.get(&format!("/api/v1/{collection}?limit=1")).await.json()[0]["slug"].as_str().unwrap().to_owned()
}

async fn every_listing_has_three_valid_public_feeds(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let preview = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "Feed preview", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();
    let labor = app.get("/api/v1/sectors/labor").await.json()["id"].clone();
    let blog = app.get("/api/v1/blogs?limit=1").await.json()[0]["id"].clone();
    for kind in ["essays", "analyses", "blog-posts", "news-links"] {
        let mut body = json!({"title": format!("Draft {SECRET} {kind}"), "summary": SECRET, "body": format!("Text {SECRET}"), "sector_ids": [labor]});
        match kind {
            "news-links" => body["url"] = json!("https://example.org/secret-story"),
            "blog-posts" => body["blog_id"] = blog.clone(),
            _ => {}
        }
        let created = app.post_as(&admin, &format!("/api/v1/{kind}"), &body).await;
        assert_eq!(created.status, 201, "{kind}: {}", String::from_utf8_lossy(&created.body));
    }
    let mut paths: Vec<String> = ["all", "essays", "analyses", "blog-posts", "news-links"].iter().map(|name| format!("/feeds/{name}")).collect();
    for (scope, collection) in [("sectors", "sectors"), ("tags", "tags"), ("editors", "editors"), ("blogs", "blogs"), ("questions", "questions")] {
        paths.push(format!("/feeds/{scope}/{}", slug_of(&app, collection).await));
    }
    paths.push("/feeds/sectors/labor".into());
    for path in &paths {
        for (extension, media) in [("rss", "application/rss+xml"), ("atom", "application/atom+xml"), ("json", "application/feed+json")] {
            let url = format!("{path}.{extension}");
            for headers in [vec![], vec![("X-Api-Key", preview.as_str())], vec![("Authorization", &*format!("Bearer {admin}"))]] {
                let reply = app.get_with(&url, &headers).await;
                assert_eq!(reply.status, 200, "{url}: {}", String::from_utf8_lossy(&reply.body));
                assert!(reply.header("content-type").unwrap().starts_with(media), "{url}");
                let text = String::from_utf8(reply.body.clone()).unwrap();
                assert!(!text.contains(SECRET), "{url} shows a draft to {headers:?}");
                assert!(reply.header("cache-control").unwrap().starts_with("public"), "{url}");
                assert!(reply.header("etag").unwrap().starts_with('"'), "a strong ETag");
                assert!(reply.header("last-modified").is_some());
                assert!(reply.header("link").unwrap().contains("rel=\"alternate\""));
                let feed = parser::parse(reply.body.as_slice()).unwrap_or_else(|e| panic!("{url} does not parse: {e}"));
                assert!(feed.title.is_some(), "{url}");
                assert!(feed.entries.len() <= 20, "{url}");
                for entry in &feed.entries {
                    assert!(entry.id.starts_with("urn:uuid:"), "{url}: {}", entry.id);
                    assert!(entry.title.is_some() && !entry.links.is_empty(), "{url}");
                    assert!(entry.published.is_some(), "{url}");
                }
                let published: Vec<_> = feed.entries.iter().map(|e| e.published.unwrap()).collect();
                assert!(published.windows(2).all(|w| w[0] >= w[1]), "{url}: newest first");
                if extension == "json" {
                    let document: Value = serde_json::from_slice(&reply.body).unwrap();
                    assert_eq!(document["version"], "https://jsonfeed.org/version/1.1");
                    assert!(document["items"].as_array().unwrap().iter().all(|i| i["id"].is_string() && i["content_html"].is_string()));
                }
                if extension == "rss" {
                    assert!(text.contains("isPermaLink=\"false\""), "{url}");
                }
            }
        }
    }
}

async fn entries_carry_what_readers_show(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let essay = app.get("/api/v1/essays?limit=1&include=authors,sectors,tags").await.json()[0].clone();
    let rss = app.get("/feeds/essays.rss").await;
    let feed = parser::parse(rss.body.as_slice()).unwrap();
    let first = &feed.entries[0];
    assert_eq!(first.id, format!("urn:uuid:{}", essay["id"].as_str().unwrap()));
    assert_eq!(first.title.as_ref().unwrap().content, essay["title"].as_str().unwrap());
    assert!(first.links[0].href.ends_with(&format!("/essays/{}", essay["slug"].as_str().unwrap())));
    assert!(first.content.as_ref().and_then(|c| c.body.as_ref()).is_some_and(|b| b.contains("<p>")), "full HTML content");
    assert!(!first.categories.is_empty(), "sectors and tags are categories");

    let atom = parser::parse(app.get("/feeds/essays.atom").await.body.as_slice()).unwrap();
    assert!(!atom.entries[0].authors.is_empty(), "authors by name");
    let json: Value = app.get("/feeds/essays.json").await.json();
    assert_eq!(json["items"][0]["id"], first.id.as_str());
    if essay["featured_image_url"].is_string() {
        assert_eq!(json["items"][0]["image"], essay["featured_image_url"]);
        assert!(String::from_utf8(rss.body.clone()).unwrap().contains("<enclosure"));
    }

    // A news link points at the story, with the collector's commentary.
    let link = app.post_as(&admin, "/api/v1/news-links", &json!({"title": "A story worth reading", "url": "https://news.example.org/story", "commentary": "Why <this> matters"})).await.json();
    app.post_as(&admin, &format!("/api/v1/news-links/{}/publish", link["id"].as_str().unwrap()), &json!({"version": 1})).await;
    let news: Value = app.get("/feeds/news-links.json").await.json();
    let item = news["items"].as_array().unwrap().iter().find(|i| i["title"] == "A story worth reading").unwrap().clone();
    assert_eq!(item["external_url"], "https://news.example.org/story");
    assert!(item["content_html"].as_str().unwrap().contains("Why &lt;this&gt; matters"), "{item}");
    let rss = parser::parse(app.get("/feeds/news-links.rss").await.body.as_slice()).unwrap();
    let entry = rss.entries.iter().find(|e| e.title.as_ref().unwrap().content == "A story worth reading").unwrap();
    assert_eq!(entry.links[0].href, "https://news.example.org/story");

    // Limits and refusals.
    assert_eq!(parser::parse(app.get("/feeds/all.atom?limit=3").await.body.as_slice()).unwrap().entries.len(), 3);
    for bad in ["/feeds/all.rss?limit=101", "/feeds/all.rss?limit=0", "/feeds/all.rss?limit=x", "/feeds/all.rss?page=2"] {
        assert_eq!(app.get(bad).await.assert_problem(400), "invalid_parameter", "{bad}");
    }
    for missing in ["/feeds/nothing.rss", "/feeds/essays.xml", "/feeds/essays", "/feeds/sectors/no-such-sector.rss", "/feeds/people/labor.rss", "/feeds/sectors/Not_A_Slug.rss"] {
        assert_eq!(app.get(missing).await.assert_problem(404), "not_found", "{missing}");
    }
    let hidden = app.post_as(&admin, "/api/v1/editors", &json!({"display_name": "Hidden Person", "team_role": "contributor", "visible": false})).await.json();
    assert_eq!(app.get(&format!("/feeds/editors/{}.rss", hidden["slug"].as_str().unwrap())).await.status, 404, "hidden profiles have no feed");
    assert_eq!(app.request(Method::POST, "/feeds/all.rss", Some("{}")).await.status, 405);
}

async fn validators_come_from_the_change_log(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let first = app.get("/feeds/all.json").await;
    let etag = first.header("etag").unwrap();
    let modified = first.header("last-modified").unwrap();
    let again = app.get("/feeds/all.json").await;
    assert_eq!(again.header("etag").unwrap(), etag, "the same position, the same tag");
    assert_eq!(again.body, first.body);
    let before = app.statements().await;
    assert_eq!(app.get_with("/feeds/all.json", &[("If-None-Match", &etag)]).await.status, 304);
    assert!(app.statements().await - before <= 1, "a revalidation reads only the log's head");
    assert_eq!(app.get_with("/feeds/all.json", &[("If-Modified-Since", &modified)]).await.status, 304);
    assert_ne!(app.get("/feeds/all.rss").await.header("etag").unwrap(), etag, "each format has its own tag");
    // Nodes behind one public URL answer alike.
    let public = |s: &mut api::settings::Settings| s.public_url = "https://ou.example.org".into();
    let (one, two) = (app.another_node_with(public).await, app.another_node_with(public).await);
    let tag = one.get("/feeds/all.json").await.header("etag").unwrap();
    assert_eq!(two.get_with("/feeds/all.json", &[("If-None-Match", &tag)]).await.status, 304);
    assert!(one.get("/feeds/all.json").await.json()["items"][0]["url"].as_str().unwrap().starts_with("https://ou.example.org/"));

    let essay = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Fresh for feeds"})).await.json();
    app.post_as(&admin, &format!("/api/v1/essays/{}/publish", essay["id"].as_str().unwrap()), &json!({"version": 1})).await;
    let changed = app.get_with("/feeds/all.json", &[("If-None-Match", &etag)]).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag").unwrap(), etag);
    assert_eq!(changed.json()["items"][0]["title"], "Fresh for feeds");
}

async fn characters_xml_cannot_hold_are_left_out(app: TestApp) {
    let admin = app.admin().await;
    let odd = "Odd\u{1}\u{8}name\u{b}\u{fffe}";
    let tag = app.post_as(&admin, "/api/v1/tags", &json!({"name": odd, "slug": "odd"})).await;
    assert_eq!(tag.status, 201, "{}", String::from_utf8_lossy(&tag.body));
    let essay = app.post_as(&admin, "/api/v1/essays", &json!({"title": format!("Title {odd}"), "summary": odd, "body": "Body", "tag_ids": [tag.json()["id"]]})).await.json();
    app.post_as(&admin, &format!("/api/v1/essays/{}/publish", essay["id"].as_str().unwrap()), &json!({"version": 1})).await;
    for url in ["/feeds/tags/odd.rss", "/feeds/tags/odd.atom", "/feeds/all.rss", "/feeds/all.atom"] {
        let reply = app.get(url).await;
        assert_eq!(reply.status, 200, "{url}");
        let text = String::from_utf8(reply.body.clone()).unwrap();
        assert!(!text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) && !text.contains('\u{fffe}'), "{url}: {text}");
        assert!(text.contains("Oddname"), "{url}: the rest of the name stays");
        parser::parse(reply.body.as_slice()).unwrap_or_else(|e| panic!("{url} does not parse: {e}"));
    }
}

crate::on_both_databases!(every_listing_has_three_valid_public_feeds, entries_carry_what_readers_show, validators_come_from_the_change_log, characters_xml_cannot_hold_are_left_out);
