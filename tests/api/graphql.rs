//! GraphQL reads: the same items as REST for every caller, no draft through any path, batched
//! relations, limits, and a current `schema.graphql`.

use serde_json::{Value, json};

use crate::fixtures::published_essays;
use crate::helpers::urlencode;
use crate::helpers::{Reply, TestApp};

async fn graphql(app: &TestApp, token: Option<&str>, query: &str) -> Reply {
    let body = json!({"query": query}).to_string();
    app.send(reqwest::Method::POST, "/graphql", token, Some(&body), &[]).await
}

fn data(reply: &Reply) -> Value {
    let body = reply.json();
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

async fn graphql_and_rest_agree_for_every_caller(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let preview = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "p", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();
    let content_key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "c", "scope": "content"})).await.json()["secret"].as_str().unwrap().to_owned();
    let (_, editor) = app.user("editor", &[app.get("/api/v1/sectors/labor").await.json()["id"].as_str().unwrap().to_owned()], None).await;
    let profile = app.get("/api/v1/editors?limit=1").await.json()[0]["id"].as_str().unwrap().to_owned();
    let (_, author) = app.user("author", &[], Some(&profile)).await;
    let (_, collector) = app.user("news_collector", &[], None).await;
    for (who, token) in [
        ("anonymous", None),
        ("content key", Some(content_key.as_str())),
        ("preview key", Some(preview.as_str())),
        ("author", Some(author.as_str())),
        ("news collector", Some(collector.as_str())),
        ("editor", Some(editor.as_str())),
        ("admin", Some(admin.as_str())),
    ] {
        for (field, path) in [("essays", "essays"), ("analyses", "analyses"), ("blogPosts", "blog-posts"), ("newsLinks", "news-links"), ("content", "content")] {
            let rest = app.send(reqwest::Method::GET, &format!("/api/v1/{path}?limit=100"), token, None, &[]).await;
            let gql = data(&graphql(&app, token, &format!("{{ {field}(first: 100) {{ totalCount nodes {{ databaseId }} }} }}")).await);
            let ids: Vec<String> = gql[field]["nodes"].as_array().unwrap().iter().map(|n| n["databaseId"].as_str().unwrap().to_owned()).collect();
            assert_eq!(ids, rest.ids(), "{who} {field}");
            assert_eq!(gql[field]["totalCount"].as_u64().unwrap(), rest.total(), "{who} {field} count");
        }
        let rest_drafts = app.send(reqwest::Method::GET, "/api/v1/content?status=draft&limit=100", token, None, &[]).await;
        let gql_drafts = data(&graphql(&app, token, "{ content(first: 100, filter: {status: [DRAFT]}) { totalCount } }").await);
        assert_eq!(gql_drafts["content"]["totalCount"].as_u64().unwrap(), rest_drafts.total(), "{who} drafts");
    }
}

async fn drafts_never_leak_through_graphql(app: TestApp) {
    app.seed_demo().await;
    let drafts = entity::content_item::Entity::find().all(&app.db).await.unwrap();
    use sea_orm::EntityTrait;
    for item in drafts.iter().filter(|i| i.status != "published") {
        let type_name = match item.kind.as_str() {
            "essay" => "Essay",
            "strategy_analysis" => "StrategyAnalysis",
            "blog_post" => "BlogPost",
            _ => "NewsLink",
        };
        let global = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, format!("{type_name}:{}", item.id));
        let reply = data(&graphql(&app, None, &format!("{{ node(id: \"{global}\") {{ id }} nodes(ids: [\"{global}\"]) {{ id }} }}")).await);
        assert!(reply["node"].is_null(), "node({type_name} {}) leaked", item.slug);
        assert!(reply["nodes"][0].is_null());
        if item.kind == "essay" {
            let by_slug = data(&graphql(&app, None, &format!("{{ essay(slug: \"{}\") {{ id }} }}", item.slug)).await);
            assert!(by_slug["essay"].is_null());
        }
    }
    let filtered = data(&graphql(&app, None, "{ content(first: 100, filter: {status: [DRAFT, IN_REVIEW, SCHEDULED, ARCHIVED]}) { totalCount } }").await);
    assert_eq!(filtered["content"]["totalCount"], 0);
    let hidden = entity::editor::Entity::find().all(&app.db).await.unwrap().into_iter().find(|e| !e.visible).unwrap();
    let editor = data(&graphql(&app, None, &format!("{{ editor(slug: \"{}\") {{ id }} }}", hidden.slug)).await);
    assert!(editor["editor"].is_null());
}

async fn relations_are_batched(app: TestApp) {
    app.seed_demo().await;
    published_essays(&app.db, 110).await;
    let query = |first: u32| format!("{{ essays(first: {first}) {{ nodes {{ title authors {{ displayName sectors {{ slug }} }} sectors {{ name }} tags {{ name }} question {{ title }} }} }} }}");
    let mut counts = Vec::new();
    for first in [5, 100] {
        let before = app.statements().await;
        let reply = graphql(&app, None, &query(first)).await;
        let after = app.statements().await;
        assert_eq!(data(&reply)["essays"]["nodes"].as_array().unwrap().len(), first as usize);
        counts.push(after - before);
    }
    assert_eq!(counts[0], counts[1], "statements for 5 and for 100 essays: {counts:?}");
    assert!(counts[0] <= 12, "{counts:?}");
    // totalCount is counted only when selected; hasNextPage is right either way.
    let statements = |query: &'static str| {
        let app = &app;
        async move {
            let before = app.statements().await;
            let reply = data(&graphql(app, None, query).await);
            (app.statements().await - before, reply)
        }
    };
    let (without, reply) = statements("{ essays(first: 2) { pageInfo { hasNextPage } nodes { title } } }").await;
    assert_eq!(reply["essays"]["pageInfo"]["hasNextPage"], true);
    let counted = "{ essays(first: 2) { totalCount pageInfo { hasNextPage } nodes { title } } }";
    let (with, reply) = statements(counted).await;
    assert_eq!(reply["essays"]["pageInfo"]["hasNextPage"], true);
    assert!(reply["essays"]["totalCount"].as_u64().unwrap() > 100);
    assert_eq!(with, without + 2, "the count (and the position it is kept at) runs only when totalCount is selected");
    let (kept, again) = statements(counted).await;
    assert_eq!(again["essays"]["totalCount"], reply["essays"]["totalCount"]);
    assert_eq!(kept, without + 1, "a public total is kept while the change log stands still");
    let (_, last_page) = statements("{ essays(first: 100, after: \"bzoxMDA\") { pageInfo { hasNextPage } nodes { title } } }").await;
    assert_eq!(last_page["essays"]["pageInfo"]["hasNextPage"], false);
}

async fn limits_are_enforced_before_any_database_work(app: TestApp) {
    let over = graphql(&app, None, "{ essays(first: 101) { totalCount } }").await.json();
    assert_eq!(over["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(over["errors"][0]["message"].as_str().unwrap().contains("100"));
    let normal = "{ essays { nodes { authors { sectors { id } } } } }";
    assert!(graphql(&app, None, normal).await.json()["errors"].is_null(), "a normal query passes");
    let mut bomb = "id".to_owned();
    for _ in 0..20 {
        bomb = format!("blog {{ bloggers {{ sectors {{ id }} }} id }} authors {{ id }} sectors {{ {bomb} }}");
    }
    let before = app.statements().await;
    let refused = graphql(&app, None, &format!("{{ blogPosts {{ nodes {{ {bomb} }} }} }}")).await.json();
    assert!(!refused["errors"].is_null(), "a depth bomb is refused");
    assert_eq!(app.statements().await - before, 0, "refused before any database work");
    let aliases: String = (0..300).map(|i| format!("a{i}: essays(first: 100) {{ nodes {{ title authors {{ displayName }} }} }} ")).collect();
    assert!(!graphql(&app, None, &format!("{{ {aliases} }}")).await.json()["errors"].is_null(), "an alias bomb is refused");
    let get = app.get("/graphql?query=%7B%20sectors%20%7B%20totalCount%20%7D%20%7D").await;
    assert_eq!(get.json()["data"]["sectors"]["totalCount"], 0);
}

async fn guide_examples_run(app: TestApp) {
    app.seed_demo().await;
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/graphql.md")).unwrap();
    let examples: Vec<&str> = guide.split("```graphql").skip(1).filter_map(|block| block.split("```").next()).collect();
    assert!(examples.len() >= 3, "the guide has examples");
    for example in examples {
        let reply = graphql(&app, None, example).await;
        assert_eq!(reply.status, 200);
        let body = reply.json();
        assert!(body["errors"].is_null(), "{example}: {body}");
        assert!(!body["data"].is_null());
    }
}

async fn mutations_mirror_rest(app: TestApp) {
    app.seed_demo().await;
    let login = data(&graphql(&app, None, &format!("mutation {{ login(email: \"{}\", password: \"{}\") {{ accessToken tokenType expiresIn refreshToken }} }}", crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)).await);
    let admin = login["login"]["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(login["login"]["tokenType"], "Bearer");
    let code = |reply: &Reply| reply.json()["errors"][0]["extensions"]["code"].as_str().unwrap_or("none").to_owned();

    let anonymous = graphql(&app, None, "mutation { createContent(kind: ESSAY, input: {title: \"Nope\"}) { id } }").await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let created = data(&graphql(&app, Some(&admin), "mutation { createContent(kind: ESSAY, input: {title: \"Made over GraphQL\", summary: \"s\"}) { id databaseId version status slug } }").await);
    let item = &created["createContent"];
    assert_eq!(item["status"], "DRAFT");
    assert_eq!(item["slug"], "made-over-graphql");
    let id = item["id"].as_str().unwrap().to_owned();
    // The same item over REST.
    let rest = app.get_as(&admin, &format!("/api/v1/essays/{}", item["databaseId"].as_str().unwrap())).await.json();
    assert_eq!(rest["title"], "Made over GraphQL");

    let published = data(&graphql(&app, Some(&admin), &format!("mutation {{ transitionContent(id: \"{id}\", action: PUBLISH, expectedVersion: 1) {{ status version publishedAt }} }}")).await);
    assert_eq!(published["transitionContent"]["status"], "PUBLISHED");
    let stale = graphql(&app, Some(&admin), &format!("mutation {{ updateContent(id: \"{id}\", input: {{title: \"Lost\"}}, expectedVersion: 1) {{ version }} }}")).await;
    assert_eq!(code(&stale), "CONFLICT");
    let missing = graphql(&app, Some(&admin), &format!("mutation {{ updateContent(id: \"{id}\", input: {{title: \"Blind\"}}) {{ version }} }}")).await;
    assert_eq!(code(&missing), "CONFLICT", "a version is required");
    let invalid = graphql(&app, Some(&admin), &format!("mutation {{ updateContent(id: \"{id}\", input: {{title: \" \"}}, expectedVersion: 2) {{ version }} }}")).await.json();
    assert_eq!(invalid["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(invalid["errors"][0]["extensions"]["errors"]["title"].is_array(), "{invalid}");
    let impossible = graphql(&app, Some(&admin), &format!("mutation {{ transitionContent(id: \"{id}\", action: SUBMIT, expectedVersion: 2) {{ version }} }}")).await;
    assert_eq!(code(&impossible), "CONFLICT");
    let (_, collector) = app.user("news_collector", &[], None).await;
    let forbidden = graphql(&app, Some(&collector), &format!("mutation {{ transitionContent(id: \"{id}\", action: UNPUBLISH, expectedVersion: 2) {{ version }} }}")).await;
    assert_eq!(code(&forbidden), "FORBIDDEN");
    let trashed = data(&graphql(&app, Some(&admin), &format!("mutation {{ deleteContent(id: \"{id}\") {{ id }} }}")).await);
    assert_eq!(trashed["deleteContent"]["id"], id.as_str());
    assert!(data(&graphql(&app, None, &format!("{{ node(id: \"{id}\") {{ id }} }}")).await)["node"].is_null());
    // Mutations never run over GET.
    let get = app.get("/graphql?query=mutation%20%7B%20logout%20%7D").await.json();
    assert!(!get["errors"].is_null());
}

async fn admin_reads_and_persisted_queries(app: TestApp) {
    let admin = app.admin().await;
    let query = "{ users { totalCount nodes { email role } } roles { nodes { name permissions { resource action scope } } } apiKeys { totalCount } auditLog(first: 5) { nodes { action resource } } }";
    let reply = data(&graphql(&app, Some(&admin), query).await);
    assert_eq!(reply["users"]["nodes"][0]["email"], crate::helpers::ADMIN_EMAIL);
    assert!(reply["roles"]["nodes"].as_array().unwrap().len() >= 4);
    let anonymous = graphql(&app, None, "{ users { totalCount } }").await.json();
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, editor) = app.user("editor", &[], None).await;
    let refused = graphql(&app, Some(&editor), "{ auditLog { totalCount } }").await.json();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // Automatic persisted queries: a hash alone is unknown until the text has been sent once.
    use sha2::Digest;
    let text = "{ sectors { totalCount } }";
    let hash: String = sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let by_hash = |with_text: bool| {
        let mut body = json!({"extensions": extensions});
        if with_text {
            body["query"] = json!(text);
        }
        body.to_string()
    };
    let unknown = app.send(reqwest::Method::POST, "/graphql", None, Some(&by_hash(false)), &[]).await.json();
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(app.send(reqwest::Method::POST, "/graphql", None, Some(&by_hash(true)), &[]).await.json()["errors"].is_null());
    let known = app.send(reqwest::Method::POST, "/graphql", None, Some(&by_hash(false)), &[]).await.json();
    assert!(known["errors"].is_null(), "{known}");
    let get = app.get(&format!("/graphql?extensions={}", urlencode(&extensions.to_string()))).await.json();
    assert!(get["data"]["sectors"]["totalCount"].is_number(), "a CDN can cache GET by hash: {get}");
}

async fn nested_paths_follow_the_policy_in_batches(app: TestApp) {
    app.seed_demo().await;
    published_essays(&app.db, 60).await;
    let admin = app.admin().await;
    for (who, token) in [("anonymous", None), ("admin", Some(admin.as_str()))] {
        for (list, child, filter) in [("sectors", "content", "sector"), ("tags", "content", "tag"), ("editors", "essays", "author"), ("blogs", "posts", "blog"), ("questions", "content", "question")] {
            let reply = data(&graphql(&app, token, &format!("{{ {list}(first: 10) {{ nodes {{ slug {child}(first: 100) {{ totalCount nodes {{ databaseId status }} }} }} }} }}")).await);
            let rest_path = match list {
                "editors" => "essays",
                "blogs" => "blog-posts",
                _ => "content",
            };
            for parent in reply[list]["nodes"].as_array().unwrap() {
                let slug = parent["slug"].as_str().unwrap();
                let rest = app.send(reqwest::Method::GET, &format!("/api/v1/{rest_path}?{filter}={slug}&limit=100"), token, None, &[]).await;
                let ids: Vec<String> = parent[child]["nodes"].as_array().unwrap().iter().map(|n| n["databaseId"].as_str().unwrap().to_owned()).collect();
                assert_eq!(parent[child]["totalCount"].as_u64().unwrap(), rest.total(), "{who} {list} {slug}");
                assert_eq!(ids, rest.ids(), "{who} {list} {slug}: same items, same order");
                if token.is_none() {
                    assert!(parent[child]["nodes"].as_array().unwrap().iter().all(|n| n["status"] == "PUBLISHED"), "{list} {slug} leaks a draft");
                }
            }
        }
    }
    // The statements behind nested pages do not grow with the number of parents or the page size.
    let shape = |parents: u32, children: u32| format!("{{ tags(first: {parents}) {{ nodes {{ content(first: {children}) {{ totalCount nodes {{ title }} }} }} }} }}");
    let mut counts = Vec::new();
    for (parents, children) in [(2, 2), (13, 50)] {
        let before = app.statements().await;
        data(&graphql(&app, None, &shape(parents, children)).await);
        counts.push(app.statements().await - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
}

async fn catalog_admin_mutations_and_revisions(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none").to_owned();
    let tag = data(&graphql(&app, Some(&admin), "mutation { createTag(input: {name: \"Solidarity Economy\"}) { id slug } }").await);
    assert_eq!(tag["createTag"]["slug"], "solidarity-economy");
    let id = tag["createTag"]["id"].as_str().unwrap();
    let renamed = data(&graphql(&app, Some(&admin), &format!("mutation {{ updateTag(id: \"{id}\", input: {{name: \"Solidarity economy\"}}) {{ name slug }} }}")).await);
    assert_eq!(renamed["updateTag"]["slug"], "solidarity-economy", "an update without a slug keeps it");
    assert_eq!(app.get("/api/v1/tags/solidarity-economy").await.json()["name"], "Solidarity economy");
    let deleted = data(&graphql(&app, Some(&admin), &format!("mutation {{ deleteCatalogEntry(kind: TAG, id: \"{id}\") }}")).await);
    assert_eq!(deleted["deleteCatalogEntry"], true);
    let (_, author) = app.user("author", &[], None).await;
    let refused = graphql(&app, Some(&author), "mutation { createSector(input: {name: \"Nope\"}) { id } }").await.json();
    assert_eq!(code(&refused), "FORBIDDEN");
    let invalid = graphql(&app, Some(&admin), "mutation { createEditor(input: {displayName: \"\", teamRole: EDITOR}) { id } }").await.json();
    assert_eq!(code(&invalid), "BAD_USER_INPUT");

    let role = data(&graphql(&app, Some(&admin), "mutation { createRole(input: {name: \"tagger\", permissions: [{resource: TAGS, action: CREATE, scope: ALL}]}) { name permissions { resource action scope } } }").await);
    assert_eq!(role["createRole"]["permissions"][0]["resource"], "TAGS");
    let user = data(&graphql(&app, Some(&admin), "mutation { createUser(input: {email: \"tagger@example.org\", password: \"a-long-enough-password\", role: \"tagger\"}) { id email role } }").await);
    assert_eq!(user["createUser"]["role"], "tagger");
    let key = data(&graphql(&app, Some(&admin), "mutation { createApiKey(input: {name: \"site\", scope: CONTENT}) { secret key { id scope } } }").await);
    assert!(key["createApiKey"]["secret"].as_str().unwrap().starts_with("ou_"));
    let key_id = key["createApiKey"]["key"]["id"].as_str().unwrap();
    let revoked = data(&graphql(&app, Some(&admin), &format!("mutation {{ revokeApiKey(id: \"{key_id}\") {{ revokedAt }} }}")).await);
    assert!(revoked["revokeApiKey"]["revokedAt"].is_string());

    // Revisions: the history for those who may read it, nothing for the public.
    let history = "{ essays(first: 3) { nodes { title revisions { version note } } } }";
    let for_admin = data(&graphql(&app, Some(&admin), history).await);
    assert!(for_admin["essays"]["nodes"].as_array().unwrap().iter().all(|e| e["revisions"].as_array().is_some()));
    let created = data(&graphql(&app, Some(&admin), "mutation { createContent(kind: ESSAY, input: {title: \"With history\"}) { id } }").await);
    let essay_id = created["createContent"]["id"].as_str().unwrap();
    graphql(&app, Some(&admin), &format!("mutation {{ transitionContent(id: \"{essay_id}\", action: PUBLISH, expectedVersion: 1) {{ version }} }}")).await;
    let own = data(&graphql(&app, Some(&admin), &format!("{{ node(id: \"{essay_id}\") {{ ... on Essay {{ revisions {{ version note }} }} }} }}")).await);
    let notes: Vec<&str> = own["node"]["revisions"].as_array().unwrap().iter().map(|r| r["note"].as_str().unwrap()).collect();
    assert_eq!(notes, ["create", "publish"]);
    let public = data(&graphql(&app, None, &format!("{{ node(id: \"{essay_id}\") {{ ... on Essay {{ title revisions {{ version }} }} }} }}")).await);
    assert_eq!(public["node"]["revisions"], json!([]), "the public sees no history");
}

async fn every_list_pages_both_ways_with_filters(app: TestApp) {
    app.seed_demo().await;
    let rest_ids = app.get("/api/v1/content?sector=labor&limit=100").await.ids();
    let ids = |value: &Value| -> Vec<String> { value["nodes"].as_array().unwrap().iter().map(|n| n["databaseId"].as_str().unwrap().to_owned()).collect() };
    let last = data(&graphql(&app, None, "{ sector(slug: \"labor\") { content(last: 2) { nodes { databaseId } edges { cursor } pageInfo { hasPreviousPage hasNextPage } } } }").await);
    let page = &last["sector"]["content"];
    assert_eq!(ids(page), rest_ids[rest_ids.len() - 2..].to_vec(), "last: 2 is the oldest two, newest first");
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    let cursor = page["edges"][0]["cursor"].as_str().unwrap();
    let before = data(&graphql(&app, None, &format!("{{ sector(slug: \"labor\") {{ content(last: 3, before: \"{cursor}\") {{ nodes {{ databaseId }} }} }} }}")).await);
    assert_eq!(ids(&before["sector"]["content"]), rest_ids[rest_ids.len() - 5..rest_ids.len() - 2].to_vec());
    let first = data(&graphql(&app, None, "{ sector(slug: \"labor\") { content(first: 3) { nodes { databaseId } edges { cursor } } } }").await);
    assert_eq!(ids(&first["sector"]["content"]), rest_ids[..3].to_vec());
    let after = first["sector"]["content"]["edges"][2]["cursor"].as_str().unwrap();
    let next = data(&graphql(&app, None, &format!("{{ sector(slug: \"labor\") {{ content(first: 3, after: \"{after}\") {{ nodes {{ databaseId }} }} }} }}")).await);
    assert_eq!(ids(&next["sector"]["content"]), rest_ids[3..6].to_vec());

    let tags = data(&graphql(&app, None, "{ tags(filter: {nameContains: \"OR\"}, orderBy: NAME_DESC) { totalCount nodes { databaseId } } }").await);
    let rest_tags = app.get("/api/v1/tags?name_like=OR&sort=-name").await;
    assert_eq!(ids(&tags["tags"]), rest_tags.ids());
    assert!(rest_tags.total() > 0);
    let bloggers = data(&graphql(&app, None, "{ editors(filter: {teamRole: [BLOGGER], sector: [\"labor\"]}, orderBy: NAME_ASC) { nodes { databaseId } } }").await);
    assert_eq!(ids(&bloggers["editors"]), app.get("/api/v1/editors?team_role=blogger&sector=labor&sort=display_name").await.ids());
    let sectors = data(&graphql(&app, None, "{ sectors(last: 2, orderBy: POSITION_ASC) { nodes { slug } } }").await);
    assert_eq!(sectors["sectors"]["nodes"][1]["slug"], "housing-justice");
    let wrong = graphql(&app, None, "{ tags(orderBy: POSITION_ASC) { totalCount } }").await.json();
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn endpoint_speaks_the_usual_ways(app: TestApp) {
    let page = app.get_with("/graphql", &[("Accept", "text/html")]).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&page.body).to_lowercase().contains("graphiql"));
    let typed = app
        .send(reqwest::Method::POST, "/graphql", None, Some("{\"query\":\"{ sectors { totalCount } }\"}"), &[("Accept", "application/graphql-response+json")])
        .await;
    assert_eq!(typed.status, 200);
    assert_eq!(typed.header("content-type").unwrap(), "application/graphql-response+json");
    let batch = app.send(reqwest::Method::POST, "/graphql", None, Some("[{\"query\":\"{ sectors { totalCount } }\"}]"), &[]).await;
    assert_eq!(batch.status, 400, "batches are refused");
    let variables = app
        .send(reqwest::Method::POST, "/graphql", None, Some("{\"query\":\"query($n: Int) { tags(first: $n) { totalCount } }\",\"variables\":{\"n\":2}}"), &[])
        .await;
    assert!(variables.json()["errors"].is_null());
}

async fn graphiql_is_served_offline(app: TestApp) {
    let page = app.get_with("/graphql", &[("Accept", "text/html,application/xhtml+xml")]).await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body).into_owned();
    assert!(!html.contains("://"), "the page loads nothing from another host: {html}");
    assert!(page.header("content-security-policy").unwrap().contains("script-src 'self'"));
    let assets: Vec<&str> = html.split("\"/graphql/assets/").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    assert!(assets.iter().any(|a| a.starts_with("graphiql-") && a.ends_with(".js")), "{assets:?}");
    assert!(assets.iter().any(|a| a.starts_with("react-dom-")), "{assets:?}");
    for asset in assets {
        let reply = app.get(&format!("/graphql/assets/{asset}")).await;
        assert_eq!(reply.status, 200, "{asset}");
        let media = if asset.ends_with(".css") { "text/css" } else { "text/javascript" };
        assert!(reply.header("content-type").unwrap().starts_with(media), "{asset}");
        assert!(!reply.body.is_empty());
    }
    app.get("/graphql/assets/missing.js").await.assert_problem(404);
}

/// The introspection queries graphql-js's `getIntrospectionQuery()` writes, with its defaults and
/// with every option (`tests/api/fixtures/introspection/`).
fn introspection_fixtures() -> Vec<(String, String)> {
    ["introspection-default", "introspection-all-options"]
        .iter()
        .map(|name| {
            let path = format!("{}/tests/api/fixtures/introspection/{name}.graphql", env!("CARGO_MANIFEST_DIR"));
            ((*name).to_owned(), std::fs::read_to_string(path).unwrap())
        })
        .collect()
}

async fn standard_introspection_describes_the_whole_schema(app: TestApp) {
    for (name, query) in introspection_fixtures() {
        let body = json!({"query": query, "operationName": "IntrospectionQuery"}).to_string();
        let schema = data(&app.send(reqwest::Method::POST, "/graphql", None, Some(&body), &[]).await)["__schema"].clone();
        assert_eq!(schema["queryType"]["name"], "QueryRoot", "{name}");
        assert_eq!(schema["mutationType"]["name"], "MutationRoot", "{name}");
        let types = schema["types"].as_array().unwrap();
        let named: std::collections::HashSet<&str> = types.iter().map(|t| t["name"].as_str().unwrap()).collect();
        for wanted in ["Essay", "Content", "Node", "ContentFilter", "EssayConnection", "DateTime", "UUID"] {
            assert!(named.contains(wanted), "{name}: {wanted}");
        }
        // What a client schema is built from: every type reference ends in a type the answer names.
        fn resolves(reference: &Value, named: &std::collections::HashSet<&str>) -> bool {
            match reference["name"].as_str() {
                Some(name) => named.contains(name),
                None => reference["ofType"].is_object() && resolves(&reference["ofType"], named),
            }
        }
        for ty in types {
            for field in ty["fields"].as_array().into_iter().flatten() {
                assert!(resolves(&field["type"], &named), "{name}: {}.{}", ty["name"], field["name"]);
                for arg in field["args"].as_array().unwrap() {
                    assert!(resolves(&arg["type"], &named), "{name}: {}.{}({})", ty["name"], field["name"], arg["name"]);
                }
            }
        }
        if name.ends_with("all-options") {
            let date_time = types.iter().find(|t| t["name"] == "DateTime").unwrap();
            assert!(date_time["specifiedByURL"].as_str().unwrap().starts_with("https://"), "{date_time}");
        }
        // The same query over GET works as well (codegen tools send either).
        let get = app.get(&format!("/graphql?query={}", urlencode(&query))).await;
        assert!(get.json()["errors"].is_null(), "{name} over GET: {}", get.json());
    }
    // Listing introspection lists in one another without end is refused before any work.
    let mut fan_out = "name".to_owned();
    for _ in 0..6 {
        fan_out = format!("fields {{ type {{ {fan_out} }} }}");
    }
    let refused = graphql(&app, None, &format!("{{ __schema {{ types {{ {fan_out} }} }} }}")).await.json();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    // Data next to the schema is held to the data limits.
    let mixed = format!("{{ essays {{ totalCount }} {} }}", "__schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }");
    assert!(!graphql(&app, None, &mixed).await.json()["errors"].is_null(), "a deep query with data fields is refused");
}

#[test]
fn schema_file_is_current() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(committed == api::graphql::sdl(), "schema.graphql is stale: run `cargo run -- export-schema`");
}

crate::on_both_databases!(
    graphql_and_rest_agree_for_every_caller,
    drafts_never_leak_through_graphql,
    relations_are_batched,
    limits_are_enforced_before_any_database_work,
    guide_examples_run,
    mutations_mirror_rest,
    admin_reads_and_persisted_queries,
    nested_paths_follow_the_policy_in_batches,
    catalog_admin_mutations_and_revisions,
    every_list_pages_both_ways_with_filters,
    endpoint_speaks_the_usual_ways,
    graphiql_is_served_offline,
    standard_introspection_describes_the_whole_schema,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_can_be_switched_off() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| s.graphql_introspection = false).await.unwrap();
    let reply = graphql(&app, None, "{ __schema { types { name } } }").await.json();
    assert!(reply["data"]["__schema"].is_null(), "introspection answers nothing: {reply}");
    assert!(graphql(&app, None, "{ sectors { totalCount } }").await.json()["errors"].is_null());
}
