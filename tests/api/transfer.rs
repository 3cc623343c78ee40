//! `ou export` / `ou import` / `ou backup`: a publication moved SQLite → PostgreSQL → SQLite keeps
//! every row and value and serves the same answers; dumps that cannot be read are refused.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp};
use crate::news::{Answer, FeedServer, rss};
use crate::processes::{fresh_database, ou_command, serve};

fn ou(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    ou_command(dir, url).args(args).output().expect("ou runs")
}

fn ou_ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let output = ou(dir, url, args);
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "ou {args:?}: {text}");
    text
}

/// A value with every object's keys sorted, so rows compare as text whatever order a database
/// keeps JSON keys in.
fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: BTreeMap<_, _> = map.iter().map(|(k, v)| (k.clone(), sorted(v))).collect();
                Value::Object(ordered.into_iter().collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Where two answers first differ, as a JSON path with both values.
fn difference(ours: &Value, theirs: &Value, at: String) -> String {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => a
            .keys()
            .chain(b.keys())
            .find(|k| a.get(*k) != b.get(*k))
            .map(|k| difference(&a.get(k).cloned().unwrap_or_default(), &b.get(k).cloned().unwrap_or_default(), format!("{at}.{k}")))
            .unwrap_or(at),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => (0..a.len())
            .find(|&i| a[i] != b[i])
            .map(|i| difference(&a[i], &b[i], format!("{at}[{i}]")))
            .unwrap_or(at),
        _ => format!("{at}: {ours} ≠ {theirs}"),
    }
}

/// The header and the rows of a dump, each table's rows sorted.
fn read_dump(path: &Path) -> (Value, BTreeMap<String, Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        let line: Value = serde_json::from_str(line).unwrap();
        if line["end"] == true {
            continue;
        }
        tables.entry(line["table"].as_str().unwrap().to_owned()).or_default().push(canonical(&line["row"]));
    }
    tables.values_mut().for_each(|rows| rows.sort());
    (header, tables)
}

/// A publication with something in every table: the demo, edits with revisions, a user with a
/// session, an API key, a webhook with deliveries, a news source with its drafted stories.
async fn publication() -> (TestApp, FeedServer) {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.outbound_allow_private = true;
        s.public_url = PUBLIC_URL.into();
    }).await.unwrap();
    app.seed_demo().await;
    let admin = app.admin().await;
    let feeds = FeedServer::start().await;
    let url = feeds.set("/wire.xml", Answer::ok("application/rss+xml", &rss(&[("Strike wins", "https://news.example.org/a", Some("a")), ("Union vote", "https://news.example.org/b", None)])));
    let source = app.post_as(&admin, "/api/v1/news-sources", &json!({"url": url})).await.json();
    let polled = app.post_as(&admin, &format!("/api/v1/news-sources/{}/poll", source["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(polled.json()["drafts_created"], 2, "{}", polled.json());
    let hook = app.post_as(&admin, "/api/v1/webhooks", &json!({"url": "https://hooks.example.org/ou", "events": ["*"]})).await;
    assert_eq!(hook.status, 201, "{}", String::from_utf8_lossy(&hook.body));
    assert_eq!(app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "site", "scope": "content"})).await.status, 201);
    let essay = app.post_as(&admin, "/api/v1/essays", &json!({"title": "Moving the archive", "body": "Ünïcode *body*, \"quotes\" and\nnew lines."})).await.json();
    let id = essay["id"].as_str().unwrap();
    let published = app.post_as(&admin, &format!("/api/v1/essays/{id}/publish"), &json!({"version": 1})).await;
    assert_eq!(published.status, 200, "{}", String::from_utf8_lossy(&published.body));
    (app, feeds)
}

/// Where every copy says it lives, so their links compare.
const PUBLIC_URL: &str = "https://news.organizingupgrade.test";

/// The answers compared between the original and every imported copy.
const ANSWERS: &[&str] = &[
    "/api/v1/content?limit=100",
    "/api/v1/essays?include=authors,sectors&sort=-published_at",
    "/api/v1/sectors",
    "/api/v1/editors",
    "/feeds/all.json",
];

async fn answers(address: &str, token: Option<&str>) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for path in ANSWERS.iter().copied().chain(token.map(|_| "/api/v1/news-links?status=draft")) {
        let mut request = client.get(format!("{address}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let reply = request.send().await.unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        bodies.push(reply.json().await.unwrap());
    }
    bodies
}

async fn login(address: &str) -> Option<String> {
    let reply = reqwest::Client::new()
        .post(format!("{address}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    if reply.status() != 200 {
        return None;
    }
    reply.json::<Value>().await.unwrap()["access_token"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publication_moves_between_databases_whole() {
    let (app, _feeds) = publication().await;
    let source_url = app.settings.database_url.clone();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let first = dir.join("first.jsonl");
    ou_ok(dir, &source_url, &["export", "--to", first.to_str().unwrap()]);
    let (header, rows) = read_dump(&first);
    assert_eq!(header["format"], "organizing-upgrade-dump");
    assert_eq!(header["version"], 1);
    assert_eq!(header["secrets"], true);
    assert!(header["change_log_position"].as_i64().unwrap() > 0, "{header}");
    for table in ["users", "refresh_sessions", "api_keys", "webhooks", "news_sources", "news_stories", "news_source_entries", "content_items", "content_bodies", "revisions", "audit_log", "changes", "content_authors", "content_tags", "sectors"] {
        assert!(rows.get(table).is_some_and(|r| !r.is_empty()), "the dump holds {table}");
    }
    let admin_token = app.admin().await;
    let original = answers(&app.address, Some(&admin_token)).await;

    // SQLite → PostgreSQL (when configured) → SQLite, exported again at every stop.
    let mut stops = Vec::new();
    if let Some(postgres) = fresh_database(Backend::Postgres, &dir.join("pg")).await {
        stops.push(postgres);
    } else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the PostgreSQL leg");
    }
    std::fs::create_dir_all(dir.join("back")).unwrap();
    stops.push(format!("sqlite://{}", dir.join("back/ou.db").display()));
    let mut previous = first.clone();
    for (n, url) in stops.iter().enumerate() {
        let imported = ou_ok(dir, url, &["import", previous.to_str().unwrap()]);
        assert!(imported.contains("imported"), "{imported}");
        let dump = dir.join(format!("stop-{n}.jsonl"));
        ou_ok(dir, url, &["export", "--to", dump.to_str().unwrap()]);
        let (again_header, again) = read_dump(&dump);
        assert_eq!(again_header["change_log_position"], header["change_log_position"]);
        assert_eq!(again.keys().collect::<Vec<_>>(), rows.keys().collect::<Vec<_>>(), "the same tables at {url}");
        for (table, expected) in &rows {
            assert_eq!(&again[table], expected, "every row and value of {table} at {url}");
        }
        // The copy serves what the original served, to the public and to the admin.
        let server = serve(dir, url, &[("OU_PUBLIC_URL", PUBLIC_URL)]);
        let token = login(&server.address).await.expect("the admin's password moved with the dump");
        let served = answers(&server.address, Some(&token)).await;
        for ((path, ours), theirs) in ANSWERS.iter().chain(["drafts"].iter()).zip(&original).zip(&served) {
            assert!(ours == theirs, "{path} at {url} differs at {}", difference(ours, theirs, String::new()));
        }
        drop(server);
        previous = dump;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_refuse_what_they_cannot_read_whole() {
    let (app, _feeds) = publication().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let dump = dir.join("dump.jsonl");
    ou_ok(dir, &app.settings.database_url, &["export", "--to", dump.to_str().unwrap()]);
    let text = std::fs::read_to_string(&dump).unwrap();
    let refused = |url: &str, file: &Path, expected: &str| {
        let output = ou(dir, url, &["import", file.to_str().unwrap()]);
        let message = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(!output.status.success(), "{file:?} was imported");
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains("panicked"), "{message}");
    };
    // A database with a publication in it.
    refused(&app.settings.database_url, &dump, "not empty");
    // An export never overwrites a file.
    assert!(!ou(dir, &app.settings.database_url, &["export", "--to", dump.to_str().unwrap()]).status.success());

    let empty = format!("sqlite://{}", dir.join("empty/ou.db").display());
    let variant = |name: &str, content: String| {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    };
    let future = variant("future.jsonl", text.replacen("\"version\":1", "\"version\":99", 1));
    refused(&empty, &future, "version 99");
    refused(&empty, &variant("other.jsonl", "{\"hello\":1}\n".into()), "not an Organizing Upgrade dump");
    let lines: Vec<&str> = text.lines().collect();
    refused(&empty, &variant("cut.jsonl", lines[..lines.len() / 2].join("\n")), "cut off");
    let mut unknown = lines.clone();
    unknown.insert(1, r#"{"table":"secrets","row":{}}"#);
    refused(&empty, &variant("unknown.jsonl", unknown.join("\n")), "unknown table");
    // Nothing of a refused import stays behind: the full dump still goes in after them.
    ou_ok(dir, &empty, &["import", dump.to_str().unwrap()]);
    // --replace swaps the publication for the dump's.
    ou_ok(dir, &app.settings.database_url, &["import", "--replace", dump.to_str().unwrap()]);
    assert_eq!(app.get("/api/v1/essays").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_without_secrets_holds_none() {
    let (app, _feeds) = publication().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let dump = dir.join("public.jsonl");
    ou_ok(dir, &app.settings.database_url, &["export", "--no-secrets", "--to", dump.to_str().unwrap()]);
    let (header, rows) = read_dump(&dump);
    assert_eq!(header["secrets"], false);
    assert!(!rows.contains_key("refresh_sessions"));
    for (table, column) in [("users", "password_hash"), ("api_keys", "key_hash"), ("webhooks", "secret")] {
        for row in &rows[table] {
            let row: Value = serde_json::from_str(row).unwrap();
            assert!(row[column].is_null(), "{table}.{column} left out: {row}");
        }
    }
    let text = std::fs::read_to_string(&dump).unwrap();
    assert!(!text.contains("$argon2") && !text.contains("whsec_"), "no hash or secret anywhere");
    let copy = format!("sqlite://{}", dir.join("copy/ou.db").display());
    ou_ok(dir, &copy, &["import", dump.to_str().unwrap()]);
    let server = serve(dir, &copy, &[]);
    assert!(login(&server.address).await.is_none(), "no password moved, so none logs in");
    let public = reqwest::get(format!("{}/api/v1/essays", server.address)).await.unwrap();
    assert_eq!(public.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_sqlite_database_is_backed_up_while_writes_go_on() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = app.admin().await;
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (client, address, admin, writing) = (app.client.clone(), app.address.clone(), admin.clone(), writing.clone());
        tokio::spawn(async move {
            let mut written = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                let reply = client.post(format!("{address}/api/v1/tags")).bearer_auth(&admin).json(&json!({"name": format!("tag {written}")})).send().await.unwrap();
                assert_eq!(reply.status(), 201);
                written += 1;
            }
            written
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let work = tempfile::tempdir().unwrap();
    let backup = work.path().join("backups/ou-backup.db");
    let said = ou_ok(work.path(), &app.settings.database_url, &["backup", "--to", backup.to_str().unwrap()]);
    assert!(said.contains("backed up"), "{said}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    let written: u64 = writer.await.unwrap();
    // The copy opens, is whole, and holds a prefix of the writes: a consistent moment.
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
    let copy = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", backup.display())).await.unwrap();
    let check = copy.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA integrity_check")).await.unwrap().unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    let copied = entity::tag::Entity::find().count(&copy).await.unwrap();
    let live = entity::tag::Entity::find().count(&app.db).await.unwrap();
    assert!(copied > 0 && copied < live, "the backup is a moment between the first and the last write: {copied} of {live} ({written} written)");
    let served = serve(work.path(), &format!("sqlite://{}", backup.display()), &[]);
    assert_eq!(reqwest::get(format!("{}/api/v1/tags?limit=1", served.address)).await.unwrap().status(), 200);
    // A second backup to the same file is refused rather than overwriting it.
    assert!(!ou(work.path(), &app.settings.database_url, &["backup", "--to", backup.to_str().unwrap()]).status.success());
}
