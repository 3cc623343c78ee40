//! The REST write API: round trips, merge patches, slugs, trash, validation and bad input.

use reqwest::Method;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp};

async fn write(app: &TestApp, token: &str, method: Method, path: &str, body: &Value) -> Reply {
    app.send(method, path, Some(token), Some(&body.to_string()), &[]).await
}

async fn content_round_trip(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let labor = app.get("/api/v1/sectors/labor").await.json()["id"].clone();
    let author = app.get("/api/v1/editors?limit=1").await.json()[0]["id"].clone();
    let created = app
        .post_as(&admin, "/api/v1/analyses", &json!({
            "title": "Where the Strike Wave Goes Next",
            "subtitle": "Reading the numbers",
            "summary": "Three scenarios.",
            "body": "## Scenarios\n\nOne, two, three.",
            "author_ids": [author],
            "sector_ids": [labor],
            "key_takeaways": ["Prepare", "Train", "Strike"],
        }))
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let item = created.json();
    let id = item["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location").unwrap(), format!("/api/v1/analyses/{id}"));
    assert_eq!(item["slug"], "where-the-strike-wave-goes-next");
    assert_eq!(item["status"], "draft");
    assert_eq!(item["version"], 1);
    assert_eq!(item["key_takeaways"], json!(["Prepare", "Train", "Strike"]));
    assert!(item["body_html"].as_str().unwrap().contains("<h2>Scenarios</h2>"));
    assert!(item["word_count"].as_i64().unwrap() > 0);
    assert_eq!(app.get_as(&admin, &format!("/api/v1/analyses/{id}")).await.json(), item, "a write returns the stored item");
    app.get(&format!("/api/v1/analyses/{id}")).await.assert_problem(404);

    // PUT replaces (admin UIs send the whole record back, read-only fields included).
    let mut full = item.clone();
    full["title"] = json!("Where the Strike Wave Goes");
    full["slug"] = json!("strike-wave");
    let replaced = write(&app, &admin, Method::PUT, &format!("/api/v1/analyses/{id}"), &full).await;
    assert_eq!(replaced.status, 200, "{}", String::from_utf8_lossy(&replaced.body));
    assert_eq!(replaced.json()["version"], 2);
    assert_eq!(replaced.json()["slug"], "strike-wave");

    // PATCH merges; null removes.
    let patched = write(&app, &admin, Method::PATCH, &format!("/api/v1/analyses/{id}"), &json!({"subtitle": null, "summary": "Updated.", "version": 2})).await;
    assert_eq!(patched.status, 200);
    let patched = patched.json();
    assert_eq!(patched["subtitle"], Value::Null);
    assert_eq!(patched["summary"], "Updated.");
    assert_eq!(patched["title"], "Where the Strike Wave Goes");
    assert_eq!(patched["version"], 3);

    // A stale version is refused, by body or by If-Match.
    let stale = write(&app, &admin, Method::PATCH, &format!("/api/v1/analyses/{id}"), &json!({"summary": "Lost?", "version": 1})).await;
    assert_eq!(stale.assert_problem(412), "version_conflict");
    assert!(stale.json()["detail"].as_str().unwrap().contains('3'));
    let etag = app.get_as(&admin, &format!("/api/v1/analyses/{id}")).await.header("etag").unwrap();
    let matched = app.send(Method::PATCH, &format!("/api/v1/analyses/{id}"), Some(&admin), Some("{\"summary\":\"With If-Match\"}"), &[("If-Match", &etag)]).await;
    assert_eq!(matched.status, 200);
    let mismatched = app.send(Method::PATCH, &format!("/api/v1/analyses/{id}"), Some(&admin), Some("{\"summary\":\"Again\"}"), &[("If-Match", &etag)]).await;
    assert_eq!(mismatched.status, 412);

    // Publish, then the old slug redirects; published_at is kept by later edits.
    let unconditional = write(&app, &admin, Method::PATCH, &format!("/api/v1/analyses/{id}"), &json!({"summary": "Blind write"})).await;
    assert_eq!(unconditional.assert_problem(428), "precondition_required", "a write must say which version it is based on");
    let published = app.post_as(&admin, &format!("/api/v1/analyses/{id}/publish"), &json!({"version": 4})).await.json();
    let published_at = published["published_at"].clone();
    assert!(published_at.is_string());
    let taken = app.post_as(&admin, "/api/v1/analyses", &json!({"title": "Another", "slug": "where-the-strike-wave-goes-next"})).await;
    assert_eq!(taken.status, 422, "a former slug is never given to another item");
    let old = app.get("/api/v1/analyses/where-the-strike-wave-goes-next").await;
    assert_eq!((old.status, old.header("location").unwrap()), (301, "/api/v1/analyses/strike-wave".to_owned()));
    let edited = write(&app, &admin, Method::PATCH, &format!("/api/v1/analyses/{id}"), &json!({"summary": "After publication.", "version": 5})).await.json();
    assert_eq!(edited["published_at"], published_at);
    assert_eq!(app.get("/api/v1/analyses/strike-wave").await.json()["summary"], "After publication.");
    let again = app.post_as(&admin, &format!("/api/v1/analyses/{id}/submit"), &json!({"version": 6})).await;
    assert_eq!(again.assert_problem(409), "invalid_transition");
    assert!(again.json()["detail"].as_str().unwrap().contains("published"));

    // DELETE trashes (any content type, body ignored); restore brings it back; purge removes it.
    let trashed = app.send(Method::DELETE, &format!("/api/v1/analyses/{id}"), Some(&admin), Some("ignored"), &[("Content-Type", "text/plain")]).await;
    assert_eq!(trashed.status, 200);
    assert!(trashed.json()["title"].is_string(), "DELETE returns the record");
    app.get("/api/v1/analyses/strike-wave").await.assert_problem(404);
    assert_eq!(app.post_as(&admin, &format!("/api/v1/analyses/{id}/restore"), &json!({})).await.status, 200);
    assert_eq!(app.get("/api/v1/analyses/strike-wave").await.status, 200);
    app.send(Method::DELETE, &format!("/api/v1/analyses/{id}"), Some(&admin), None, &[]).await;
    let purged = app.send(Method::DELETE, &format!("/api/v1/analyses/{id}?purge=true"), Some(&admin), None, &[]).await;
    assert_eq!(purged.status, 200);
    assert!(entity::content_item::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap()).one(&app.db).await.unwrap().is_none());

    // The audit log has every write, with versions.
    let log = app.get_as(&admin, &format!("/api/v1/audit-log?resource_id={id}&sort=created_at&limit=100")).await.json();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update", "update", "update", "publish", "update", "delete", "restore", "delete", "purge"]);
    assert_eq!(log[1]["version_before"], 1);
    assert_eq!(log[1]["version_after"], 2);
}

async fn slugs_are_generated_and_unique(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let blog = app.get("/api/v1/blogs?limit=1").await.json()[0]["id"].clone();
    let first = app.post_as(&admin, "/api/v1/blog-posts", &json!({"title": "On the Line!", "blog_id": blog})).await.json();
    let second = app.post_as(&admin, "/api/v1/blog-posts", &json!({"title": "On the line", "blog_id": blog})).await.json();
    assert_eq!(first["slug"], "on-the-line");
    assert_eq!(second["slug"], "on-the-line-2");
    let clash = app.post_as(&admin, "/api/v1/blog-posts", &json!({"title": "Other", "slug": "on-the-line", "blog_id": blog})).await;
    assert_eq!(clash.status, 422);
    assert!(clash.json()["errors"]["slug"].is_array());
    // Another kind may use the same slug.
    assert_eq!(app.post_as(&admin, "/api/v1/essays", &json!({"title": "On the line"})).await.json()["slug"], "on-the-line");
    let tag = app.post_as(&admin, "/api/v1/tags", &json!({"name": "Mutual Aid Networks"})).await.json();
    assert_eq!(tag["slug"], "mutual-aid-networks");
}

async fn bad_writes_are_refused_and_change_nothing(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let before = entity::content_item::Entity::find().count(&app.db).await.unwrap();
    let existing_url = app.get("/api/v1/news-links?limit=1").await.json()[0]["url"].clone();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/api/v1/essays", json!({}), "title"),
        ("/api/v1/essays", json!({"title": "   "}), "title"),
        ("/api/v1/essays", json!({"title": "x".repeat(301)}), "title"),
        ("/api/v1/essays", json!({"title": "Ok", "slug": "Not A Slug"}), "slug"),
        ("/api/v1/essays", json!({"title": "Ok", "colour": "red"}), "colour"),
        ("/api/v1/essays", json!({"title": 42}), "title"),
        ("/api/v1/essays", json!({"title": "Ok", "author_ids": ["0196f1c2-0000-7000-8000-000000000001"]}), "author_ids"),
        ("/api/v1/essays", json!({"title": "Ok", "author_ids": "not-a-list"}), "author_ids"),
        ("/api/v1/essays", json!({"title": "Ok", "url": "https://example.org"}), "url"),
        ("/api/v1/essays", json!({"title": "Ok", "status": "published"}), "status"),
        ("/api/v1/essays", json!({"title": "Ok", "featured_image_url": "javascript:alert(1)"}), "featured_image_url"),
        ("/api/v1/blog-posts", json!({"title": "No blog"}), "blog_id"),
        ("/api/v1/news-links", json!({"title": "No URL"}), "url"),
        ("/api/v1/news-links", json!({"title": "Duplicate", "url": existing_url}), "url"),
        ("/api/v1/analyses", json!({"title": "Ok", "key_takeaways": [""]}), "key_takeaways"),
        ("/api/v1/essays", json!({"title": "'; DROP TABLE content_items; --", "slug": "x'--"}), "slug"),
    ];
    for (path, body, field) in cases {
        let reply = app.post_as(&admin, path, &body).await;
        assert_eq!(reply.assert_problem(422), "validation_failed", "{path} {body}");
        assert!(reply.json()["errors"][field].is_array(), "{path} {body}: {}", reply.json());
    }
    let raw = |body: &'static str, content_type: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move { app.send(Method::POST, "/api/v1/essays", Some(&admin), Some(body), &[("Content-Type", content_type)]).await }
    };
    assert_eq!(raw("{\"title\": ", "application/json").await.assert_problem(400), "malformed_json");
    assert_eq!(raw("[1,2]", "application/json").await.status, 400);
    assert_eq!(raw("title=x", "application/x-www-form-urlencoded").await.assert_problem(415), "unsupported_media_type");
    let huge = json!({"title": "Big", "body": "word ".repeat(300_000)}).to_string();
    let too_big = app.send(Method::POST, "/api/v1/essays", Some(&admin), Some(&huge), &[]).await;
    assert_eq!(too_big.assert_problem(413), "payload_too_large");
    assert_eq!(entity::content_item::Entity::find().count(&app.db).await.unwrap(), before, "nothing was written");

    // SQL-looking text is stored as text.
    let sneaky = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Robert'); DROP TABLE content_items;--"})).await;
    assert_eq!(sneaky.status, 201);
    assert_eq!(sneaky.json()["title"], "Robert'); DROP TABLE content_items;--");
    assert_eq!(entity::content_item::Entity::find().count(&app.db).await.unwrap(), before + 1);
    let id = sneaky.json()["id"].as_str().unwrap().to_owned();
    let other = write(&app, &admin, Method::PUT, &format!("/api/v1/essays/{id}"), &json!({"id": uuid::Uuid::now_v7(), "title": "x"})).await;
    assert_eq!(other.status, 422, "a body id must match the path");
    let schedule_past = app.post_as(&admin, &format!("/api/v1/essays/{id}/schedule"), &json!({"at": "2000-01-01T00:00:00Z", "version": 1})).await;
    assert_eq!(schedule_past.status, 422);
    assert_eq!(app.post_as(&admin, &format!("/api/v1/essays/{id}/teleport"), &json!({})).await.status, 404);
}

async fn catalog_writes_and_custom_roles(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let (_, editor) = app.user("editor", &[], None).await;
    let tag = app.post_as(&editor, "/api/v1/tags", &json!({"name": "Power Mapping"})).await;
    assert_eq!(tag.status, 201);
    let tag_slug = tag.json()["slug"].as_str().unwrap().to_owned();
    let renamed = write(&app, &editor, Method::PATCH, &format!("/api/v1/tags/{tag_slug}"), &json!({"name": "Power mapping"})).await;
    assert_eq!((renamed.status, renamed.json()["slug"].as_str()), (200, Some(tag_slug.as_str())));
    assert_eq!(app.post_as(&editor, "/api/v1/sectors", &json!({"name": "Disability Justice"})).await.status, 403);
    let sector = app.post_as(&admin, "/api/v1/sectors", &json!({"name": "Disability Justice", "position": 6})).await;
    assert_eq!(sector.status, 201);
    assert_eq!(app.get("/api/v1/sectors").await.total(), 6);
    let blog = app.get("/api/v1/blogs?limit=1").await.json()[0].clone();
    let in_use = app.send(Method::DELETE, &format!("/api/v1/blogs/{}", blog["id"].as_str().unwrap()), Some(&admin), None, &[]).await;
    assert_eq!(in_use.assert_problem(409), "in_use");
    let hidden = app.post_as(&editor, "/api/v1/editors", &json!({"display_name": "Quiet Person", "team_role": "contributor", "visible": false})).await.json();
    assert_eq!(app.get(&format!("/api/v1/editors/{}", hidden["slug"].as_str().unwrap())).await.status, 404, "hidden from the public");
    assert_eq!(app.get_as(&editor, &format!("/api/v1/editors/{}", hidden["slug"].as_str().unwrap())).await.status, 200, "seen by those who manage profiles");
    let bad_editor = app.post_as(&editor, "/api/v1/editors", &json!({"display_name": "X", "team_role": "boss", "links": [{"label": "", "url": "ftp://x"}]})).await;
    assert_eq!(bad_editor.status, 422);

    // A custom role from the same vocabulary.
    let role = app
        .post_as(&admin, "/api/v1/roles", &json!({"name": "tagger", "description": "Keeps tags tidy", "permissions": [{"resource": "tags", "action": "create", "scope": "all"}]}))
        .await;
    assert_eq!(role.status, 201, "{}", String::from_utf8_lossy(&role.body));
    let (_, tagger) = app.user("tagger", &[], None).await;
    assert_eq!(app.post_as(&tagger, "/api/v1/tags", &json!({"name": "Base Building"})).await.status, 201);
    assert_eq!(app.post_as(&tagger, "/api/v1/essays", &json!({"title": "No"})).await.status, 403);
    let invalid = app.post_as(&admin, "/api/v1/roles", &json!({"name": "Bad Name", "permissions": [{"resource": "tags", "action": "publish", "scope": "own"}]})).await;
    assert_eq!(invalid.status, 422);
    let errors = invalid.json()["errors"].clone();
    assert!(errors["name"].is_array() && errors["permissions[0].action"].is_array(), "{errors}");
    let unknown = app.post_as(&admin, "/api/v1/roles", &json!({"name": "x1", "permissions": [{"resource": "spaceships", "action": "read", "scope": "all"}]})).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(app.send(Method::DELETE, "/api/v1/roles/admin", Some(&admin), None, &[]).await.assert_problem(409), "role_builtin");
    assert_eq!(app.send(Method::DELETE, "/api/v1/roles/tagger", Some(&admin), None, &[]).await.assert_problem(409), "role_in_use");
    let users = app.get_as(&admin, "/api/v1/users?limit=100").await;
    assert!(users.total() >= 3);
    assert!(!String::from_utf8_lossy(&users.body).contains("argon2"), "hashes never leave the server");
    let duplicate = app.post_as(&admin, "/api/v1/users", &json!({"email": crate::helpers::ADMIN_EMAIL.to_uppercase(), "password": "long-enough-pass", "role": "editor"})).await;
    assert_eq!(duplicate.status, 422, "emails are unique whatever their case");
}

crate::on_both_databases!(
    content_round_trip,
    slugs_are_generated_and_unique,
    bad_writes_are_refused_and_change_nothing,
    catalog_writes_and_custom_roles,
);
