//! The editorial workflow: transitions per state and role, scheduled publishing on one and two
//! nodes, revisions, optimistic concurrency under many writers, trash and preview.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use api::clock::now;
use api::domain::{ContentKind, ContentStatus, Slug};
use api::policy::{Action, Resource, Scope};
use api::services::content::{NewContent, insert};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp};

/// Where each action may start from (the workflow of PRODUCT.md §5).
fn allowed_from(action: &str) -> &'static [&'static str] {
    match action {
        "submit" => &["draft"],
        "publish" => &["draft", "in_review", "scheduled", "archived"],
        "schedule" => &["draft", "in_review", "scheduled"],
        "unpublish" => &["in_review", "scheduled", "published", "archived"],
        "archive" => &["draft", "in_review", "published"],
        _ => &[],
    }
}

async fn item_in(app: &TestApp, status: ContentStatus, author: Uuid, sector: Uuid) -> Uuid {
    let n = Uuid::now_v7().simple().to_string();
    insert(
        &app.db,
        NewContent {
            status,
            published_at: matches!(status, ContentStatus::Published | ContentStatus::Archived).then(now),
            scheduled_at: (status == ContentStatus::Scheduled).then(|| now() + chrono::Duration::days(3)),
            author_ids: vec![author],
            sector_ids: vec![sector],
            ..NewContent::draft(ContentKind::Essay, Slug::parse(&format!("flow-{n}")).unwrap(), format!("Flow {n}"), now())
        },
    )
    .await
    .unwrap()
}

async fn transition_table_follows_state_and_policy(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let labor: Uuid = app.get("/api/v1/sectors/labor").await.json()["id"].as_str().unwrap().parse().unwrap();
    let profile: Uuid = app.post_as(&admin, "/api/v1/editors", &json!({"display_name": "Flow Author", "team_role": "contributor"})).await.json()["id"].as_str().unwrap().parse().unwrap();
    let mut roles: Vec<(String, String, HashMap<(Resource, Action), Scope>)> = Vec::new();
    for (role, grants) in crate::product_roles::product_roles() {
        let token = match role {
            "admin" => admin.clone(),
            "editor" => app.user(role, &[labor.to_string()], None).await.1,
            "author" => app.user(role, &[], Some(&profile.to_string())).await.1,
            _ => app.user(role, &[], None).await.1,
        };
        roles.push((role.to_owned(), token, grants));
    }
    let states = [ContentStatus::Draft, ContentStatus::InReview, ContentStatus::Scheduled, ContentStatus::Published, ContentStatus::Archived];
    let mut cases = 0;
    for state in states {
        for action in ["submit", "publish", "schedule", "unpublish", "archive"] {
            for (role, token, grants) in &roles {
                let id = item_in(&app, state, profile, labor).await;
                let permitted = grants.contains_key(&(Resource::Essays, Action::parse(action).unwrap()));
                let possible = allowed_from(action).contains(&state.as_str());
                let mut body = json!({"version": 1});
                if action == "schedule" {
                    body["at"] = json!((chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339());
                }
                let reply = app.post_as(token, &format!("/api/v1/essays/{id}/{action}"), &body).await;
                let label = format!("{role} {action} from {}", state.as_str());
                match (permitted, possible) {
                    (false, _) => assert!(matches!(reply.status, 403 | 404), "{label}: {}", reply.status),
                    (true, false) => {
                        assert_eq!(reply.assert_problem(409), "invalid_transition", "{label}");
                        assert!(reply.json()["detail"].as_str().unwrap().contains(state.as_str()), "{label} names the current state");
                    }
                    (true, true) => {
                        assert_eq!(reply.status, 200, "{label}: {}", String::from_utf8_lossy(&reply.body));
                        let item = reply.json();
                        let expected = match action {
                            "submit" => "in_review",
                            "publish" => "published",
                            "schedule" => "scheduled",
                            "unpublish" => "draft",
                            _ => "archived",
                        };
                        assert_eq!(item["status"], expected, "{label}");
                        assert_eq!(item["version"], 2, "{label}");
                        if action == "publish" {
                            assert!(item["published_at"].is_string());
                        }
                    }
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 5 * 5 * 4);
    // published_at is set once and kept through unpublish and republish.
    let id = item_in(&app, ContentStatus::Draft, profile, labor).await;
    let first = app.post_as(&admin, &format!("/api/v1/essays/{id}/publish"), &json!({"version": 1})).await.json()["published_at"].clone();
    app.post_as(&admin, &format!("/api/v1/essays/{id}/unpublish"), &json!({"version": 2})).await;
    let again = app.post_as(&admin, &format!("/api/v1/essays/{id}/publish"), &json!({"version": 3})).await.json();
    assert_eq!(again["published_at"], first);
}

async fn scheduled_items_go_out_on_time(app: TestApp) {
    app.seed_demo().await;
    // A node whose scheduler runs every second, beside the test's own node.
    let _scheduler = app.another_node_with(|s| s.scheduler_interval_seconds = 1).await;
    let admin = app.admin().await;
    let created = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Timed piece"})).await.json();
    let id = created["id"].as_str().unwrap().to_owned();
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let scheduled = app.post_as(&admin, &format!("/api/v1/essays/{id}/schedule"), &json!({"at": at.to_rfc3339(), "version": 1})).await;
    assert_eq!(scheduled.json()["status"], "scheduled");
    app.get(&format!("/api/v1/essays/{id}")).await.assert_problem(404);
    let mut published = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let reply = app.get(&format!("/api/v1/essays/{id}")).await;
        if reply.status == 200 {
            published = Some(reply.json());
            break;
        }
    }
    let published = published.expect("published by the scheduler within seconds");
    assert_eq!(published["status"], "published");
    assert_eq!(published["version"], 3);
    let log = app.get_as(&admin, &format!("/api/v1/audit-log?resource_id={id}&action=publish")).await.json();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert!(log[0]["actor_user_id"].is_null(), "the scheduler acts for nobody");
}

async fn two_nodes_publish_each_item_once(app: TestApp) {
    // On SQLite the two nodes are two connection pools on one file; on PostgreSQL, two pools on one database.
    app.seed_demo().await;
    let second = app.another_node().await;
    let labor: Uuid = app.get("/api/v1/sectors/labor").await.json()["id"].as_str().unwrap().parse().unwrap();
    let author: Uuid = app.get("/api/v1/editors?limit=1").await.json()[0]["id"].as_str().unwrap().parse().unwrap();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let id = item_in(&app, ContentStatus::Scheduled, author, labor).await;
        // Due now.
        entity::content_item::Entity::update_many()
            .col_expr(entity::content_item::Column::ScheduledAt, sea_orm::sea_query::Expr::value(now() - chrono::Duration::seconds(1)))
            .filter(entity::content_item::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
        ids.push(id);
    }
    // Both nodes race for the same items, as their schedulers do.
    let (a, b) = tokio::join!(api::jobs::scheduler::publish_due(&app.db), api::jobs::scheduler::publish_due(&second.db));
    let published = a.unwrap() + b.unwrap();
    assert_eq!(published, 20, "every due item published once between the two nodes");
    for id in ids {
        let item = entity::content_item::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(item.status, "published");
        assert_eq!(item.version, 2);
        assert!(item.published_at.is_some());
        let revisions = entity::revision::Entity::find().filter(entity::revision::Column::ContentId.eq(id)).count(&app.db).await.unwrap();
        assert_eq!(revisions, 1, "one revision for the one publication");
        let audits = entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::ResourceId.eq(id))
            .filter(entity::audit_log::Column::Action.eq("publish"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(audits, 1, "one audit entry");
    }
    // A node that claims an item and dies before committing leaves it scheduled for the next round.
    let id = item_in(&app, ContentStatus::Scheduled, author, labor).await;
    entity::content_item::Entity::update_many()
        .col_expr(entity::content_item::Column::ScheduledAt, sea_orm::sea_query::Expr::value(now() - chrono::Duration::seconds(1)))
        .filter(entity::content_item::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    {
        let txn = api::db::begin_write(&second.db).await.unwrap();
        entity::content_item::Entity::update_many()
            .col_expr(entity::content_item::Column::Status, sea_orm::sea_query::Expr::value("published"))
            .filter(entity::content_item::Column::Id.eq(id))
            .exec(&txn)
            .await
            .unwrap();
        drop(txn);
    }
    assert_eq!(api::jobs::scheduler::publish_due(&app.db).await.unwrap(), 1);
}

async fn revisions_restore_and_diff(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let v1 = app.post_as(&admin, "/api/v1/essays", &json!({"title": "First title", "summary": "First summary", "body": "First body."})).await.json();
    let id = v1["id"].as_str().unwrap().to_owned();
    let patch = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        let id = id.clone();
        async move { app.send(Method::PATCH, &format!("/api/v1/essays/{id}"), Some(&admin), Some(&body.to_string()), &[]).await.json() }
    };
    patch(json!({"title": "Second title", "version": 1})).await;
    let v3 = patch(json!({"summary": "Third summary", "body": "Third body.", "version": 2})).await;
    assert_eq!(v3["version"], 3);
    let revisions = app.get_as(&admin, &format!("/api/v1/essays/{id}/revisions")).await;
    assert_eq!(revisions.status, 200);
    let list = revisions.json();
    let versions: Vec<i64> = list.as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert!(list[0]["snapshot"].is_null(), "lists leave snapshots out");
    let first = list[0]["id"].as_str().unwrap().to_owned();
    let third = list[2]["id"].as_str().unwrap().to_owned();
    let snapshot = app.get_as(&admin, &format!("/api/v1/revisions/{first}")).await.json()["snapshot"].clone();
    assert_eq!(snapshot["title"], "First title");

    let diff = app.get_as(&admin, &format!("/api/v1/revisions/{third}/diff")).await.json();
    let fields: HashSet<&str> = diff["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, HashSet::from(["summary", "body", "body_html"]), "{diff}");
    let against = app.get_as(&admin, &format!("/api/v1/revisions/{third}/diff?against={first}")).await.json();
    let fields: HashSet<&str> = against["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert!(fields.contains("title") && fields.contains("summary") && !fields.contains("slug"), "{against}");

    let restored = app.post_as(&admin, &format!("/api/v1/essays/{id}/revisions/{first}/restore"), &json!({"version": 3})).await;
    assert_eq!(restored.status, 200, "{}", String::from_utf8_lossy(&restored.body));
    let restored = restored.json();
    assert_eq!(restored["version"], 4);
    for field in ["title", "summary", "body", "body_html", "slug", "author_ids", "sector_ids", "tag_ids", "word_count"] {
        assert_eq!(restored[field], v1[field], "{field} restored exactly");
    }
    let notes: Vec<String> = app.get_as(&admin, &format!("/api/v1/essays/{id}/revisions")).await.json().as_array().unwrap().iter().map(|r| r["note"].as_str().unwrap().to_owned()).collect();
    assert_eq!(notes.last().unwrap(), "restore_revision");
    // Nobody else reads the history.
    assert!(matches!(app.get(&format!("/api/v1/essays/{id}/revisions")).await.status, 401 | 404));
    assert!(matches!(app.get(&format!("/api/v1/revisions/{first}")).await.status, 401 | 404));
    let (_, author) = app.user("author", &[], None).await;
    assert_eq!(app.get_as(&author, &format!("/api/v1/revisions/{first}")).await.status, 404);
    assert_eq!(app.post_as(&author, &format!("/api/v1/essays/{id}/revisions/{first}/restore"), &json!({"version": 4})).await.status, 403);
}

async fn concurrent_writers_never_lose_a_write(app: TestApp) {
    let admin = app.admin().await;
    let item = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Contested"})).await.json();
    let id = item["id"].as_str().unwrap().to_owned();
    let writers = 50;
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let client = app.client.clone();
        let base = app.address.clone();
        let token = admin.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            loop {
                let current: Value = client.get(format!("{base}/api/v1/essays/{id}")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
                let version = current["version"].as_i64().unwrap();
                let reply = client
                    .patch(format!("{base}/api/v1/essays/{id}"))
                    .bearer_auth(&token)
                    .json(&json!({"summary": format!("writer {writer}"), "version": version}))
                    .send()
                    .await
                    .unwrap();
                match reply.status().as_u16() {
                    200 => {
                        let stored: Value = reply.json().await.unwrap();
                        assert_eq!(stored["version"].as_i64().unwrap(), version + 1);
                        return (writer, version + 1, conflicts);
                    }
                    412 => conflicts += 1,
                    other => panic!("writer {writer}: unexpected {other}: {}", reply.text().await.unwrap_or_default()),
                }
            }
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.push(task.await.unwrap());
    }
    let versions: HashSet<i64> = acknowledged.iter().map(|(_, v, _)| *v).collect();
    assert_eq!(versions.len(), writers, "exactly one write succeeded per version");
    assert!(acknowledged.iter().any(|(_, _, c)| *c > 0), "the writers really raced");
    let final_item = app.get_as(&admin, &format!("/api/v1/essays/{id}")).await.json();
    assert_eq!(final_item["version"].as_i64().unwrap(), 1 + writers as i64);
    // Every acknowledged write is in the history, at the version it was acknowledged with.
    let uuid: Uuid = id.parse().unwrap();
    let revisions = entity::revision::Entity::find().filter(entity::revision::Column::ContentId.eq(uuid)).all(&app.db).await.unwrap();
    assert_eq!(revisions.len(), 1 + writers);
    let by_version: HashMap<i64, String> = revisions
        .iter()
        .map(|r| (i64::from(r.version), r.snapshot["summary"].as_str().unwrap_or_default().to_owned()))
        .collect();
    for (writer, version, _) in acknowledged {
        assert_eq!(by_version[&version], format!("writer {writer}"), "version {version}");
    }
}

async fn trash_and_preview(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let labor = app.get("/api/v1/sectors/labor").await.json()["id"].clone();
    let item = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Into the bin", "sector_ids": [labor]})).await.json();
    let id = item["id"].as_str().unwrap().to_owned();
    app.send(Method::DELETE, &format!("/api/v1/essays/{id}"), Some(&admin), None, &[]).await;
    let trash = app.get_as(&admin, "/api/v1/essays?status=trashed").await;
    assert_eq!(trash.ids(), vec![id.clone()]);
    assert!(!app.get_as(&admin, "/api/v1/essays?limit=100").await.ids().contains(&id), "the trash is not in normal lists");
    assert_eq!(app.get("/api/v1/essays?status=trashed").await.total(), 0, "readers never see the trash");
    let (_, author) = app.user("author", &[], None).await;
    assert_eq!(app.get_as(&author, "/api/v1/essays?status=trashed").await.total(), 0);
    let (_, editor) = app.user("editor", &[labor.as_str().unwrap().to_owned()], None).await;
    assert_eq!(app.get_as(&editor, "/api/v1/essays?status=trashed").await.ids(), vec![id.clone()]);
    assert_eq!(app.post_as(&editor, &format!("/api/v1/essays/{id}/restore"), &json!({})).await.status, 200);
    assert_eq!(app.get_as(&admin, "/api/v1/essays?status=trashed").await.total(), 0);

    // Preview: a preview key reads drafts and scheduled items by every path; a content key never.
    let preview = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "preview", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();
    let content = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "site", "scope": "content"})).await.json()["secret"].as_str().unwrap().to_owned();
    let scheduled = entity::content_item::Entity::find()
        .filter(entity::content_item::Column::Status.eq("scheduled"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let collection = ContentKind::parse(&scheduled.kind).unwrap().collection();
    for path in [
        format!("/api/v1/{collection}/{}", scheduled.id),
        format!("/api/v1/{collection}/{}", scheduled.slug),
        format!("/api/v1/content/{}?include=authors,sectors,tags", scheduled.id),
    ] {
        assert_eq!(app.get_with(&path, &[("X-Api-Key", &preview)]).await.status, 200, "preview {path}");
        assert_eq!(app.get_with(&path, &[("X-Api-Key", &content)]).await.status, 404, "content key {path}");
        assert_eq!(app.get(&path).await.status, 404, "anonymous {path}");
    }
    let listed = app.get_with("/api/v1/content?status=scheduled&limit=100", &[("X-Api-Key", &preview)]).await;
    assert!(listed.ids().contains(&scheduled.id.to_string()));
}

async fn unconditional_writes_can_be_allowed(app: TestApp) {
    let admin = app.admin().await;
    let item = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Blind writes allowed"})).await.json();
    let id = item["id"].as_str().unwrap();
    let reply = app.send(Method::PATCH, &format!("/api/v1/essays/{id}"), Some(&admin), Some("{\"summary\":\"No version\"}"), &[]).await;
    assert_eq!(reply.status, 200, "with require_preconditions = false");
    assert_eq!(app.post_as(&admin, &format!("/api/v1/essays/{id}/publish"), &json!({})).await.status, 200);
}

crate::on_both_databases!(
    transition_table_follows_state_and_policy,
    scheduled_items_go_out_on_time,
    two_nodes_publish_each_item_once,
    revisions_restore_and_diff,
    concurrent_writers_never_lose_a_write,
    trash_and_preview,
);

mod relaxed {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unconditional_writes_on_sqlite() {
        let app = TestApp::spawn_with(Backend::Sqlite, |s| s.require_preconditions = false).await.unwrap();
        unconditional_writes_can_be_allowed(app).await;
    }
}
