//! Search from the outside: the grammar against hostile input, visibility by role compared with
//! the lists, relevance, escaped snippets, facets, every write reflected at once, spelling
//! suggestions, flat statement counts, GraphQL, and an index in the plan on both databases.

use std::collections::BTreeSet;

use api::clock::now;
use api::domain::{ContentKind, ContentStatus, Slug};
use api::services::content::{NewContent, insert};
use reqwest::Method;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::published_essays;
use crate::helpers::{Reply, TestApp};

async fn graphql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = json!({"query": query, "variables": variables}).to_string();
    let reply = app.send(Method::POST, "/graphql", token, Some(&body), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

/// Percent-encodes a query parameter value.
fn q(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn ids(reply: &Reply) -> BTreeSet<String> {
    let body = reply.json();
    let list = if body.is_array() { body } else { body["hits"].clone() };
    list.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

async fn published(app: &TestApp, kind: ContentKind, title: &str, summary: &str, body: &str, sector: Uuid) -> Uuid {
    let n = Uuid::now_v7().simple().to_string();
    let new = NewContent {
        status: ContentStatus::Published,
        published_at: Some(now()),
        summary: summary.into(),
        body: body.into(),
        sector_ids: vec![sector],
        url: (kind == ContentKind::NewsLink).then(|| format!("https://news.example.org/{n}")),
        ..NewContent::draft(kind, Slug::parse(&format!("search-{n}")).unwrap(), title.to_owned(), now())
    };
    insert(&app.db, new).await.unwrap()
}

async fn sector_id(app: &TestApp, slug: &str) -> Uuid {
    app.get(&format!("/api/v1/sectors/{slug}")).await.json()["id"].as_str().unwrap().parse().unwrap()
}

async fn hostile_input_is_a_result_or_a_problem(app: TestApp) {
    app.seed_demo().await;
    let long = "organizing ".repeat(1000);
    let hostile = [
        "\"", "\"\"", "\"unclosed phrase", "*", "**", "a*b*", "(", ")", "((power))", "NEAR(a b)", "NEAR/2", "a AND", "OR", "OR OR",
        "NOT power", "-", "--power", "-power", "power -", "title:power", "^power", "power^2", "{power}", "[x]", "'", "';DROP TABLE content_items;--",
        "\\", "%", "_", "power AND NOT", "a OR", "col:\"x\"", "\u{200b}", "ünïcödé", "漢字", "🙂", "x\u{7f}y", long.as_str(),
    ];
    for text in hostile {
        for path in [
            format!("/api/v1/search?q={}", q(text)),
            format!("/api/v1/search?facets=true&q={}", q(text)),
            format!("/api/v1/essays?q={}", q(text)),
            format!("/api/v1/content?filter={}", q(&json!({"q": text}).to_string())),
        ] {
            let reply = app.get(&path).await;
            assert!(reply.status == 200 || reply.status == 400, "{path}: {} {}", reply.status, String::from_utf8_lossy(&reply.body));
            if reply.status == 400 {
                reply.assert_problem(400);
            }
        }
        let answer = graphql(&app, None, "query($q: String!) { search(query: $q) { totalCount } }", json!({"q": text})).await;
        if let Some(errors) = answer["errors"].as_array() {
            assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT", "{text}: {answer}");
        }
    }
    // A NUL byte never reaches a database.
    assert_eq!(app.get("/api/v1/search?q=a%00b").await.status, 400);
    // `q` is required here and refused where search is not offered.
    assert_eq!(app.get("/api/v1/search").await.assert_problem(400), "invalid_search");
    assert_eq!(app.get("/api/v1/tags?q=power").await.assert_problem(400), "search_unavailable");
    assert_eq!(app.get("/api/v1/search?q=power&facets=maybe").await.status, 400);
    assert_eq!(app.get("/api/v1/search?q=power&sort=score").await.status, 400);
}

async fn everyone_finds_exactly_what_the_lists_show_them(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let labor = sector_id(&app, "labor").await;
    let climate = sector_id(&app, "climate-justice").await;
    let profile = |name: &str| json!({"display_name": name, "team_role": "contributor", "bio": "Writes for the test.", "visible": true});
    let ana = app.post_as(&admin, "/api/v1/editors", &profile("Ana Writer")).await.json()["id"].as_str().unwrap().to_owned();
    let ben = app.post_as(&admin, "/api/v1/editors", &profile("Ben Writer")).await.json()["id"].as_str().unwrap().to_owned();
    let (_, author_a) = app.user("author", &[], Some(&ana)).await;
    let (_, author_b) = app.user("author", &[], Some(&ben)).await;
    let (_, labor_editor) = app.user("editor", &[labor.to_string()], None).await;
    let (_, climate_editor) = app.user("editor", &[climate.to_string()], None).await;
    let content_key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "site", "scope": "content"})).await.json()["secret"].as_str().unwrap().to_owned();
    let preview_key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "preview", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();

    // One word in every planted item; each item also has a word of its own.
    const WORD: &str = "quorumvex";
    let mut planted = std::collections::HashMap::new();
    for (name, status, author, sector) in [
        ("ana_labor_draft", ContentStatus::Draft, Some(&ana), labor),
        ("ana_climate_draft", ContentStatus::Draft, Some(&ana), climate),
        ("ben_labor_draft", ContentStatus::Draft, Some(&ben), labor),
        ("nobody_climate_review", ContentStatus::InReview, None, climate),
        ("public_labor", ContentStatus::Published, None, labor),
        ("public_climate", ContentStatus::Published, None, climate),
    ] {
        let n = Uuid::now_v7().simple().to_string();
        let new = NewContent {
            status,
            published_at: (status == ContentStatus::Published).then(now),
            body: format!("The {WORD} and the only{} word.", name.replace('_', "")),
            author_ids: author.iter().map(|a| a.parse().unwrap()).collect(),
            sector_ids: vec![sector],
            ..NewContent::draft(ContentKind::Essay, Slug::parse(&format!("planted-{n}")).unwrap(), format!("Planted {name}"), now())
        };
        planted.insert(name, insert(&app.db, new).await.unwrap().to_string());
    }
    let expect = |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| planted[n].clone()).collect() };
    let public = ["public_labor", "public_climate"];
    let as_key = |key: &str| vec![("X-Api-Key", key.to_owned())];
    let callers: Vec<(&str, Option<String>, Vec<(&str, String)>, BTreeSet<String>)> = vec![
        ("anonymous", None, vec![], expect(&public)),
        ("content key", None, as_key(&content_key), expect(&public)),
        ("author A", Some(author_a.clone()), vec![], expect(&["public_labor", "public_climate", "ana_labor_draft", "ana_climate_draft"])),
        ("author B", Some(author_b.clone()), vec![], expect(&["public_labor", "public_climate", "ben_labor_draft"])),
        ("labor editor", Some(labor_editor.clone()), vec![], expect(&["public_labor", "public_climate", "ana_labor_draft", "ben_labor_draft"])),
        ("climate editor", Some(climate_editor.clone()), vec![], expect(&["public_labor", "public_climate", "ana_climate_draft", "nobody_climate_review"])),
        ("admin", Some(admin.clone()), vec![], planted.values().cloned().collect()),
    ];
    for (who, token, headers, expected) in &callers {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut headers_with_token = headers.clone();
        let bearer = token.as_ref().map(|t| format!("Bearer {t}"));
        if let Some(bearer) = &bearer {
            headers_with_token.push(("Authorization", bearer.as_str()));
        }
        let found = app.get_with(&format!("/api/v1/search?q={WORD}&limit=100&facets=true"), &headers_with_token).await;
        assert_eq!(&ids(&found), expected, "{who} through /search");
        assert_eq!(found.json()["total"], expected.len(), "{who}: the total counts only what they may read");
        let facet_total: u64 = found.json()["facets"]["kind"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(facet_total, expected.len() as u64, "{who}: facets count only what they may read");
        let listed = app.get_with(&format!("/api/v1/essays?q={WORD}&limit=100"), &headers_with_token).await;
        assert_eq!(&ids(&listed), expected, "{who} through /essays?q=");
        // The lists without search are the reference: the same items carry the word.
        let all = app.get_with("/api/v1/essays?limit=100&title_like=Planted", &headers_with_token).await;
        assert_eq!(&ids(&all), expected, "{who}: search and the plain list agree");
        let answer = graphql(&app, token.as_deref(), "query($q: String!) { search(query: $q, first: 100) { totalCount edges { node { ... on Essay { databaseId } } } } }", json!({"q": WORD})).await;
        let via_graphql: BTreeSet<String> = answer["data"]["search"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["databaseId"].as_str().unwrap().to_owned()).collect();
        if headers.is_empty() {
            assert_eq!(&via_graphql, expected, "{who} through GraphQL: {answer}");
        }
        // A draft's own word finds nothing for those who may not read the draft.
        let secret = app.get_with("/api/v1/search?q=onlyanalabordraft", &headers_with_token).await;
        assert_eq!(ids(&secret).is_empty(), !expected.contains(&planted["ana_labor_draft"]), "{who}");
    }
    // A preview key reads drafts, as its lists do.
    let preview = app.get_with(&format!("/api/v1/search?q={WORD}&limit=100"), &[("X-Api-Key", preview_key.as_str())]).await;
    let preview_list = app.get_with("/api/v1/essays?limit=100&title_like=Planted", &[("X-Api-Key", preview_key.as_str())]).await;
    assert_eq!(ids(&preview), ids(&preview_list));
    // Suggestions never reveal a word only drafts hold.
    let typo = app.get("/api/v1/search?q=onlyanalabordraftt&facets=true").await.json();
    assert!(typo["did_you_mean"].is_null(), "{typo}");
}

async fn title_matches_rank_first_and_snippets_are_escaped(app: TestApp) {
    app.seed_demo().await;
    let labor = sector_id(&app, "labor").await;
    let climate = sector_id(&app, "climate-justice").await;
    let body_hit = published(&app, ContentKind::Essay, "A long piece", "Nothing to see.", &format!("Deep in the text the zephyrine plan & more. {}", "The zephyrine again. ".repeat(20)), labor).await;
    let title_hit = published(&app, ContentKind::StrategyAnalysis, "The Zephyrine Plan", "A summary.", &"Other words entirely. ".repeat(200), climate).await;
    let summary_hit = published(&app, ContentKind::NewsLink, "News of the day", "The zephyrine plan <script>alert(1)</script> & more, reported.", "Body.", climate).await;
    let reply = app.get("/api/v1/search?q=zephyrine&facets=true").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-total-count").as_deref(), Some("3"));
    let body = reply.json();
    let order: Vec<String> = body["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(order, vec![title_hit.to_string(), summary_hit.to_string(), body_hit.to_string()], "title above summary above body: {body}");
    let scores: Vec<f64> = body["hits"].as_array().unwrap().iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let snippet = body["hits"][1]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>zephyrine</mark>"), "{snippet}");
    assert!(!snippet.contains("<script>") && snippet.contains("&lt;script&gt;") && snippet.contains("&amp;"), "{snippet}");
    assert_eq!(body["hits"][0]["kind"], "strategy_analysis");
    assert_eq!(body["hits"][0]["slug"].as_str().unwrap().len() > 0, true);
    assert!(body["hits"][0]["published_at"].is_string());
    assert_eq!(body["facets"]["kind"], json!({"essay": 1, "news_link": 1, "strategy_analysis": 1}));
    let sectors = body["facets"]["sector"].as_array().unwrap();
    assert_eq!(sectors[0]["slug"], "climate-justice");
    assert_eq!(sectors[0]["count"], 2);
    assert_eq!(sectors[1]["slug"], "labor");
    // The same order through a list; a sort overrides relevance.
    assert_eq!(app.get("/api/v1/content?q=zephyrine").await.ids(), order);
    let by_title = app.get("/api/v1/content?q=zephyrine&sort=title").await.ids();
    assert_eq!(by_title, vec![body_hit.to_string(), summary_hit.to_string(), title_hit.to_string()]);
    // Filters combine with the match, in every dialect.
    assert_eq!(app.get("/api/v1/search?q=zephyrine&kind=essay").await.ids(), vec![body_hit.to_string()]);
    assert_eq!(app.get("/api/v1/search?q=zephyrine&sector=climate-justice").await.total(), 2);
    assert_eq!(app.get(&format!("/api/v1/content?filter={}&range=[0,0]", q(r#"{"q":"zephyrine","sector":"climate-justice"}"#))).await.ids(), vec![title_hit.to_string()]);
    assert_eq!(app.get("/api/v1/news-links?q=zephyrine&_start=0&_end=10").await.ids(), vec![summary_hit.to_string()]);
    // The grammar: phrases, exclusions, OR, prefixes.
    assert_eq!(app.get(&format!("/api/v1/search?q={}", q("\"plan zephyrine\""))).await.total(), 0);
    assert_eq!(app.get(&format!("/api/v1/search?q={}", q("\"zephyrine plan\" -reported"))).await.total(), 2);
    assert_eq!(app.get(&format!("/api/v1/search?q={}", q("zephyr*"))).await.total(), 3);
    assert_eq!(app.get(&format!("/api/v1/search?q={}", q("Zéphyrine OR nonexistentword"))).await.total(), 3);
    // Pages keep the search in their links.
    let first = app.get("/api/v1/search?q=zephyrine&limit=1&facets=true").await;
    assert_eq!(first.json()["hits"].as_array().unwrap().len(), 1);
    let link = first.header("link").unwrap();
    assert!(link.contains("q=zephyrine") && link.contains("facets=true") && link.contains("rel=\"next\""), "{link}");
}

async fn every_write_is_searchable_at_once(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let labor = app.get("/api/v1/sectors/labor").await.json();
    let created = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Harvest of quillwort", "summary": "s", "body": "b", "sector_ids": [labor["id"]]})).await.json();
    let id = created["id"].as_str().unwrap().to_owned();
    let found = |text: &str| {
        let path = format!("/api/v1/search?q={}", q(text));
        let app = &app;
        let admin = admin.clone();
        async move { app.get_as(&admin, &path).await.total() }
    };
    assert_eq!(found("quillwort").await, 1);
    assert_eq!(app.get("/api/v1/search?q=quillwort").await.total(), 0, "a draft is not public");
    app.post_as(&admin, &format!("/api/v1/essays/{id}/publish"), &json!({"version": 1})).await;
    assert_eq!(app.get("/api/v1/search?q=quillwort").await.total(), 1, "published: everyone finds it");
    let patched = app.send(Method::PATCH, &format!("/api/v1/essays/{id}"), Some(&admin), Some(&json!({"title": "Harvest of sorrel", "version": 2}).to_string()), &[("Content-Type", "application/merge-patch+json")]).await;
    assert_eq!(patched.status, 200, "{}", String::from_utf8_lossy(&patched.body));
    assert_eq!(found("quillwort").await, 0);
    assert_eq!(found("sorrel").await, 1);
    // A refused write changes nothing.
    let stale = app.send(Method::PATCH, &format!("/api/v1/essays/{id}"), Some(&admin), Some(&json!({"title": "Harvest of yarrow", "version": 1}).to_string()), &[("Content-Type", "application/merge-patch+json")]).await;
    assert_eq!(stale.status, 412);
    assert_eq!(found("yarrow").await, 0);
    // Renaming a sector re-indexes its items.
    let renamed = app.send(Method::PATCH, &format!("/api/v1/sectors/{}", labor["id"].as_str().unwrap()), Some(&admin), Some(&json!({"name": "Labour movement"}).to_string()), &[("Content-Type", "application/merge-patch+json")]).await;
    assert_eq!(renamed.status, 200, "{}", String::from_utf8_lossy(&renamed.body));
    let by_sector = app.get_as(&admin, "/api/v1/search?q=labour&limit=100").await;
    assert!(ids(&by_sector).contains(&id), "found by the sector's new name");
    // Trash hides it from everyone's search but the trash's; purging removes it.
    let etag = app.get_as(&admin, &format!("/api/v1/essays/{id}")).await.header("etag").unwrap();
    let trashed = app.send(Method::DELETE, &format!("/api/v1/essays/{id}"), Some(&admin), None, &[("If-Match", etag.as_str())]).await;
    assert_eq!(trashed.status, 200, "{}", String::from_utf8_lossy(&trashed.body));
    assert_eq!(app.get("/api/v1/search?q=sorrel").await.total(), 0);
    assert_eq!(found("sorrel").await, 0);
    assert_eq!(app.get_as(&admin, "/api/v1/essays?q=sorrel&status=trashed").await.total(), 1);
    assert_eq!(app.get_as(&admin, "/api/v1/search?q=sorrel&status=trashed").await.ids(), vec![id.clone()]);
    assert_eq!(app.get("/api/v1/search?q=sorrel&status=trashed").await.total(), 0, "the trash is not public");
    assert_eq!(app.send(Method::DELETE, &format!("/api/v1/essays/{id}?purge=true"), Some(&admin), None, &[]).await.status, 200);
    assert_eq!(app.get_as(&admin, "/api/v1/essays?q=sorrel&status=trashed").await.total(), 0);
    let documents = entity::search_document::Entity::find().filter(entity::search_document::Column::ContentId.eq(Uuid::parse_str(&id).unwrap())).all(&app.db).await.unwrap();
    assert!(documents.is_empty(), "a purged item leaves no document");
    // Rebuilding gives the same answers.
    let before = app.get("/api/v1/search?q=organizing&limit=100").await.ids();
    let rebuilt = api::services::search::index::rebuild(&app.db).await.unwrap();
    assert_eq!(rebuilt, entity::content_item::Entity::find().count(&app.db).await.unwrap());
    assert_eq!(app.get("/api/v1/search?q=organizing&limit=100").await.ids(), before);
}

async fn the_longest_body_of_distinct_words_is_indexed(app: TestApp) {
    let admin = app.admin().await;
    // 499,999 characters, nearly every word a new one: the worst case for an index's size.
    let mut body = String::from("openingword ");
    let mut n = 0u64;
    while body.len() < 499_990 {
        body.push_str(&format!("w{n:x} "));
        n += 1;
    }
    let created = app.post_as(&admin, "/api/v1/essays", &json!({"title": "A very long essay", "summary": "s", "body": body})).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body[..created.body.len().min(500)]));
    assert_eq!(app.get_as(&admin, "/api/v1/search?q=openingword").await.total(), 1);
    assert_eq!(app.get_as(&admin, "/api/v1/search?q=w1f").await.total(), 1, "early words are found");
}

async fn a_misspelt_search_gets_a_suggestion(app: TestApp) {
    app.seed_demo().await;
    let body = app.get("/api/v1/search?q=warehuose&facets=true").await.json();
    assert_eq!(body["total"], 0);
    assert_eq!(body["did_you_mean"], "warehouse");
    let corrected = app.get("/api/v1/search?q=warehouse").await;
    assert!(corrected.total() > 0);
    let two = app.get(&format!("/api/v1/search?facets=true&q={}", q("rapdi respnse"))).await.json();
    assert_eq!(two["did_you_mean"], "rapid response");
    let found = app.get(&format!("/api/v1/search?facets=true&q={}", q("rapid response"))).await.json();
    assert!(found["did_you_mean"].is_null(), "a query that finds something needs no suggestion");
    let gibberish = app.get("/api/v1/search?q=xqzvjwpk&facets=true").await.json();
    assert!(gibberish["did_you_mean"].is_null());
    let answer = graphql(&app, None, "{ search(query: \"warehuose\") { totalCount didYouMean } }", json!({})).await;
    assert_eq!(answer["data"]["search"]["didYouMean"], "warehouse", "{answer}");
}

async fn statements_do_not_grow_with_the_page(app: TestApp) {
    app.seed_demo().await;
    published_essays(&app.db, 30).await;
    let mut counts = Vec::new();
    for limit in [1, 25] {
        let before = app.statements().await;
        let reply = app.get(&format!("/api/v1/search?q=organizing&facets=true&limit={limit}")).await;
        assert_eq!(reply.json()["hits"].as_array().unwrap().len(), limit);
        let rest = app.statements().await - before;
        let before = app.statements().await;
        let answer = graphql(&app, None, &format!("{{ search(query: \"organizing\", first: {limit}) {{ totalCount facets {{ kinds {{ kind count }} }} edges {{ snippet score node {{ ... on Essay {{ title authors {{ displayName }} sectors {{ name }} }} }} }} }} }}"), json!({})).await;
        assert_eq!(answer["data"]["search"]["edges"].as_array().unwrap().len(), limit, "{answer}");
        counts.push((rest, app.statements().await - before));
    }
    assert_eq!(counts[0], counts[1], "statements for 1 and 25 hits (REST, GraphQL)");
}

async fn graphql_search_is_a_connection_with_snippets(app: TestApp) {
    app.seed_demo().await;
    let query = "query($q: String!, $after: String) { search(query: $q, first: 2, after: $after, filter: {kind: [ESSAY, STRATEGY_ANALYSIS]}) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor snippet score node { __typename ... on Essay { title } ... on StrategyAnalysis { title } } }
        facets { kinds { kind count } sectors { slug count } } } }";
    let first = graphql(&app, None, query, json!({"q": "organizing"})).await;
    let page = &first["data"]["search"];
    assert!(first["errors"].is_null(), "{first}");
    assert_eq!(page["edges"].as_array().unwrap().len(), 2);
    assert!(page["edges"][0]["snippet"].as_str().unwrap().contains("<mark>"), "{page}");
    let rest = app.get("/api/v1/search?q=organizing&kind=essay,strategy_analysis&limit=100").await;
    assert_eq!(page["totalCount"].as_u64().unwrap(), rest.total());
    let kinds: u64 = page["facets"]["kinds"].as_array().unwrap().iter().map(|k| k["count"].as_u64().unwrap()).sum();
    assert_eq!(kinds, rest.total());
    let second = graphql(&app, None, query, json!({"q": "organizing", "after": page["pageInfo"]["endCursor"]})).await;
    let titles = |p: &Value| -> Vec<String> { p["edges"].as_array().unwrap().iter().map(|e| e["node"]["title"].as_str().unwrap().to_owned()).collect() };
    let rest_titles: Vec<String> = rest.json().as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!([titles(page), titles(&second["data"]["search"])].concat(), rest_titles[..4].to_vec(), "GraphQL pages follow the REST order");
    // Lists take a search in their filter too.
    let listed = graphql(&app, None, "{ essays(filter: {search: \"organizing\"}) { totalCount } }", json!({})).await;
    assert_eq!(listed["data"]["essays"]["totalCount"].as_u64().unwrap(), app.get("/api/v1/essays?q=organizing").await.total());
    let bad = graphql(&app, None, "{ search(query: \"*\") { totalCount } }", json!({})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{bad}");
}

async fn the_plan_uses_the_index(app: TestApp) {
    app.seed_demo().await;
    let climate = sector_id(&app, "climate-justice").await;
    published(&app, ContentKind::Essay, "Glasswort", "A rare plant.", "Only here.", climate).await;
    published_essays(&app.db, 200).await;
    let txn = app.db.begin().await.unwrap();
    let index = match app.db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => "search_index VIRTUAL TABLE INDEX",
        _ => {
            // With statistics, the rare word's documents drive the join. Tables this small are
            // still cheapest read whole or through any btree, so the question is whether the GIN
            // index can answer the statement's match, as it must for a large one.
            txn.execute_unprepared("ANALYZE").await.unwrap();
            txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
            txn.execute_unprepared("SET LOCAL enable_indexscan = off").await.unwrap();
            "Bitmap Index Scan on search_documents_vector"
        }
    };
    let plan = api::services::search::plan(&txn, "glasswort -strike").await.unwrap();
    assert!(plan.contains(index), "{plan}");
    txn.rollback().await.unwrap();
}

crate::on_both_databases!(
    hostile_input_is_a_result_or_a_problem,
    everyone_finds_exactly_what_the_lists_show_them,
    title_matches_rank_first_and_snippets_are_escaped,
    every_write_is_searchable_at_once,
    the_longest_body_of_distinct_words_is_indexed,
    a_misspelt_search_gets_a_suggestion,
    statements_do_not_grow_with_the_page,
    graphql_search_is_a_connection_with_snippets,
    the_plan_uses_the_index,
);
