//! The change log: every write path that can change what a caller sees appends exactly one
//! change in its own transaction, and a reader following the log never skips one, even while
//! transactions commit out of order on PostgreSQL.

use std::time::Duration;

use api::services::changes::{self, Change, ChangeAction, RecordKind};
use reqwest::Method;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

/// Sends one write and checks it appended exactly one change, of `kind`/`action`, about the
/// record the answer names; returns the answer.
async fn write_once(app: &TestApp, token: &str, method: Method, path: &str, body: Value, kind: &str, action: &str) -> Value {
    let before = changes::position(&app.db).await.unwrap();
    let reply = app.send(method.clone(), path, Some(token), Some(&body.to_string()), &[]).await;
    assert!(reply.status < 300, "{method} {path}: {} {}", reply.status, String::from_utf8_lossy(&reply.body));
    let answer = reply.json();
    let appended = changes::since(&app.db, before, 10).await.unwrap();
    assert_eq!(appended.len(), 1, "{method} {path} must append exactly one change: {appended:?}");
    let change = &appended[0];
    assert_eq!((change.kind.as_str(), change.action.as_str()), (kind, action), "{method} {path}");
    assert_eq!(change.item_id.to_string(), answer["id"].as_str().unwrap(), "{method} {path}");
    assert_eq!(change.seq, before + 1, "numbered without gaps");
    assert!(change.summary.get("body").is_none() && change.summary.get("body_html").is_none(), "summaries are thin: {}", change.summary);
    answer
}

async fn every_write_path_appends_exactly_one_change(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let a = &admin;

    // Content: creation, edits, each workflow action, revision restore, trash, restore, purge.
    let essay = write_once(&app, a, Method::POST, "/api/v1/essays", json!({"title": "Logged"}), "essay", "created").await;
    let id = essay["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/essays/{id}");
    write_once(&app, a, Method::PATCH, &path, json!({"summary": "Patched", "version": 1}), "essay", "updated").await;
    let put = json!({"title": "Logged, renamed", "slug": "logged-renamed", "summary": "Put", "version": 2});
    let renamed = write_once(&app, a, Method::PUT, &path, put, "essay", "updated").await;
    assert_eq!(renamed["slug"], "logged-renamed");
    let mut version = 3;
    for (action, change, extra) in [
        ("submit", "submitted", json!({})),
        ("schedule", "scheduled", json!({"at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()})),
        ("publish", "published", json!({})),
        ("archive", "archived", json!({})),
        ("unpublish", "unpublished", json!({})),
    ] {
        let mut body = extra;
        body["version"] = json!(version);
        write_once(&app, a, Method::POST, &format!("{path}/{action}"), body, "essay", change).await;
        version += 1;
    }
    let revisions = app.get_as(a, &format!("{path}/revisions")).await.json();
    let first = revisions.as_array().unwrap().iter().find(|r| r["version"] == 1).unwrap()["id"].as_str().unwrap().to_owned();
    write_once(&app, a, Method::POST, &format!("{path}/revisions/{first}/restore"), json!({"version": version}), "essay", "revision_restored").await;
    write_once(&app, a, Method::DELETE, &path, json!({}), "essay", "trashed").await;
    write_once(&app, a, Method::POST, &format!("{path}/restore"), json!({}), "essay", "restored").await;
    write_once(&app, a, Method::DELETE, &path, json!({}), "essay", "trashed").await;
    write_once(&app, a, Method::DELETE, &format!("{path}?purge=true"), json!({}), "essay", "purged").await;

    // The scheduler's publication.
    let due = write_once(&app, a, Method::POST, "/api/v1/news-links", json!({"title": "Due", "url": "https://example.org/due"}), "news_link", "created").await;
    let due_id: Uuid = due["id"].as_str().unwrap().parse().unwrap();
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1200);
    write_once(&app, a, Method::POST, &format!("/api/v1/news-links/{due_id}/schedule"), json!({"version": 1, "at": soon.to_rfc3339()}), "news_link", "scheduled").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = changes::position(&app.db).await.unwrap();
    assert_eq!(api::jobs::scheduler::publish_due(&app.db).await.unwrap(), 1);
    let published = changes::since(&app.db, before, 10).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!((published[0].item_id, published[0].action.as_str(), published[0].public_before, published[0].public_after), (due_id, "published", false, true));

    // Catalog: create, update and delete of each aggregate.
    for (collection, kind, body) in [
        ("sectors", "sector", json!({"name": "Logged sector"})),
        ("tags", "tag", json!({"name": "Logged tag"})),
        ("questions", "question", json!({"title": "Logged question?", "prompt": "Why?"})),
        ("blogs", "blog", json!({"title": "Logged blog"})),
        ("editors", "editor", json!({"display_name": "Logged Editor", "team_role": "contributor"})),
    ] {
        let created = write_once(&app, a, Method::POST, &format!("/api/v1/{collection}"), body, kind, "created").await;
        let entry = format!("/api/v1/{collection}/{}", created["id"].as_str().unwrap());
        write_once(&app, a, Method::PATCH, &entry, json!({"slug": format!("logged-{kind}-renamed")}), kind, "updated").await;
        write_once(&app, a, Method::DELETE, &entry, json!({}), kind, "deleted").await;
    }

    // A refused write appends nothing.
    let before = changes::position(&app.db).await.unwrap();
    let refused = app.post_as(a, "/api/v1/tags", &json!({"name": ""})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(changes::position(&app.db).await.unwrap(), before);
    let log = app.get_as(a, "/api/v1/audit-log?limit=1").await.json();
    assert!(log[0]["action"].is_string(), "writes are still audited");
}

/// A change as a test appends it straight through the service.
fn probe(n: u32) -> Change {
    Change {
        kind: RecordKind::Tag,
        item_id: Uuid::now_v7(),
        action: ChangeAction::Updated,
        version: Some(i32::try_from(n).unwrap()),
        public_before: true,
        public_after: true,
        summary: json!({"probe": n}),
    }
}

/// Transaction A appends and stays open; B starts later and must wait rather than take a number
/// a reader could see before A's: a reader sees neither, then both, in order.
async fn a_reader_never_sees_a_later_change_first(app: TestApp) {
    let start = changes::position(&app.db).await.unwrap();
    let first = crate::helpers::begin_write(&app.db).await;
    let first_seq = changes::append(&first, probe(1)).await.unwrap();
    assert_eq!(first_seq, start + 1);
    let db = app.db.clone();
    let second = tokio::spawn(async move {
        let txn = crate::helpers::begin_write(&db).await;
        let seq = changes::append(&txn, probe(2)).await.unwrap();
        txn.commit().await.unwrap();
        seq
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(changes::since(&app.db, start, 10).await.unwrap().is_empty(), "nothing is visible while the first transaction is open");
    assert!(!second.is_finished(), "the second appender waits for the first to commit");
    first.commit().await.unwrap();
    let second_seq = second.await.unwrap();
    assert_eq!(second_seq, start + 2);
    let seen: Vec<i64> = changes::since(&app.db, start, 10).await.unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seen, [start + 1, start + 2]);

    // A rolled-back append leaves no gap: the number is handed out again.
    let rolled = crate::helpers::begin_write(&app.db).await;
    changes::append(&rolled, probe(3)).await.unwrap();
    rolled.rollback().await.unwrap();
    let txn = crate::helpers::begin_write(&app.db).await;
    assert_eq!(changes::append(&txn, probe(4)).await.unwrap(), start + 3);
    txn.commit().await.unwrap();
}

/// Many writers over HTTP and a reader following the log: every read continues exactly where
/// the last ended, and at the end every change was seen once.
async fn a_follower_sees_every_change_once_under_concurrent_writers(app: TestApp) {
    let admin = app.admin().await;
    let start = changes::position(&app.db).await.unwrap();
    let app = std::sync::Arc::new(app);
    let mut writers = Vec::new();
    for writer in 0..6 {
        let (app, admin) = (app.clone(), admin.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..8 {
                let reply = app.post_as(&admin, "/api/v1/tags", &json!({"name": format!("Follow {writer}-{n}")})).await;
                assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
            }
        }));
    }
    let mut position = start;
    let mut seen = Vec::new();
    loop {
        let done = writers.iter().all(|w| w.is_finished());
        for change in changes::since(&app.db, position, 7).await.unwrap() {
            assert_eq!(change.seq, position + 1, "a follower never skips a change");
            position = change.seq;
            seen.push(change.seq);
        }
        if done && changes::position(&app.db).await.unwrap() == position {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(seen.len(), 48);
    assert_eq!(seen, ((start + 1)..=(start + 48)).collect::<Vec<_>>());
}

/// Pruning keeps the newest change (the numbering goes on) and marks how far it went.
async fn retention_prunes_old_changes_and_marks_it(app: TestApp) {
    let admin = app.admin().await;
    for n in 0..3 {
        app.post_as(&admin, "/api/v1/tags", &json!({"name": format!("Old {n}")})).await;
    }
    let newest = changes::position(&app.db).await.unwrap();
    let txn = app.db.begin().await.unwrap();
    let pruned = changes::prune(&txn, chrono::Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(pruned, u64::try_from(newest - 1).unwrap());
    assert_eq!(changes::mark(&app.db, changes::PRUNED_MARK).await.unwrap(), newest - 1);
    assert_eq!(changes::position(&app.db).await.unwrap(), newest);
    app.post_as(&admin, "/api/v1/tags", &json!({"name": "After pruning"})).await;
    assert_eq!(changes::position(&app.db).await.unwrap(), newest + 1);
    assert_eq!(api::jobs::retention::prune(&app.db, 1).await.unwrap(), 0, "nothing is a day old");
}

crate::on_both_databases!(
    every_write_path_appends_exactly_one_change,
    a_reader_never_sees_a_later_change_first,
    a_follower_sees_every_change_once_under_concurrent_writers,
    retention_prunes_old_changes_and_marks_it,
);
