//! `ou serve` as operators run it, as a process: killed during its first start and during an
//! upgrade, killed under write load, and stopped with SIGTERM during a slow request.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `ou serve` and the address it listens on.
pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The command `ou` in `dir` with the environment the tests share.
pub fn ou_command(dir: &Path, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ou"));
    command
        .current_dir(dir)
        .env_remove("OU_ADMIN_PASSWORD")
        .env("OU_DATABASE_URL", database_url)
        .env("OU_DATA_DIR", dir.join("data"))
        .env("OU_ADMIN_EMAIL", crate::helpers::ADMIN_EMAIL)
        .env("OU_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
        .env("OU_BIND", "127.0.0.1:0")
        .env("OU_WORKERS", "2")
        .env("OU_LOG", "warn")
        .env("OU_SCHEDULER_INTERVAL_SECONDS", "0")
        .env("OU_NEWS_POLL_INTERVAL_SECONDS", "0")
        .env("OU_RATE_LIMIT_WRITES_PER_MINUTE", "0")
        .env("OU_RATE_LIMIT_AUTHENTICATED_READS_PER_MINUTE", "0")
        .stdin(Stdio::null());
    command
}

/// Starts `ou serve` without waiting for it.
fn start(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Child {
    let mut command = ou_command(dir, database_url);
    command.arg("serve").stdout(Stdio::piped()).stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("ou serve starts")
}

/// Starts `ou serve` and waits until it listens; panics with its output when it exits instead.
pub fn serve(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Server {
    let mut child = start(dir, database_url, env);
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("Organizing Upgrade content API listening on ") {
                sender.send(address.trim().to_owned()).ok();
            }
        }
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(address) => Server { child, address: format!("http://{address}") },
        Err(_) => {
            child.kill().ok();
            let output = child.wait_with_output().expect("output");
            panic!("ou serve did not start: {}", String::from_utf8_lossy(&output.stderr));
        }
    }
}

/// A fresh database URL for `backend` in `dir` (`None`: PostgreSQL is not configured).
pub async fn fresh_database(backend: crate::helpers::Backend, dir: &Path) -> Option<String> {
    use sea_orm::ConnectionTrait;
    match backend {
        crate::helpers::Backend::Sqlite => Some(format!("sqlite://{}", dir.join("ou.db").display())),
        crate::helpers::Backend::Postgres => {
            let base = std::env::var("OU_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
            let name = format!("ou_test_{}", uuid::Uuid::now_v7().simple());
            let admin = sea_orm::Database::connect(&base).await.expect("connect to OU_TEST_POSTGRES_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            Some(crate::helpers::postgres_url_with_database(&base, &name))
        }
    }
}

/// Kills a start of `ou serve` after `delay`.
fn kill_after(dir: &Path, database_url: &str, delay: Duration) {
    let mut child = start(dir, database_url, &[]);
    std::thread::sleep(delay);
    child.kill().ok();
    child.wait().ok();
}

/// How long a whole start takes here, so the kills spread over all of it.
fn start_time(dir: &Path, database_url: &str) -> Duration {
    let began = Instant::now();
    drop(serve(dir, database_url, &[]));
    began.elapsed()
}

fn ou_ok(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let output = ou_command(dir, database_url).args(args).output().expect("ou runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "ou {args:?}: {text}");
    text
}

fn kills_during_first_starts_and_upgrades_never_break_the_next_start(backend: crate::helpers::Backend, tries: u32) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // First starts: a new database each time, killed at points spread over a whole start.
    let measure = tempfile::tempdir().unwrap();
    let Some(url) = runtime.block_on(fresh_database(backend, measure.path())) else {
        return eprintln!("OU_TEST_POSTGRES_URL is not set: PostgreSQL run skipped");
    };
    let whole = start_time(measure.path(), &url);
    for i in 0..tries {
        let dir = tempfile::tempdir().unwrap();
        let url = runtime.block_on(fresh_database(backend, dir.path())).unwrap();
        kill_after(dir.path(), &url, whole * i / tries);
        let server = serve(dir.path(), &url, &[]);
        let status = ou_ok(dir.path(), &url, &["migrate", "status"]);
        assert!(!status.contains("pending"), "after a kill {i}/{tries} into the first start: {status}");
        drop(server);
    }
    // Upgrades: a populated database three migrations behind, killed while it catches up.
    let dir = tempfile::tempdir().unwrap();
    let url = runtime.block_on(fresh_database(backend, dir.path())).unwrap();
    ou_ok(dir.path(), &url, &["seed-demo"]);
    ou_ok(dir.path(), &url, &["migrate", "down", "--steps", "3"]);
    let upgrade = start_time(dir.path(), &url);
    for i in 0..tries {
        ou_ok(dir.path(), &url, &["migrate", "down", "--steps", "3"]);
        kill_after(dir.path(), &url, upgrade * i / tries);
        let server = serve(dir.path(), &url, &[]);
        let status = ou_ok(dir.path(), &url, &["migrate", "status"]);
        assert!(!status.contains("pending"), "after a kill {i}/{tries} into an upgrade: {status}");
        let essays = runtime.block_on(async {
            reqwest::get(format!("{}/api/v1/essays", server.address)).await.unwrap().headers()["x-total-count"].to_str().unwrap().to_owned()
        });
        assert_ne!(essays, "0", "the publication survives the upgrade");
    }
}

#[test]
fn sqlite_kills_during_first_starts_and_upgrades_never_break_the_next_start() {
    kills_during_first_starts_and_upgrades_never_break_the_next_start(crate::helpers::Backend::Sqlite, 12);
}

#[test]
fn postgres_kills_during_first_starts_and_upgrades_never_break_the_next_start() {
    kills_during_first_starts_and_upgrades_never_break_the_next_start(crate::helpers::Backend::Postgres, 5);
}

async fn login(client: &reqwest::Client, address: &str) -> String {
    let reply = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

/// Writers create and edit essays as fast as they can until the server is killed (-9); after a
/// restart every write the server acknowledged is there with its revision and audit entry.
async fn acknowledged_writes_survive_a_kill(backend: crate::helpers::Backend) {
    use serde_json::{Value, json};
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(backend, dir.path()).await else {
        return eprintln!("OU_TEST_POSTGRES_URL is not set: PostgreSQL run skipped");
    };
    let mut server = serve(dir.path(), &url, &[]);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let token = login(&client, &server.address).await;
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, i64)>::new()));
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let (client, address, token, acknowledged) = (client.clone(), server.address.clone(), token.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let body = json!({"title": format!("Writer {writer} essay {n}"), "body": "Words that must not be lost."});
                    let Ok(reply) = client.post(format!("{address}/api/v1/essays")).bearer_auth(&token).json(&body).send().await else { break };
                    if reply.status() != 201 {
                        break;
                    }
                    let etag = reply.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    let Ok(created) = reply.json::<Value>().await else { break };
                    let id = created["id"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push((id.clone(), 1));
                    let edit = json!({"title": format!("Writer {writer} essay {n}, edited")});
                    let Ok(reply) = client.patch(format!("{address}/api/v1/essays/{id}")).bearer_auth(&token).header("If-Match", etag).json(&edit).send().await else { break };
                    if reply.status() != 200 {
                        break;
                    }
                    acknowledged.lock().unwrap().push((id, 2));
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 10, "the writers got going: {}", acknowledged.len());
    let server = serve(dir.path(), &url, &[]);
    let token = login(&client, &server.address).await;
    let mut latest: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for (id, version) in &acknowledged {
        let entry = latest.entry(id.clone()).or_default();
        *entry = (*entry).max(*version);
    }
    for (id, version) in &latest {
        let item: Value = client.get(format!("{}/api/v1/essays/{id}", server.address)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert!(item["version"].as_i64().unwrap() >= *version, "{id} lost an acknowledged write: {item}");
        let revisions: Value = client.get(format!("{}/api/v1/essays/{id}/revisions", server.address)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert!(revisions.as_array().is_some_and(|r| r.len() as i64 >= *version), "{id} has a revision per acknowledged write: {revisions}");
    }
    // Every acknowledged write has its audit entry (the create, and the edit when it was answered).
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let entries = entity::audit_log::Entity::find().filter(entity::audit_log::Column::Resource.eq("essays")).all(&db).await.unwrap();
    for (id, version) in &acknowledged {
        let audited = entries.iter().any(|e| e.resource_id.map(|r| r.to_string()).as_deref() == Some(id.as_str()) && e.version_after.is_none_or(|v| i64::from(v) == *version));
        assert!(audited, "{id} has the audit entry of version {version}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_writes_survive_a_kill() {
    acknowledged_writes_survive_a_kill(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_acknowledged_writes_survive_a_kill() {
    acknowledged_writes_survive_a_kill(crate::helpers::Backend::Postgres).await;
}

/// SIGTERM while a request is in flight: the request is answered, then the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_slow_request_finish() {
    use crate::news::{Answer, FeedServer, rss};
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(crate::helpers::Backend::Sqlite, dir.path()).await.unwrap();
    let mut server = serve(dir.path(), &url, &[("OU_OUTBOUND_ALLOW_PRIVATE", "true")]);
    let client = reqwest::Client::new();
    let token = login(&client, &server.address).await;
    let feeds = FeedServer::start().await;
    let feed = feeds.set("/slow.xml", Answer::ok("application/rss+xml", &rss(&[("Slow news", "https://news.example.org/slow", None)])));
    let source: serde_json::Value = client.post(format!("{}/api/v1/news-sources", server.address)).bearer_auth(&token).json(&serde_json::json!({"url": feed})).send().await.unwrap().json().await.unwrap();
    let mut slow = Answer::ok("application/rss+xml", &rss(&[("Slow news", "https://news.example.org/slow", None)]));
    slow.delay = Duration::from_secs(3);
    feeds.set("/slow.xml", slow);
    let poll = {
        let (client, address, token) = (client.clone(), server.address.clone(), token.clone());
        let id = source["id"].as_str().unwrap().to_owned();
        tokio::spawn(async move { client.post(format!("{address}/api/v1/news-sources/{id}/poll")).bearer_auth(&token).json(&serde_json::json!({})).send().await })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let answered = poll.await.unwrap().expect("the request in flight is answered");
    assert_eq!(answered.status(), 200);
    let polled: serde_json::Value = answered.json().await.unwrap();
    assert_eq!(polled["drafts_created"], 1, "{polled}");
    let exited = server.child.wait().unwrap();
    assert!(exited.success(), "a graceful stop exits 0: {exited:?}");
    assert!(reqwest::get(format!("{}/healthz", server.address)).await.is_err(), "and listens no more");
}
