//! Read-only fields on writes: sent back as they were read they pass (admin UIs send whole
//! records); changed, or in another shape, they are a 422 naming what to write instead, and
//! nothing is stored. On content, catalog entries and accounts, over REST and GraphQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp};

async fn write(app: &TestApp, token: &str, method: Method, path: &str, body: &Value) -> Reply {
    app.send(method, path, Some(token), Some(&body.to_string()), &[]).await
}

fn field_error(reply: &Reply, field: &str) -> String {
    assert_eq!(reply.assert_problem(422), "validation_failed", "{}", String::from_utf8_lossy(&reply.body));
    reply.json()["errors"][field][0].as_str().unwrap_or_else(|| panic!("no error for {field}: {}", reply.json())).to_owned()
}

async fn content_relations_go_through_their_ids(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let labor = app.get("/api/v1/sectors/labor").await.json()["id"].clone();
    let essays = app.get_as(&admin, "/api/v1/essays").await.total();

    // A relation sent under the name it is read by is refused, not dropped.
    let by_slug = write(&app, &admin, Method::POST, "/api/v1/essays", &json!({"title": "Ok", "sectors": "labor"})).await;
    assert!(field_error(&by_slug, "sectors").contains("`sector_ids`"));
    let embedded = write(&app, &admin, Method::POST, "/api/v1/essays", &json!({"title": "Ok", "sectors": [{"id": labor}]})).await;
    assert!(field_error(&embedded, "sectors").contains("`sector_ids`"));
    assert_eq!(app.get_as(&admin, "/api/v1/essays").await.total(), essays, "nothing was created");

    let created = write(&app, &admin, Method::POST, "/api/v1/essays", &json!({"title": "Ok", "sector_ids": [labor], "sectors": []})).await;
    assert_eq!(created.status, 201, "an empty embed on creation is no relation: {}", String::from_utf8_lossy(&created.body));
    let path = format!("/api/v1/essays/{}", created.json()["id"].as_str().unwrap());

    // The record as read, embeds included, goes back unchanged with an edit.
    let read = app.get_as(&admin, &format!("{path}?include=authors,sectors,tags,question")).await.json();
    assert_eq!(read["sectors"][0]["slug"], "labor");
    let mut edited = read.clone();
    edited["title"] = json!("Ok, edited");
    let saved = write(&app, &admin, Method::PUT, &path, &edited).await;
    assert_eq!(saved.status, 200, "{}", String::from_utf8_lossy(&saved.body));
    assert_eq!(saved.json()["version"], 2);

    // A stale copy is a version conflict first.
    assert_eq!(write(&app, &admin, Method::PUT, &path, &edited).await.assert_problem(412), "version_conflict");

    let current = app.get_as(&admin, &format!("{path}?include=sectors")).await.json();
    for (field, value, names) in [
        ("sectors", json!([]), "`sector_ids`"),
        ("sectors", json!(["labor"]), "`sector_ids`"),
        ("body_html", json!("<p>hand-made</p>"), "`body`"),
        ("word_count", json!("many"), "`body`"),
        ("published_at", json!("2020-01-01T00:00:00Z"), "`publish`"),
        ("kind", json!("blog_post"), "collection"),
    ] {
        let mut changed = current.clone();
        changed[field] = value;
        let refused = write(&app, &admin, Method::PUT, &path, &changed).await;
        assert!(field_error(&refused, field).contains(names), "{field}");
        let patched = write(&app, &admin, Method::PATCH, &path, &json!({field: changed[field], "version": current["version"]})).await;
        assert!(field_error(&patched, field).contains(names), "PATCH {field}");
    }
    let stored = app.get_as(&admin, &path).await.json();
    assert_eq!((stored["version"].clone(), stored["sector_ids"].clone()), (json!(2), json!([labor])), "nothing was stored");

    // The same instant written another way is the same value.
    let mut same = current.clone();
    same["created_at"] = json!(chrono::DateTime::parse_from_rfc3339(current["created_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap()).to_rfc3339());
    assert_eq!(write(&app, &admin, Method::PUT, &path, &same).await.status, 200);

    // GraphQL input types have no read-only fields at all.
    let body = json!({"query": "mutation { createContent(kind: ESSAY, input: {title: \"Ok\", sectors: [\"labor\"]}) { id } }"}).to_string();
    let reply = app.send(Method::POST, "/graphql", Some(&admin), Some(&body), &[]).await.json();
    assert!(reply["errors"][0]["message"].as_str().unwrap().contains("sectors"), "{reply}");
}

async fn catalog_and_account_echoes_are_checked(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let blog = app.get("/api/v1/blogs?limit=1&include=sector,bloggers").await.json()[0].clone();
    let path = format!("/api/v1/blogs/{}", blog["id"].as_str().unwrap());
    let mut edited = blog.clone();
    edited["title"] = json!("Renamed blog");
    let saved = write(&app, &admin, Method::PUT, &path, &edited).await;
    assert_eq!(saved.status, 200, "{}", String::from_utf8_lossy(&saved.body));
    let mut moved = app.get(&format!("{path}?include=sector,bloggers")).await.json();
    moved["sector"] = json!({"id": uuid::Uuid::now_v7().to_string()});
    assert!(field_error(&write(&app, &admin, Method::PUT, &path, &moved).await, "sector").contains("`sector_id`"));
    let patch = write(&app, &admin, Method::PATCH, &path, &json!({"bloggers": "someone"})).await;
    assert!(field_error(&patch, "bloggers").contains("`blogger_ids`"));
    let editor = write(&app, &admin, Method::POST, "/api/v1/editors", &json!({"display_name": "New Person", "team_role": "contributor", "sectors": ["labor"]})).await;
    assert!(field_error(&editor, "sectors").contains("`sector_ids`"));

    let tag = app.get("/api/v1/tags?limit=1").await.json()[0].clone();
    let tag_path = format!("/api/v1/tags/{}", tag["id"].as_str().unwrap());
    let mut renamed = tag.clone();
    renamed["name"] = json!("Renamed");
    assert_eq!(write(&app, &admin, Method::PUT, &tag_path, &renamed).await.status, 200);
    renamed["id"] = json!(uuid::Uuid::now_v7().to_string());
    field_error(&write(&app, &admin, Method::PUT, &tag_path, &renamed).await, "id");

    let (user_id, _) = app.user("author", &[], None).await;
    let user_path = format!("/api/v1/users/{user_id}");
    let mut account = app.get_as(&admin, &user_path).await.json();
    account["disabled"] = json!(true);
    assert_eq!(write(&app, &admin, Method::PUT, &user_path, &account).await.status, 200);
    let mut account = app.get_as(&admin, &user_path).await.json();
    account["last_login_at"] = json!("2020-01-01T00:00:00Z");
    assert!(field_error(&write(&app, &admin, Method::PUT, &user_path, &account).await, "last_login_at").contains("signing in"));
}

crate::on_both_databases!(content_relations_go_through_their_ids, catalog_and_account_echoes_are_checked);
