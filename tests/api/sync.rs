//! Sync from the outside: a replica that applies the deltas ends equal to a fresh initial sync
//! for every kind of caller, across publish, unpublish, trash, purge, slug changes, catalog
//! writes and a hidden profile; tokens are bound to their scope, tamper-proof and expire with
//! the log; an unchanged position is cheap and revalidates with 304.

use std::collections::BTreeMap;

use reqwest::Method;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// How a client authenticates.
#[derive(Clone)]
enum Credential {
    Anonymous,
    Key(String),
    Bearer(String),
}

impl Credential {
    async fn get(&self, app: &TestApp, path: &str, extra: &[(&str, &str)]) -> crate::helpers::Reply {
        match self {
            Credential::Anonymous => app.get_with(path, extra).await,
            Credential::Key(key) => {
                let mut headers = vec![("X-Api-Key", key.as_str())];
                headers.extend_from_slice(extra);
                app.get_with(path, &headers).await
            }
            Credential::Bearer(token) => app.send(Method::GET, path, Some(token), None, extra).await,
        }
    }
}

/// A client's copy: (kind, id) → data.
type Replica = BTreeMap<(String, String), Value>;

fn apply(replica: &mut Replica, items: &[Value]) {
    for item in items {
        let key = (item["kind"].as_str().unwrap().to_owned(), item["id"].as_str().unwrap().to_owned());
        match item["op"].as_str().unwrap() {
            "upsert" => {
                assert_eq!(item["version"], item["data"]["version"], "{item}");
                replica.insert(key, item["data"].clone());
            }
            "remove" => {
                assert!(["deleted", "unpublished", "not_visible"].contains(&item["reason"].as_str().unwrap()), "{item}");
                replica.remove(&key);
            }
            other => panic!("unknown op {other}"),
        }
    }
}

/// Follows pages from `query` until a sync token; returns every item and that token.
async fn pages(app: &TestApp, who: &Credential, query: &str) -> (Vec<Value>, String) {
    let mut query = query.to_owned();
    let mut items = Vec::new();
    for _ in 0..500 {
        let reply = who.get(app, &format!("/api/v1/sync?{query}"), &[]).await;
        assert_eq!(reply.status, 200, "{query}: {}", String::from_utf8_lossy(&reply.body));
        let page = reply.json();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match (page["next_page_token"].as_str(), page["next_sync_token"].as_str()) {
            (Some(next), None) => query = format!("token={next}"),
            (None, Some(done)) => return (items, done.to_owned()),
            _ => panic!("a page has exactly one of next_page_token and next_sync_token: {page}"),
        }
    }
    panic!("sync never finished");
}

/// A fresh initial download, in small pages.
async fn fresh(app: &TestApp, who: &Credential, kinds: &str) -> (Replica, String) {
    let (items, token) = pages(app, who, &format!("initial=true&limit=7{kinds}")).await;
    assert!(items.iter().all(|i| i["op"] == "upsert"), "an initial download holds no removals");
    let mut replica = Replica::new();
    apply(&mut replica, &items);
    assert_eq!(replica.len(), items.len(), "each item once");
    (replica, token)
}

/// One syncing client.
struct Client {
    name: &'static str,
    who: Credential,
    kinds: &'static str,
    replica: Replica,
    token: String,
}

impl Client {
    async fn start(app: &TestApp, name: &'static str, who: Credential, kinds: &'static str) -> Client {
        let (replica, token) = fresh(app, &who, kinds).await;
        Client { name, who, kinds, replica, token }
    }

    /// Applies what changed and checks the copy equals a fresh download; returns the delta.
    async fn catch_up(&mut self, app: &TestApp, step: &str) -> Vec<Value> {
        let (items, token) = pages(app, &self.who, &format!("token={}", self.token)).await;
        apply(&mut self.replica, &items);
        self.token = token;
        let (expected, _) = fresh(app, &self.who, self.kinds).await;
        assert_eq!(self.replica.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{}: after {step}", self.name);
        assert!(self.replica == expected, "{}: after {step} the data differs", self.name);
        items
    }
}

async fn replicas_follow_every_kind_of_write(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let preview = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "App preview", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();
    let content_key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "App", "scope": "content"})).await.json()["secret"].as_str().unwrap().to_owned();
    let labor = app.get("/api/v1/sectors/labor").await.json()["id"].as_str().unwrap().to_owned();
    let editor = app.user("editor", std::slice::from_ref(&labor), None).await.1;
    let mut clients = vec![
        Client::start(&app, "anonymous", Credential::Anonymous, "").await,
        Client::start(&app, "content key", Credential::Key(content_key), "").await,
        Client::start(&app, "preview key", Credential::Key(preview), "").await,
        Client::start(&app, "admin", Credential::Bearer(admin.clone()), "").await,
        Client::start(&app, "labor editor", Credential::Bearer(editor), "").await,
        Client::start(&app, "anonymous, essays and tags", Credential::Anonymous, "&kind=essay,tag").await,
    ];
    assert!(clients[0].replica.keys().any(|(kind, _)| kind == "sector"), "catalog items sync too");
    assert!(clients[2].replica.len() > clients[0].replica.len(), "a preview key sees drafts");

    let write = |method: Method, path: String, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let reply = app.send(method.clone(), &path, Some(&admin), Some(&body.to_string()), &[]).await;
            assert!(reply.status < 300, "{method} {path}: {}", String::from_utf8_lossy(&reply.body));
            reply.json()
        }
    };
    let essay = write(Method::POST, "/api/v1/essays".into(), json!({"title": "Synced", "sector_ids": [labor]})).await;
    let id = essay["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/essays/{id}");
    let profile = write(Method::POST, "/api/v1/editors".into(), json!({"display_name": "Synced Author", "team_role": "contributor"})).await;
    let profile_path = format!("/api/v1/editors/{}", profile["id"].as_str().unwrap());
    let steps: Vec<(&str, Method, String, Value)> = vec![
        ("credit a visible author", Method::PATCH, path.clone(), json!({"author_ids": [profile["id"]], "version": 1})),
        ("publish", Method::POST, format!("{path}/publish"), json!({"version": 2})),
        ("slug change", Method::PATCH, path.clone(), json!({"slug": "synced-renamed", "version": 3})),
        ("hide the author's profile", Method::PATCH, profile_path.clone(), json!({"visible": false})),
        ("show it again", Method::PATCH, profile_path.clone(), json!({"visible": true})),
        ("unpublish", Method::POST, format!("{path}/unpublish"), json!({"version": 4})),
        ("publish again", Method::POST, format!("{path}/publish"), json!({"version": 5})),
        ("trash", Method::DELETE, path.clone(), json!({})),
        ("restore", Method::POST, format!("{path}/restore"), json!({})),
        ("trash again", Method::DELETE, path.clone(), json!({})),
        ("purge", Method::DELETE, format!("{path}?purge=true"), json!({})),
        ("create a tag", Method::POST, "/api/v1/tags".into(), json!({"name": "Synced tag", "slug": "synced-tag"})),
        ("rename the tag", Method::PATCH, "/api/v1/tags/synced-tag".into(), json!({"name": "Synced tag, renamed"})),
        ("delete the tag", Method::DELETE, "/api/v1/tags/synced-tag".into(), json!({})),
        ("new sector", Method::POST, "/api/v1/sectors".into(), json!({"name": "Synced sector"})),
    ];
    for (step, method, target, body) in steps {
        write(method, target, body).await;
        for client in &mut clients {
            let delta = client.catch_up(&app, step).await;
            if step == "publish" && client.name.starts_with("anonymous") {
                assert!(delta.iter().any(|i| i["op"] == "upsert" && i["id"] == id.as_str()), "{delta:?}");
            }
            if step == "unpublish" && client.name.starts_with("anonymous") {
                let removal = delta.iter().find(|i| i["id"] == id.as_str()).unwrap();
                assert_eq!((removal["op"].as_str(), removal["reason"].as_str()), (Some("remove"), Some("unpublished")));
            }
            if step == "trash" && client.name.contains("essays") {
                let removal = delta.iter().find(|i| i["id"] == id.as_str()).unwrap();
                assert_eq!((removal["kind"].as_str(), removal["reason"].as_str()), (Some("essay"), Some("deleted")), "a kind filter keeps removals");
            }
            if step == "purge" && client.name == "admin" {
                assert!(delta.iter().any(|i| i["op"] == "remove" && i["id"] == id.as_str()), "a purge leaves a removal: {delta:?}");
            }
        }
    }
    // Anonymous callers never heard of the draft before it was published.
    let (everything, _) = pages(&app, &Credential::Anonymous, "initial=true").await;
    assert!(everything.iter().all(|i| i["kind"] != "essay" || i["data"]["status"] == "published"));
}

async fn drafts_stay_out_of_public_deltas(app: TestApp) {
    let admin = app.admin().await;
    let (_, token) = fresh(&app, &Credential::Anonymous, "").await;
    let draft = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Quiet draft"})).await.json();
    app.send(Method::PATCH, &format!("/api/v1/essays/{}", draft["id"].as_str().unwrap()), Some(&admin), Some(r#"{"summary": "Still quiet", "version": 1}"#), &[]).await;
    let (items, next) = pages(&app, &Credential::Anonymous, &format!("token={token}")).await;
    assert!(items.is_empty(), "anonymous callers learn nothing of drafts: {items:?}");
    assert_ne!(next, token, "the position moved past the draft's changes");
}

async fn tokens_are_bound_sealed_and_expire(app: TestApp) {
    let admin = app.admin().await;
    let preview = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "Preview", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();
    let (_, public_token) = fresh(&app, &Credential::Anonymous, "").await;

    // Unchanged: an empty page with the same token, cheap, and 304 on revalidation.
    let path = format!("/api/v1/sync?token={public_token}");
    let before = app.statements().await;
    let unchanged = app.get(&path).await;
    assert!(app.statements().await - before <= 2, "an unchanged position costs at most two statements");
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.json(), json!({"items": [], "next_sync_token": public_token}));
    assert_eq!(unchanged.header("cache-control").as_deref(), Some("private, no-cache"));
    let etag = unchanged.header("etag").unwrap();
    assert_eq!(app.get_with(&path, &[("If-None-Match", &etag)]).await.status, 304);
    app.post_as(&admin, "/api/v1/tags", &json!({"name": "Moves it"})).await;
    assert_eq!(app.get_with(&path, &[("If-None-Match", &etag)]).await.status, 200);

    // Another scope, a tampered token, an unknown one: start over.
    let other_scope = app.get_with(&path, &[("X-Api-Key", &preview)]).await;
    assert_eq!(other_scope.assert_problem(410), "resync_required");
    let (body, mac) = public_token.split_once('.').unwrap();
    let tampered = format!("{}.{mac}", body.replace(&body[..4], "eyJ2"));
    assert_eq!(app.get(&format!("/api/v1/sync?token={tampered}x")).await.assert_problem(410), "resync_required");
    assert_eq!(app.get("/api/v1/sync?token=nonsense").await.assert_problem(410), "resync_required");

    // A user's token follows their role: a changed role starts over.
    let (user_id, user_token) = app.user("editor", &[], None).await;
    let (_, their_token) = fresh(&app, &Credential::Bearer(user_token.clone()), "").await;
    let ok = app.send(Method::GET, &format!("/api/v1/sync?token={their_token}"), Some(&user_token), None, &[]).await;
    assert_eq!(ok.status, 200);
    app.send(Method::PATCH, &format!("/api/v1/users/{user_id}"), Some(&admin), Some(r#"{"role": "author"}"#), &[]).await;
    let moved = app.send(Method::GET, &format!("/api/v1/sync?token={their_token}"), Some(&user_token), None, &[]).await;
    assert_eq!(moved.assert_problem(410), "resync_required");

    // Older than the log keeps: start over.
    for name in ["Pruned one", "Pruned two"] {
        app.post_as(&admin, "/api/v1/tags", &json!({"name": name})).await;
    }
    let txn = app.db.begin().await.unwrap();
    api::services::changes::prune(&txn, chrono::Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(app.get(&path).await.assert_problem(410), "resync_required");
    let (_, fresh_token) = fresh(&app, &Credential::Anonymous, "").await;
    assert_eq!(app.get(&format!("/api/v1/sync?token={fresh_token}")).await.status, 200);

    // Bad requests change nothing and say why.
    for bad in ["", "initial=false", "initial=true&token=abc", "initial=true&limit=0", "initial=true&limit=1001", "initial=true&kind=essays", "initial=true&since=1", "token=abc&limit=5", "initial=maybe"] {
        let reply = app.get(&format!("/api/v1/sync?{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}: {}", String::from_utf8_lossy(&reply.body));
    }
    assert_eq!(app.request(Method::POST, "/api/v1/sync", Some("{}")).await.status, 405);
}

/// SQL statements one sync request costs.
async fn cost(app: &TestApp, path: &str) -> (u64, Value) {
    let before = app.statements().await;
    let reply = app.get(path).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    (app.statements().await - before, reply.json())
}

/// Reading is batched: a page of 5 or of 40 changed records (and of removals), or an initial
/// page of 10 or of 60 items, costs the same number of statements.
async fn sync_reads_are_batched(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let essays = crate::fixtures::published_essays(&app.db, 45).await;
    let (small, _) = cost(&app, "/api/v1/sync?initial=true&kind=essay&limit=10").await;
    let (large, page) = cost(&app, "/api/v1/sync?initial=true&kind=essay&limit=60").await;
    assert!(page["items"].as_array().unwrap().len() > 45);
    assert_eq!(small, large, "an initial page costs the same whatever its size");

    let mut deltas = Vec::new();
    for (skip, count, action) in [(0, 5, "edit"), (5, 40, "edit"), (0, 5, "unpublish"), (5, 40, "unpublish")] {
        let (_, fresh) = cost(&app, "/api/v1/sync?initial=true&kind=essay&limit=1000").await;
        let token = fresh["next_sync_token"].as_str().unwrap().to_owned();
        for id in essays.iter().skip(skip).take(count) {
            let current = app.get_as(&admin, &format!("/api/v1/essays/{id}")).await.json();
            let version = current["version"].as_i64().unwrap();
            let reply = match action {
                "edit" => app.send(Method::PATCH, &format!("/api/v1/essays/{id}"), Some(&admin), Some(&json!({"summary": format!("v{version}"), "version": version}).to_string()), &[]).await,
                _ => app.post_as(&admin, &format!("/api/v1/essays/{id}/unpublish"), &json!({"version": version})).await,
            };
            assert_eq!(reply.status, 200);
        }
        let (statements, delta) = cost(&app, &format!("/api/v1/sync?token={token}")).await;
        assert_eq!(delta["items"].as_array().unwrap().len(), count, "{action} {count}");
        deltas.push(statements);
    }
    assert_eq!(deltas[0], deltas[1], "a delta of 5 or of 40 upserts costs the same: {deltas:?}");
    assert_eq!(deltas[2], deltas[3], "a delta of 5 or of 40 removals costs the same: {deltas:?}");
}

crate::on_both_databases!(replicas_follow_every_kind_of_write, drafts_stay_out_of_public_deltas, tokens_are_bound_sealed_and_expire, sync_reads_are_batched);
