//! News aggregation from the outside: feeds served on loopback by the test (RSS, Atom, JSON
//! Feed with relative links, missing and repeated GUIDs, HTML titles, tracking parameters),
//! drafts once per story across sources and polls, dismissed stories that never return,
//! conditional requests, health after failures and hostile answers, two nodes polling, and the
//! sector policy of sources.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// What the feed server answers on one path.
#[derive(Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) delay: Duration,
}

impl Answer {
    pub(crate) fn ok(content_type: &str, body: &str) -> Answer {
        Answer { status: 200, headers: vec![("Content-Type".into(), content_type.into())], body: body.as_bytes().to_vec(), delay: Duration::ZERO }
    }

    fn with(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// One request the feed server got.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
    user_agent: String,
}

/// Feeds on loopback, changeable while the test runs.
#[derive(Clone)]
pub(crate) struct FeedServer {
    base: String,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn serve(req: HttpRequest, server: web::Data<FeedServer>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let path = req.path().to_owned();
    server.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
        user_agent: header("user-agent").unwrap_or_default(),
    });
    let answer = server.answers.lock().unwrap().get(&path).cloned();
    let Some(answer) = answer else {
        return HttpResponse::NotFound().finish();
    };
    tokio::time::sleep(answer.delay).await;
    // A validator the client sends back is answered 304.
    let etag = answer.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("etag")).map(|(_, v)| v.clone());
    if etag.is_some() && header("if-none-match") == etag {
        return HttpResponse::NotModified().finish();
    }
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(answer.status).unwrap());
    for (name, value) in &answer.headers {
        response.insert_header((name.as_str(), value.as_str()));
    }
    response.body(answer.body)
}

impl FeedServer {
    pub(crate) async fn start() -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = FeedServer { base: format!("http://{}", listener.local_addr().unwrap()), answers: Arc::default(), seen: Arc::default() };
        let data = web::Data::new(server.clone());
        let http = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(serve))).workers(2).listen(listener).unwrap().run();
        tokio::spawn(http);
        server
    }

    pub(crate) fn set(&self, path: &str, answer: Answer) -> String {
        self.answers.lock().unwrap().insert(path.into(), answer);
        format!("{}{path}", self.base)
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen.lock().unwrap().iter().filter(|s| s.path == path).cloned().collect()
    }
}

pub(crate) fn rss(items: &[(&str, &str, Option<&str>)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, link, guid)| {
            let guid = guid.map(|g| format!("<guid isPermaLink=\"false\">{g}</guid>")).unwrap_or_default();
            format!("<item><title>{title}</title><link>{link}</link>{guid}<description>&lt;p&gt;About &lt;b&gt;{title}&lt;/b&gt;.&lt;/p&gt;</description></item>")
        })
        .collect();
    format!(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Labor Wire</title><link>https://wire.example.org/</link>{items}</channel></rss>"#)
}

/// The app, as a node that may call loopback, with short timeouts and a small failure limit.
async fn newsroom(app: &TestApp) -> TestApp {
    app.another_node_with(|s| {
        s.outbound_allow_private = true;
        s.news_fetch_timeout_seconds = 2;
        s.news_failure_limit = 3;
    })
    .await
}

async fn sector(app: &TestApp, slug: &str) -> String {
    app.get(&format!("/api/v1/sectors/{slug}")).await.json()["id"].as_str().unwrap().to_owned()
}

async fn add_source(app: &TestApp, token: &str, url: &str, sectors: &[&str]) -> Value {
    let created = app.post_as(token, "/api/v1/news-sources", &json!({"url": url, "sector_ids": sectors})).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    created.json()
}

async fn poll(app: &TestApp, token: &str, source: &Value) -> Value {
    let reply = app.post_as(token, &format!("/api/v1/news-sources/{}/poll", source["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

async fn drafts(app: &TestApp, token: &str, source: &Value) -> Vec<Value> {
    let list = app.get_as(token, &format!("/api/v1/news-links?status=draft&source={}&limit=100&sort=title", source["id"].as_str().unwrap())).await;
    assert_eq!(list.status, 200, "{}", String::from_utf8_lossy(&list.body));
    list.json().as_array().unwrap().clone()
}

async fn stories_become_drafts_once(app: TestApp) {
    app.seed_demo().await;
    let app = newsroom(&app).await;
    let feeds = FeedServer::start().await;
    let labor = sector(&app, "labor").await;
    let (_, collector) = app.user("news_collector", &[labor.clone()], None).await;
    let rss_url = feeds.set(
        "/labor.rss",
        Answer::ok(
            "application/rss+xml",
            &rss(&[
                ("&lt;b&gt;Strike&lt;/b&gt; wins", "/2026/strike?utm_source=rss&amp;id=7", Some("wire-1")),
                ("No guid here", "https://wire.example.org/2026/no-guid#top", None),
                ("Repeated guid", "https://wire.example.org/2026/repeat", Some("wire-3")),
                ("Repeated guid again", "https://wire.example.org/2026/repeat-2", Some("wire-3")),
            ]),
        )
        .with("ETag", "\"v1\"")
        .with("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
    );
    let source = add_source(&app, &collector, &rss_url, &[&labor]).await;
    assert_eq!(source["name"], "Labor Wire", "named after the feed");
    assert_eq!(source["active"], true);
    let report = poll(&app, &collector, &source).await;
    assert_eq!((report["status"].as_str(), report["drafts_created"].as_u64(), report["duplicates"].as_u64()), (Some("created"), Some(3), Some(0)), "{report}");
    let made = drafts(&app, &collector, &source).await;
    let urls: Vec<&str> = made.iter().map(|d| d["url"].as_str().unwrap()).collect();
    assert!(urls.contains(&format!("{}/2026/strike?id=7", feeds.base).as_str()), "relative link resolved, tracking removed: {urls:?}");
    assert!(urls.contains(&"https://wire.example.org/2026/no-guid"), "{urls:?}");
    let strike = made.iter().find(|d| d["url"].as_str().unwrap().ends_with("strike?id=7")).unwrap();
    assert_eq!(strike["title"], "Strike wins", "HTML stripped from the title");
    assert_eq!(strike["summary"], "About Strike wins.");
    assert_eq!(strike["source_name"], "Labor Wire");
    assert_eq!(strike["status"], "draft");
    assert_eq!(strike["sector_ids"], json!([labor]));
    assert_eq!(strike["news_source_id"], source["id"]);
    // Nobody outside sees a discovered draft.
    for path in ["/api/v1/news-links", "/api/v1/search?q=strike", "/feeds/news-links.json"] {
        assert!(!String::from_utf8_lossy(&app.get(path).await.body).contains("Strike wins"), "{path}");
    }
    // The next poll sends the validators back and changes nothing.
    let again = poll(&app, &collector, &source).await;
    assert_eq!(again["status"], "not_modified", "{again}");
    let requests = feeds.seen("/labor.rss");
    let last = requests.last().unwrap();
    assert_eq!(last.if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(last.if_modified_since.as_deref(), Some("Tue, 01 Dec 2026 10:00:00 GMT"));
    assert!(last.user_agent.starts_with("OrganizingUpgrade/"), "{}", last.user_agent);
    // The same story from another source, in another format and with other tracking, is a duplicate.
    let atom_url = feeds.set(
        "/other.atom",
        Answer::ok(
            "application/atom+xml",
            &format!(r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Other</title><id>urn:o</id><updated>2026-12-01T00:00:00Z</updated>
                <entry><id>urn:o:1</id><title>Same strike</title><updated>2026-12-01T00:00:00Z</updated><link href="{}/2026/strike?id=7&amp;fbclid=x&amp;utm_medium=email#x"/></entry>
                <entry><id>urn:o:2</id><title>A new one</title><updated>2026-12-01T00:00:00Z</updated><link href="https://other.example.org/new"/></entry></feed>"#, feeds.base),
        ),
    );
    let other = add_source(&app, &collector, &atom_url, &[&labor]).await;
    let report = poll(&app, &collector, &other).await;
    assert_eq!((report["drafts_created"].as_u64(), report["duplicates"].as_u64()), (Some(1), Some(1)), "{report}");
    let json_url = feeds.set("/feed.json", Answer::ok("application/feed+json", r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"j1","url":"https://json.example.org/1","title":"From JSON","content_html":"<p>Hi</p>"}]}"#));
    let json_source = add_source(&app, &collector, &json_url, &[&labor]).await;
    assert_eq!(poll(&app, &collector, &json_source).await["drafts_created"], 1);
    // Health counts what happened.
    let health = app.get_as(&collector, &format!("/api/v1/news-sources/{}", source["id"].as_str().unwrap())).await.json();
    assert_eq!((health["items_seen"].as_u64(), health["drafts_created"].as_u64()), (Some(3), Some(3)), "{health}");
    assert_eq!(health["last_status"], "not_modified");
    assert_eq!(health["consecutive_failures"], 0);
    assert!(health["last_success_at"].is_string() && health["next_poll_at"].is_string());
    // A collector publishes as always; then everyone sees it.
    let id = strike["id"].as_str().unwrap();
    assert_eq!(app.post_as(&collector, &format!("/api/v1/news-links/{id}/publish"), &json!({"version": strike["version"]})).await.status, 200);
    assert!(app.get("/api/v1/news-links").await.ids().contains(&id.to_owned()));
    // Each discovery is in the change log, and audited with its source.
    let discovered = entity::change::Entity::find().filter(entity::change::Column::Action.eq("discovered")).all(&app.db).await.unwrap();
    assert_eq!(discovered.len(), 5);
    let audit = entity::audit_log::Entity::find().filter(entity::audit_log::Column::Action.eq("discover")).all(&app.db).await.unwrap();
    assert_eq!(audit.len(), 5);
    // Deleting the source clears it from its stories as a save of each: readers (through the
    // response cache too) see the published one without it at once, with a new version.
    let by_source = format!("/api/v1/news-links?source={}", source["id"].as_str().unwrap());
    for _ in 0..3 {
        assert_eq!(app.get(&by_source).await.ids(), vec![id.to_owned()]);
    }
    let published = app.get(&format!("/api/v1/news-links/{id}")).await.json();
    let updates = || entity::change::Entity::find().filter(entity::change::Column::Action.eq("updated")).all(&app.db);
    let updates_before = updates().await.unwrap().len();
    assert_eq!(app.send(Method::DELETE, &format!("/api/v1/news-sources/{}", source["id"].as_str().unwrap()), Some(&collector), None, &[]).await.status, 200);
    assert!(app.get(&by_source).await.ids().is_empty());
    let detached = app.get(&format!("/api/v1/news-links/{id}")).await.json();
    assert_eq!(detached["news_source_id"], Value::Null);
    assert_eq!(detached["version"].as_i64(), published["version"].as_i64().map(|v| v + 1));
    assert_eq!(updates().await.unwrap().len() - updates_before, 3, "one change per story of the source (the published one and two drafts)");
}

async fn dismissed_stories_never_return(app: TestApp) {
    app.seed_demo().await;
    let app = newsroom(&app).await;
    let feeds = FeedServer::start().await;
    let admin = app.admin().await;
    let url = feeds.set("/a.rss", Answer::ok("application/rss+xml", &rss(&[("One", "https://s.example.org/1", Some("g1")), ("Two", "https://s.example.org/2", Some("g2"))])));
    let source = add_source(&app, &admin, &url, &[]).await;
    assert_eq!(poll(&app, &admin, &source).await["drafts_created"], 2);
    let made = drafts(&app, &admin, &source).await;
    let (one, two) = (&made[0], &made[1]);
    // One is trashed, the other trashed and purged.
    for item in [one, two] {
        let etag = app.get_as(&admin, &format!("/api/v1/news-links/{}", item["id"].as_str().unwrap())).await.header("etag").unwrap();
        let trashed = app.send(Method::DELETE, &format!("/api/v1/news-links/{}", item["id"].as_str().unwrap()), Some(&admin), None, &[("If-Match", etag.as_str())]).await;
        assert_eq!(trashed.status, 200);
    }
    assert_eq!(app.send(Method::DELETE, &format!("/api/v1/news-links/{}?purge=true", two["id"].as_str().unwrap()), Some(&admin), None, &[]).await.status, 200);
    // The feed shows them again under new GUIDs, and another source carries them too.
    feeds.set("/a.rss", Answer::ok("application/rss+xml", &rss(&[("One", "https://s.example.org/1?utm_campaign=again", Some("g1-new")), ("Two", "https://s.example.org/2", Some("g2-new"))])));
    let report = poll(&app, &admin, &source).await;
    assert_eq!((report["new_entries"].as_u64(), report["drafts_created"].as_u64(), report["duplicates"].as_u64()), (Some(2), Some(0), Some(2)), "{report}");
    let copy = feeds.set("/b.rss", Answer::ok("application/rss+xml", &rss(&[("Two again", "https://s.example.org/2#frag", None)])));
    let other = add_source(&app, &admin, &copy, &[]).await;
    assert_eq!(poll(&app, &admin, &other).await["duplicates"], 1);
    assert_eq!(app.get_as(&admin, "/api/v1/news-links?status=draft&limit=100").await.json().as_array().unwrap().iter().filter(|l| l["url"].as_str().unwrap().starts_with("https://s.example.org")).count(), 0);
    // A link a collector pasted by hand is a known story too.
    app.post_as(&admin, "/api/v1/news-links", &json!({"title": "By hand", "url": "https://s.example.org/3"})).await;
    feeds.set("/b.rss", Answer::ok("application/rss+xml", &rss(&[("Three", "https://s.example.org/3?fbclid=1", Some("b3"))])));
    let report = poll(&app, &admin, &other).await;
    assert_eq!((report["drafts_created"].as_u64(), report["duplicates"].as_u64()), (Some(0), Some(1)), "{report}");
}

async fn failures_are_counted_backed_off_and_paused(app: TestApp) {
    app.seed_demo().await;
    let app = newsroom(&app).await;
    let feeds = FeedServer::start().await;
    let admin = app.admin().await;
    let url = feeds.set("/flaky.rss", Answer::ok("application/rss+xml", &rss(&[])));
    // Polled every 5 minutes, so a wait of two hours can only come from Retry-After.
    let source = app.post_as(&admin, "/api/v1/news-sources", &json!({"url": url, "poll_interval_minutes": 5})).await.json();
    let path = format!("/api/v1/news-sources/{}", source["id"].as_str().unwrap());
    let mut hostile: Vec<(&str, Answer, &str)> = vec![
        ("a server error with Retry-After", Answer { status: 503, headers: vec![("Retry-After".into(), "7200".into())], body: Vec::new(), delay: Duration::ZERO }, "HTTP 503"),
        ("malformed XML", Answer::ok("application/rss+xml", "<rss><channel><item><title>x</titl"), "not a feed"),
        ("an HTML page", Answer::ok("text/html", "<html><head><title>Hi</title></head><body>no feed</body></html>"), "web page"),
        ("a slow server", Answer { delay: Duration::from_secs(4), ..Answer::ok("application/rss+xml", &rss(&[])) }, "timed out"),
        ("a 50 MB body", Answer::ok("application/rss+xml", &format!("<rss><channel>{}</channel></rss>", "<!-- padding -->".repeat(3_276_800))), "larger than 5 MiB"),
    ];
    // A gzip bomb: the client asks for no encoding and decompresses nothing.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(&vec![0u8; 50 * 1024 * 1024]).unwrap();
    hostile.push(("a gzip bomb", Answer { body: bomb.finish().unwrap(), ..Answer::ok("application/rss+xml", "").with("Content-Encoding", "gzip") }, "not a feed"));
    for (what, answer, error) in hostile {
        feeds.set("/flaky.rss", answer);
        let report = poll(&app, &admin, &source).await;
        assert_eq!(report["status"], "failed", "{what}: {report}");
        assert!(report["error"].as_str().unwrap().contains(error), "{what}: {report}");
        // The failure limit (3 here) pauses the source; an update resumes it.
        let health = app.get_as(&admin, &path).await.json();
        if health["active"] == false {
            assert!(health["paused_reason"].as_str().unwrap().contains("3 failed polls"), "{health}");
            let resumed = app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"active": true}).to_string()), &[("Content-Type", "application/merge-patch+json")]).await.json();
            assert_eq!((resumed["active"].as_bool(), resumed["consecutive_failures"].as_i64(), resumed["paused_reason"].is_null()), (Some(true), Some(0), true), "{resumed}");
        } else {
            assert!(health["consecutive_failures"].as_i64().unwrap() >= 1, "{health}");
            assert_eq!(health["last_status"], "failed");
            assert!(health["last_error"].as_str().unwrap().contains(error));
        }
        if what.starts_with("a server error") {
            let next: chrono::DateTime<chrono::Utc> = health["next_poll_at"].as_str().unwrap().parse().unwrap();
            assert!(next > chrono::Utc::now() + chrono::Duration::minutes(110), "Retry-After is honoured: {next}");
        }
    }
    // Redirects are followed, five at most.
    let target = feeds.set("/real.rss", Answer::ok("application/rss+xml", &rss(&[("Moved", "https://m.example.org/1", Some("m1"))])));
    feeds.set("/flaky.rss", Answer { status: 302, headers: vec![("Location".into(), target)], body: Vec::new(), delay: Duration::ZERO });
    assert_eq!(poll(&app, &admin, &source).await["drafts_created"], 1);
    for hop in 0..7 {
        feeds.set(&format!("/loop{hop}"), Answer { status: 302, headers: vec![("Location".into(), format!("{}/loop{}", feeds.base, hop + 1))], body: Vec::new(), delay: Duration::ZERO });
    }
    feeds.set("/flaky.rss", Answer { status: 302, headers: vec![("Location".into(), format!("{}/loop0", feeds.base))], body: Vec::new(), delay: Duration::ZERO });
    let report = poll(&app, &admin, &source).await;
    assert!(report["error"].as_str().unwrap().contains("redirect"), "{report}");
}

async fn urls_are_checked_when_a_source_is_added(app: TestApp) {
    app.seed_demo().await;
    let feeds = FeedServer::start().await;
    let admin = app.admin().await;
    let url = feeds.set("/feed.rss", Answer::ok("application/rss+xml", &rss(&[])));
    // This node may not call private addresses.
    let refused = app.post_as(&admin, "/api/v1/news-sources", &json!({"url": url})).await;
    assert_eq!(refused.status, 422, "{}", String::from_utf8_lossy(&refused.body));
    let app = newsroom(&app).await;
    let page = feeds.set(
        "/page",
        Answer::ok("text/html; charset=utf-8", r#"<html><head><link rel="alternate" type="application/rss+xml" href="/feed.rss"><link rel="alternate" type="application/atom+xml" href="https://x.example.org/atom"></head></html>"#),
    );
    let answer = app.post_as(&admin, "/api/v1/news-sources", &json!({"url": page})).await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.json()["errors"]["feeds"], json!([format!("{}/feed.rss", feeds.base), "https://x.example.org/atom"]), "{}", answer.json());
    for (body, why) in [(json!({"url": "ftp://example.org/x"}), "url"), (json!({"url": url, "poll_interval_minutes": 1}), "poll_interval_minutes"), (json!({"url": url, "sector_ids": [uuid::Uuid::now_v7()]}), "sector_ids"), (json!({"url": format!("{}/missing", feeds.base)}), "url")] {
        let reply = app.post_as(&admin, "/api/v1/news-sources", &body).await;
        assert_eq!(reply.status, 422, "{body}");
        assert!(reply.json()["errors"][why].is_array(), "{body}: {}", reply.json());
    }
    let source = add_source(&app, &admin, &url, &[]).await;
    // Versioned writes, read-only health.
    let path = format!("/api/v1/news-sources/{}", source["id"].as_str().unwrap());
    let stale = app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"name": "Renamed", "version": 9}).to_string()), &[("Content-Type", "application/merge-patch+json")]).await;
    assert_eq!(stale.status, 412);
    let forged = app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"items_seen": 99}).to_string()), &[("Content-Type", "application/merge-patch+json")]).await;
    assert_eq!(forged.status, 422);
    let renamed = app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"name": "Renamed", "version": 1}).to_string()), &[("Content-Type", "application/merge-patch+json")]).await.json();
    assert_eq!((renamed["name"].as_str(), renamed["version"].as_i64()), (Some("Renamed"), Some(2)));
    assert_eq!(app.send(Method::DELETE, &path, Some(&admin), None, &[]).await.status, 200);
    assert_eq!(app.get_as(&admin, &path).await.status, 404);
}

async fn leases_and_addresses_hold_on_every_poll(app: TestApp) {
    app.seed_demo().await;
    let newsroom = newsroom(&app).await;
    let feeds = FeedServer::start().await;
    let admin = app.admin().await;
    let url = feeds.set("/l.rss", Answer::ok("application/rss+xml", &rss(&[("Leased", "https://l.example.org/1", Some("l1"))])));
    let source = add_source(&newsroom, &admin, &url, &[]).await;
    let id: uuid::Uuid = source["id"].as_str().unwrap().parse().unwrap();
    let poll_path = format!("/api/v1/news-sources/{id}/poll");
    let hold = |until: chrono::DateTime<chrono::Utc>| {
        let db = app.db.clone();
        async move {
            entity::news_source::Entity::update_many()
                .col_expr(entity::news_source::Column::LeaseUntil, sea_orm::sea_query::Expr::value(until))
                .col_expr(entity::news_source::Column::LeaseToken, sea_orm::sea_query::Expr::value(uuid::Uuid::now_v7()))
                .filter(entity::news_source::Column::Id.eq(id))
                .exec(&db)
                .await
                .unwrap();
        }
    };
    // Another node holds the source: a poll now waits for that poll (as long as one may take,
    // 2 s here, and a little more), then gives up.
    hold(chrono::Utc::now() + chrono::Duration::minutes(5)).await;
    assert_eq!(newsroom.post_as(&admin, &poll_path, &json!({})).await.assert_problem(409), "poll_in_progress");
    // A poll under way that ends is waited for.
    hold(chrono::Utc::now() + chrono::Duration::seconds(2)).await;
    let waited = poll(&newsroom, &admin, &source).await;
    assert_eq!(waited["drafts_created"], 1, "{waited}");
    // That node died: once its lease has run out, the source is taken over.
    hold(chrono::Utc::now() - chrono::Duration::seconds(1)).await;
    assert_eq!(poll(&newsroom, &admin, &source).await["status"], "unchanged");
    // A node that may not call private addresses refuses the same source when it polls.
    let report = poll(&app, &admin, &source).await;
    assert_eq!(report["status"], "failed", "{report}");
    assert!(report["error"].as_str().unwrap().contains("not a public address"), "{report}");
}

async fn sources_follow_the_sector_policy(app: TestApp) {
    app.seed_demo().await;
    let app = newsroom(&app).await;
    let feeds = FeedServer::start().await;
    let admin = app.admin().await;
    let (labor, climate) = (sector(&app, "labor").await, sector(&app, "climate-justice").await);
    let url = feeds.set("/s.rss", Answer::ok("application/rss+xml", &rss(&[])));
    let labor_source = add_source(&app, &admin, &url, &[&labor]).await;
    let climate_source = add_source(&app, &admin, &url, &[&climate]).await;
    let (_, collector) = app.user("news_collector", &[labor.clone()], None).await;
    let (_, editor) = app.user("editor", &[labor.clone()], None).await;
    let (_, author) = app.user("author", &[], None).await;
    let content_key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "k", "scope": "content"})).await.json()["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/news-sources").await.status, 401);
    assert_eq!(app.get_with("/api/v1/news-sources", &[("X-Api-Key", &content_key)]).await.status, 403);
    assert_eq!(app.get_as(&author, "/api/v1/news-sources").await.status, 403);
    for token in [&collector, &editor] {
        assert_eq!(app.get_as(token, "/api/v1/news-sources").await.ids(), vec![labor_source["id"].as_str().unwrap().to_owned()]);
        assert_eq!(app.get_as(token, &format!("/api/v1/news-sources/{}", climate_source["id"].as_str().unwrap())).await.status, 404);
        assert_eq!(app.post_as(token, "/api/v1/news-sources", &json!({"url": url, "sector_ids": [climate]})).await.status, 403);
        assert_eq!(app.post_as(token, &format!("/api/v1/news-sources/{}/poll", climate_source["id"].as_str().unwrap()), &json!({})).await.status, 404);
    }
    assert_eq!(app.get_as(&admin, "/api/v1/news-sources").await.total(), 2);
    let body = json!({"query": "{ newsSources { totalCount nodes { id name sectorIds lastStatus } } }"}).to_string();
    let answer = app.send(Method::POST, "/graphql", Some(&collector), Some(&body), &[]).await.json();
    assert_eq!(answer["data"]["newsSources"]["totalCount"], 1, "{answer}");
    let mutation = json!({"query": format!("mutation {{ pollNewsSource(id: \"{}\") {{ status draftsCreated }} }}", labor_source["id"].as_str().unwrap())}).to_string();
    let polled = app.send(Method::POST, "/graphql", Some(&collector), Some(&mutation), &[]).await.json();
    assert_eq!(polled["data"]["pollNewsSource"]["status"], "unchanged", "{polled}");
    let anonymous = app.send(Method::POST, "/graphql", None, Some(&body), &[]).await.json();
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{anonymous}");
}

async fn two_nodes_poll_each_source_once(app: TestApp) {
    app.seed_demo().await;
    let feeds = FeedServer::start().await;
    let admin = app.admin().await;
    let setup = newsroom(&app).await;
    let mut sources = Vec::new();
    for n in 0..3 {
        // Every feed carries the same shared story, and one of its own.
        let url = feeds.set(
            &format!("/n{n}.rss"),
            Answer { delay: Duration::from_millis(200), ..Answer::ok("application/rss+xml", &rss(&[("Shared", "https://shared.example.org/story", Some(&format!("s{n}"))), ("Own", &format!("https://own.example.org/{n}"), Some(&format!("o{n}")))])) },
        );
        sources.push(add_source(&setup, &admin, &url, &[]).await);
    }
    let polling = |s: &mut api::settings::Settings| {
        s.outbound_allow_private = true;
        s.news_poll_interval_seconds = 1;
    };
    let (_first, _second) = (app.another_node_with(polling).await, app.another_node_with(polling).await);
    let mut polled = false;
    for _ in 0..100 {
        let health = app.get_as(&admin, "/api/v1/news-sources?limit=10").await.json();
        if health.as_array().unwrap().iter().all(|s| s["last_status"].is_string()) {
            polled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(polled, "both nodes together polled every source");
    tokio::time::sleep(Duration::from_secs(2)).await;
    for n in 0..3 {
        // The creation's probe, then exactly one poll.
        assert_eq!(feeds.seen(&format!("/n{n}.rss")).len(), 2, "source {n}");
    }
    let links = app.get_as(&admin, "/api/v1/news-links?status=draft&limit=100").await.json();
    let shared = links.as_array().unwrap().iter().filter(|l| l["url"] == "https://shared.example.org/story").count();
    assert_eq!(shared, 1, "the shared story is drafted once");
    let stories = entity::news_story::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stories.len(), 4);
    let counted: i64 = entity::news_source::Entity::find().all(&app.db).await.unwrap().iter().map(|s| s.drafts_created).sum();
    assert_eq!((sources.len(), counted), (3, 4), "drafts counted once each");
}

crate::on_both_databases!(
    stories_become_drafts_once,
    dismissed_stories_never_return,
    failures_are_counted_backed_off_and_paused,
    urls_are_checked_when_a_source_is_added,
    sources_follow_the_sector_policy,
    leases_and_addresses_hold_on_every_poll,
    two_nodes_poll_each_source_once,
);
