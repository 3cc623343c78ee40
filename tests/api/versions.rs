//! Catalog entries, accounts and roles carry a version and an ETag like content does: a write
//! based on a stale copy is refused with 412, and concurrent changes queue instead of
//! overwriting each other.

use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value, if_match: Option<&str>) -> crate::helpers::Reply {
    let mut headers = vec![("content-type", "application/merge-patch+json")];
    if let Some(etag) = if_match {
        headers.push(("if-match", etag));
    }
    app.send(reqwest::Method::PATCH, path, Some(token), Some(&body.to_string()), &headers).await
}

async fn stale_writes_are_refused_everywhere(app: TestApp) {
    let admin = app.admin().await;
    let cases = [
        ("/api/v1/tags", json!({"name": "Solidarity"}), json!({"name": "Mutual aid"})),
        ("/api/v1/sectors", json!({"name": "Housing"}), json!({"description": "Tenants organizing"})),
        ("/api/v1/questions", json!({"title": "Who decides?"}), json!({"prompt": "On power"})),
        ("/api/v1/blogs", json!({"title": "Shop floor notes"}), json!({"description": "From the line"})),
        ("/api/v1/editors", json!({"display_name": "Rosa Parks", "team_role": "editor"}), json!({"bio": "Organizer"})),
        ("/api/v1/roles", json!({"name": "copy_editor"}), json!({"description": "Fixes commas"})),
        ("/api/v1/users", json!({"email": "versions@organizingupgrade.test", "password": "a-long-enough-password", "role": "author"}), json!({"disabled": true})),
    ];
    for (collection, created, change) in cases {
        let created = app.post_as(&admin, collection, &created).await;
        assert_eq!(created.status, 201, "{collection}: {}", String::from_utf8_lossy(&created.body));
        let record = created.json();
        assert_eq!(record["version"], 1, "{collection}: {record}");
        let path = format!("{collection}/{}", record["id"].as_str().unwrap());
        let etag = app.get_as(&admin, &path).await.header("etag").expect("an ETag");

        let changed = patch(&app, &admin, &path, &change, Some(&etag)).await;
        assert_eq!(changed.status, 200, "{path}: {}", String::from_utf8_lossy(&changed.body));
        assert_eq!(changed.json()["version"], 2, "{path}");

        // The copy read before that change is stale now, by ETag and by body version.
        assert_eq!(patch(&app, &admin, &path, &change, Some(&etag)).await.assert_problem(412), "version_conflict", "{path}");
        let mut stale = change.clone();
        stale["version"] = json!(1);
        assert_eq!(patch(&app, &admin, &path, &stale, None).await.assert_problem(412), "version_conflict", "{path}");
        let mut whole = changed.json();
        whole["version"] = json!(1);
        let replaced = app.send(reqwest::Method::PUT, &path, Some(&admin), Some(&whole.to_string()), &[]).await;
        assert_eq!(replaced.assert_problem(412), "version_conflict", "{path}");
        assert_eq!(app.get_as(&admin, &path).await.json()["version"], 2, "{path}: refused writes change nothing");
        // Without a precondition, a write applies to the current version.
        assert_eq!(patch(&app, &admin, &path, &change, None).await.json()["version"], 3, "{path}");
    }

    // A body of the wrong shape is told so before anything is said about its version.
    let essay = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Shape first"})).await.json();
    let path = format!("/api/v1/essays/{}", essay["id"].as_str().unwrap());
    let partial = app.send(reqwest::Method::PUT, &path, Some(&admin), Some(r#"{"featured":true}"#), &[]).await;
    assert_eq!(partial.assert_problem(422), "validation_failed", "a PUT without `title` is incomplete, whatever its version");
    assert!(partial.json()["errors"]["title"].is_array());

    // GraphQL's expectedVersion plays If-Match's part.
    let tag = app.post_as(&admin, "/api/v1/tags", &json!({"name": "Picket lines"})).await.json();
    let mutation = |version: i64| {
        json!({"query": "mutation($id: ID!, $v: Int) { updateTag(id: $id, input: {name: \"Picket line\"}, expectedVersion: $v) { version } }",
               "variables": {"id": tag["id"], "v": version}})
        .to_string()
    };
    let stale = app.send(reqwest::Method::POST, "/graphql", Some(&admin), Some(&mutation(7)), &[]).await.json();
    assert_eq!(stale["errors"][0]["extensions"]["problem"], "version_conflict", "{stale}");
    let current = app.send(reqwest::Method::POST, "/graphql", Some(&admin), Some(&mutation(1)), &[]).await.json();
    assert_eq!(current["data"]["updateTag"]["version"], 2, "{current}");
}

async fn twenty_concurrent_patches_on_one_tag_lose_nothing(app: TestApp) {
    let admin = app.admin().await;
    let tag = app.post_as(&admin, "/api/v1/tags", &json!({"name": "Contested"})).await.json();
    let path = format!("/api/v1/tags/{}", tag["id"].as_str().unwrap());
    let etag = app.get_as(&admin, &path).await.header("etag").unwrap();
    let send = |body: Value, if_match: Option<String>| {
        let mut request = app
            .client
            .patch(format!("{}{path}", app.address))
            .bearer_auth(&admin)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        tokio::spawn(async move {
            let reply = request.send().await.unwrap();
            (reply.status().as_u16(), reply.json::<Value>().await.unwrap())
        })
    };

    // Twenty writers who all read version 1: exactly one wins, the others are told it moved on.
    let tasks: Vec<_> = (0..20).map(|i| send(json!({"name": format!("Guarded {i}")}), Some(etag.clone()))).collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 412), "{statuses:?}");

    // Twenty writers without a precondition: each applies to the version before it, none is lost.
    let tasks: Vec<_> = (0..20).map(|i| send(json!({"name": format!("Queued {i}")}), None)).collect();
    let mut versions = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        versions.push(body["version"].as_i64().unwrap());
    }
    versions.sort_unstable();
    assert_eq!(versions, (3..=22).collect::<Vec<_>>(), "every write made its own version");
    assert_eq!(app.get(&path).await.json()["version"], 22);
    let audit = app.get_as(&admin, &format!("/api/v1/audit-log?resource_id={}&limit=100", tag["id"].as_str().unwrap())).await;
    assert_eq!(audit.total(), 22, "one audit entry per write: {}", String::from_utf8_lossy(&audit.body));
}

crate::on_both_databases!(stale_writes_are_refused_everywhere, twenty_concurrent_patches_on_one_tag_lose_nothing);
