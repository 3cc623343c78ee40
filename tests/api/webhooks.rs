//! Webhooks from the outside: a receiver on loopback checks Standard Webhooks signatures,
//! retries after 500s, 410 and exhaustion disabling the endpoint, redelivery, ping, replay and
//! secret rotation, events that wait for a node (and survive one that died mid-send), and two
//! nodes delivering each event once.

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::Method;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::TestApp;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on loopback that answers each request with the next scripted status
/// (200 once the script is used up).
#[derive(Clone)]
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

async fn receive(req: HttpRequest, body: web::Bytes, receiver: web::Data<Receiver>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    receiver.hits.lock().unwrap().push(Hit {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    let status = receiver.script.lock().unwrap().pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body(format!("answered {status}"))
}

impl Receiver {
    async fn start(script: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let receiver = Receiver {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            hits: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let data = web::Data::new(receiver.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(receive)))
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
        tokio::spawn(server);
        receiver
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits until at least `count` requests arrived (or fails after 30 s).
    async fn wait_for(&self, count: usize) -> Vec<Hit> {
        for _ in 0..300 {
            let hits = self.hits();
            if hits.len() >= count {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {count} deliveries, got {:?}", self.hits());
    }
}

/// Verifies a Standard Webhooks signature header with `secret`, as a receiver does: one of the
/// space-separated `v1,` signatures is the HMAC-SHA256 of `id.timestamp.body`, and the
/// timestamp is within five minutes.
fn verifies(secret: &str, hit: &Hit) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", hit.id, hit.timestamp, hit.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let fresh = (chrono::Utc::now().timestamp() - hit.timestamp.parse::<i64>().unwrap()).abs() <= 300;
    fresh && hit.signature.split(' ').any(|s| s == expected)
}

/// A node that may call loopback and delivers every second, retrying after 1 s twice.
async fn delivering_node(app: &TestApp) -> TestApp {
    app.another_node_with(|s| {
        s.outbound_allow_private = true;
        s.webhook_interval_seconds = 1;
        s.webhook_retry_schedule = "1,1".into();
    })
    .await
}

async fn create_hook(node: &TestApp, admin: &str, body: Value) -> (String, String) {
    let created = node.post_as(admin, "/api/v1/webhooks", &body).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let created = created.json();
    (created["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
}

async fn publish_essay(node: &TestApp, admin: &str, title: &str) -> String {
    let essay = node.post_as(admin, "/api/v1/essays", &json!({"title": title, "body": "Secret draft body"})).await.json();
    let id = essay["id"].as_str().unwrap().to_owned();
    let published = node.post_as(admin, &format!("/api/v1/essays/{id}/publish"), &json!({"version": 1})).await;
    assert_eq!(published.status, 200);
    id
}

async fn endpoints_are_managed_by_admins(app: TestApp) {
    let admin = app.admin().await;
    let editor = app.user("editor", &[], None).await.1;
    let hook = json!({"url": "https://hooks.example.org/ou", "events": ["essay.published", "content.*"], "kinds": ["essay"]});
    assert_eq!(app.post_as(&editor, "/api/v1/webhooks", &hook).await.assert_problem(403), "forbidden");
    assert_eq!(app.get("/api/v1/webhooks").await.assert_problem(401), "unauthenticated");
    let created = app.post_as(&admin, "/api/v1/webhooks", &hook).await;
    assert_eq!(created.status, 201);
    let created = created.json();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() >= 24, "{secret}");
    assert_eq!(created["events"], json!(["content.*", "essay.published"]));
    assert_eq!(created["active"], true);
    let id = created["id"].as_str().unwrap();
    let listed = app.get_as(&admin, "/api/v1/webhooks").await;
    assert_eq!(listed.total(), 1);
    assert!(!String::from_utf8_lossy(&listed.body).contains(secret), "the secret is shown once");
    assert!(app.get_as(&admin, &format!("/api/v1/webhooks/{id}")).await.json().get("secret").is_none());

    for (bad, field) in [
        (json!({"url": "https://hooks.example.org/x", "events": ["essays.published"]}), "events"),
        (json!({"url": "https://hooks.example.org/x", "events": ["essay.posted"]}), "events"),
        (json!({"url": "https://hooks.example.org/x", "events": []}), "events"),
        (json!({"url": "ftp://hooks.example.org/x"}), "url"),
        (json!({"url": "http://127.0.0.1:9/x"}), "url"),
        (json!({"url": "http://169.254.169.254/latest"}), "url"),
        (json!({"url": "http://localhost/x"}), "url"),
        (json!({"url": "https://hooks.example.org/x", "sector_ids": [uuid::Uuid::now_v7()]}), "sector_ids"),
    ] {
        let refused = app.post_as(&admin, "/api/v1/webhooks", &bad).await;
        assert_eq!(refused.assert_problem(422), "validation_failed", "{bad}");
        assert!(refused.json()["errors"][field].is_array(), "{bad}: {}", refused.json());
    }
    let unknown_kind = app.post_as(&admin, "/api/v1/webhooks", &json!({"url": "https://hooks.example.org/x", "kinds": ["essays"]})).await;
    assert_eq!(unknown_kind.status, 422);

    // Edits are versioned; the server-kept fields are read-only.
    let path = format!("/api/v1/webhooks/{id}");
    let patched = app.send(Method::PATCH, &path, Some(&admin), Some(r#"{"active": false, "description": "Paused"}"#), &[]).await;
    assert_eq!(patched.status, 200);
    assert_eq!((patched.json()["active"].clone(), patched.json()["version"].clone()), (json!(false), json!(2)));
    let stale = app.send(Method::PATCH, &path, Some(&admin), Some(r#"{"description": "Stale", "version": 1}"#), &[]).await;
    assert_eq!(stale.assert_problem(412), "version_conflict");
    let computed = app.send(Method::PATCH, &path, Some(&admin), Some(r#"{"consecutive_failures": 0}"#), &[]).await;
    assert_eq!(computed.status, 200, "an echoed read-only field that is unchanged is left out");
    let changed = app.send(Method::PATCH, &path, Some(&admin), Some(r#"{"consecutive_failures": 3}"#), &[]).await;
    assert_eq!(changed.status, 422);

    // GraphQL manages the same endpoints.
    let query = json!({"query": "mutation { createWebhook(input: {url: \"https://hooks.example.org/gql\", events: [\"*.published\"]}) { id secret events active } }"});
    let answer = app.post_as(&admin, "/graphql", &query).await.json();
    assert!(answer["data"]["createWebhook"]["secret"].as_str().unwrap().starts_with("whsec_"), "{answer}");
    let listed = app.post_as(&admin, "/graphql", &json!({"query": "{ webhooks { totalCount nodes { url events } } }"})).await.json();
    assert_eq!(listed["data"]["webhooks"]["totalCount"], 2, "{listed}");
    let denied = app.post_as(&editor, "/graphql", &json!({"query": "{ webhooks { totalCount } }"})).await.json();
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN", "{denied}");

    assert_eq!(app.send(Method::DELETE, &path, Some(&admin), None, &[]).await.status, 200);
    assert_eq!(app.get_as(&admin, &path).await.assert_problem(404), "not_found");
}

async fn deliveries_are_signed_retried_logged_and_redeliverable(app: TestApp) {
    let node = delivering_node(&app).await;
    let admin = node.admin().await;
    let receiver = Receiver::start(&[500, 503]).await;
    let (hook, secret) = create_hook(&node, &admin, json!({"url": receiver.url, "events": ["essay.published"]})).await;
    let essay = publish_essay(&node, &admin, "Delivered").await;
    node.post_as(&admin, "/api/v1/tags", &json!({"name": "Not subscribed"})).await;

    let hits = receiver.wait_for(3).await;
    assert!(hits.iter().all(|h| h.id == hits[0].id && h.id.starts_with("msg_")), "one webhook-id across retries: {hits:?}");
    assert!(hits.iter().all(|h| verifies(&secret, h)), "every attempt is signed anew: {hits:?}");
    let event = hits[0].json();
    assert_eq!(event["type"], "essay.published");
    assert_eq!(event["data"]["id"], essay.as_str());
    assert_eq!(event["data"]["status"], "published");
    assert_eq!(event["data"]["path"], "/essays/delivered");
    assert!(event["timestamp"].is_string());
    assert!(!hits[0].body.contains("Secret draft body"), "payloads are thin");

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.hits().len(), 3, "nothing else: the tag is not subscribed and success ends the retries");
    let deliveries = node.get_as(&admin, &format!("/api/v1/webhooks/{hook}/deliveries")).await;
    assert_eq!(deliveries.total(), 1);
    let delivery = deliveries.json()[0].clone();
    assert_eq!((delivery["state"].as_str(), delivery["attempts"].as_i64(), delivery["message_id"].as_str()), (Some("succeeded"), Some(3), Some(hits[0].id.as_str())));
    let detail = node.get_as(&admin, &format!("/api/v1/webhooks/{hook}/deliveries/{}", delivery["id"].as_str().unwrap())).await.json();
    let statuses: Vec<i64> = detail["attempt_log"].as_array().unwrap().iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [500, 503, 200]);
    assert_eq!(detail["attempt_log"][0]["response_excerpt"], "answered 500");
    assert!(detail["attempt_log"][2]["succeeded"].as_bool().unwrap());

    // Redeliver one delivery, ping, and replay everything since a moment.
    let redelivered = node.post_as(&admin, &format!("/api/v1/webhooks/{hook}/deliveries/{}/redeliver", delivery["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(redelivered.status, 202);
    let hits = receiver.wait_for(4).await;
    assert_eq!(hits[3].id, hits[0].id, "a redelivery keeps the webhook-id");
    assert!(verifies(&secret, &hits[3]));
    assert_eq!(node.post_as(&admin, &format!("/api/v1/webhooks/{hook}/ping"), &json!({})).await.status, 202);
    let hits = receiver.wait_for(5).await;
    assert_eq!(hits[4].json()["type"], "ping");
    let since = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let replayed = node.post_as(&admin, &format!("/api/v1/webhooks/{hook}/replay"), &json!({"since": since})).await;
    assert_eq!((replayed.status, replayed.json()["queued"].as_i64()), (202, Some(1)), "only the subscribed event");
    let hits = receiver.wait_for(6).await;
    assert_eq!(hits[5].id, hits[0].id);
    let bad_replay = node.post_as(&admin, &format!("/api/v1/webhooks/{hook}/replay"), &json!({"since": "yesterday"})).await;
    assert_eq!(bad_replay.status, 422);

    // Rotation: during the grace period both secrets sign, so receivers on either accept.
    let rotated = node.post_as(&admin, &format!("/api/v1/webhooks/{hook}/rotate-secret"), &json!({})).await.json();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previous_secret_expires_at"].is_string());
    publish_essay(&node, &admin, "After rotation").await;
    let hits = receiver.wait_for(7).await;
    let last = &hits[6];
    assert_eq!(last.signature.split(' ').count(), 2, "{}", last.signature);
    assert!(verifies(&new_secret, last) && verifies(&secret, last));
}

async fn gone_and_exhausted_endpoints_are_disabled(app: TestApp) {
    let node = app
        .another_node_with(|s| {
            s.outbound_allow_private = true;
            s.webhook_interval_seconds = 1;
            s.webhook_retry_schedule = String::new();
            s.webhook_failure_limit = 2;
        })
        .await;
    let admin = node.admin().await;
    let gone = Receiver::start(&[410, 410, 410]).await;
    let failing = Receiver::start(&[500, 500, 500, 500]).await;
    let (gone_hook, _) = create_hook(&node, &admin, json!({"url": gone.url, "events": ["*"]})).await;
    let (failing_hook, _) = create_hook(&node, &admin, json!({"url": failing.url, "events": ["tag.created"]})).await;
    node.post_as(&admin, "/api/v1/tags", &json!({"name": "First"})).await;
    gone.wait_for(1).await;
    failing.wait_for(1).await;
    node.post_as(&admin, "/api/v1/tags", &json!({"name": "Second"})).await;
    failing.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let gone_now = node.get_as(&admin, &format!("/api/v1/webhooks/{gone_hook}")).await.json();
    assert_eq!(gone_now["active"], false, "410 disables the endpoint: {gone_now}");
    assert!(gone_now["disabled_reason"].as_str().unwrap().contains("410"));
    assert_eq!(gone.hits().len(), 1, "a disabled endpoint hears nothing more");
    let failing_now = node.get_as(&admin, &format!("/api/v1/webhooks/{failing_hook}")).await.json();
    assert_eq!((failing_now["active"].clone(), failing_now["consecutive_failures"].clone()), (json!(false), json!(2)), "{failing_now}");
    assert!(failing_now["disabled_reason"].as_str().unwrap().contains("2 consecutive events"));
    let failed = node.get_as(&admin, &format!("/api/v1/webhooks/{failing_hook}/deliveries?state=failed")).await;
    assert_eq!(failed.total(), 2);

    node.post_as(&admin, "/api/v1/tags", &json!({"name": "While disabled"})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(failing.hits().len(), 2);
    // Turning it back on clears the count; events from then on arrive.
    let enabled = node.send(Method::PATCH, &format!("/api/v1/webhooks/{failing_hook}"), Some(&admin), Some(r#"{"active": true}"#), &[]).await.json();
    assert_eq!((enabled["active"].clone(), enabled["consecutive_failures"].clone(), enabled["disabled_reason"].clone()), (json!(true), json!(0), Value::Null));
    node.post_as(&admin, "/api/v1/tags", &json!({"name": "After enabling"})).await;
    let hits = failing.wait_for(3).await;
    assert!(hits[2].body.contains("After enabling"));
}

async fn private_addresses_are_refused_when_sending_too(app: TestApp) {
    // Created where private addresses are allowed, delivered by a node where they are not.
    let permissive = app.another_node_with(|s| s.outbound_allow_private = true).await;
    let admin = permissive.admin().await;
    let receiver = Receiver::start(&[]).await;
    let (hook, _) = create_hook(&permissive, &admin, json!({"url": receiver.url, "events": ["*"]})).await;
    let strict = app.another_node_with(|s| s.webhook_interval_seconds = 1).await;
    strict.post_as(&admin, "/api/v1/tags", &json!({"name": "Not to loopback"})).await;
    for _ in 0..50 {
        let log = strict.get_as(&admin, &format!("/api/v1/webhooks/{hook}/deliveries")).await.json();
        if log[0]["attempts"].as_i64().unwrap_or(0) > 0 {
            assert!(log[0]["last_error"].as_str().unwrap().contains("not a public address"), "{log}");
            assert!(receiver.hits().is_empty());
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no attempt was made");
}

/// Events written while no node delivers wait in the log; a node that claimed deliveries and
/// died loses nothing once its lease runs out; the next node sends each event once.
async fn events_outlive_the_node_that_queued_them(app: TestApp) {
    use api::services::webhooks::delivery;
    let writer = app.another_node_with(|s| s.outbound_allow_private = true).await;
    let admin = writer.admin().await;
    let receiver = Receiver::start(&[]).await;
    create_hook(&writer, &admin, json!({"url": receiver.url, "events": ["tag.created"]})).await;
    for n in 0..4 {
        writer.post_as(&admin, "/api/v1/tags", &json!({"name": format!("Queued {n}")})).await;
    }
    // A node fans out and claims everything, then dies before sending.
    assert_eq!(delivery::fan_out(&app.db).await.unwrap(), 4);
    assert_eq!(delivery::claim(&app.db, 10).await.unwrap().len(), 4);
    assert!(delivery::claim(&app.db, 10).await.unwrap().is_empty(), "claimed deliveries are nobody else's while the lease lasts");
    writer.post_as(&admin, "/api/v1/tags", &json!({"name": "Queued after"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.hits().is_empty());
    // Its leases run out.
    app.db
        .execute_unprepared("UPDATE webhook_deliveries SET lease_until = '2000-01-01T00:00:00Z' WHERE lease_until IS NOT NULL")
        .await
        .unwrap();
    let _deliverer = delivering_node(&app).await;
    let hits = receiver.wait_for(5).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut names: Vec<String> = receiver.hits().iter().map(|h| h.json()["data"]["title"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["Queued 0", "Queued 1", "Queued 2", "Queued 3", "Queued after"], "each event once: {hits:?}");
}

async fn two_nodes_deliver_each_event_once(app: TestApp) {
    let first = delivering_node(&app).await;
    let second = delivering_node(&app).await;
    let admin = first.admin().await;
    let receiver = Receiver::start(&[]).await;
    create_hook(&first, &admin, json!({"url": receiver.url, "events": ["tag.*"]})).await;
    for n in 0..12 {
        let node = if n % 2 == 0 { &first } else { &second };
        node.post_as(&admin, "/api/v1/tags", &json!({"name": format!("Twice {n}")})).await;
    }
    receiver.wait_for(12).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for hit in receiver.hits() {
        *per_id.entry(hit.id).or_default() += 1;
    }
    assert_eq!(per_id.len(), 12);
    assert!(per_id.values().all(|n| *n == 1), "{per_id:?}");
    let deliveries = entity::webhook_delivery::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(deliveries.len(), 12, "one delivery per event and endpoint");
    assert!(deliveries.iter().all(|d| d.state == "succeeded" && d.attempts == 1));
}

crate::on_both_databases!(
    endpoints_are_managed_by_admins,
    deliveries_are_signed_retried_logged_and_redeliverable,
    gone_and_exhausted_endpoints_are_disabled,
    private_addresses_are_refused_when_sending_too,
    events_outlive_the_node_that_queued_them,
    two_nodes_deliver_each_event_once,
);

/// A running `ou serve` process on the SQLite database in `dir`.
struct Server {
    child: std::process::Child,
    address: String,
}

impl Server {
    fn start(dir: &std::path::Path, delivering: bool) -> Server {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ou"))
            .current_dir(dir)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("OU_DATABASE_URL")
            .env("OU_ADMIN_EMAIL", crate::helpers::ADMIN_EMAIL)
            .env("OU_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
            .env("OU_OUTBOUND_ALLOW_PRIVATE", "true")
            .env("OU_WEBHOOK_INTERVAL_SECONDS", if delivering { "1" } else { "0" })
            .env("OU_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("ou serve starts");
        let stdout = child.stdout.take().unwrap();
        let (found, address) = std::sync::mpsc::channel();
        // Reads on to the end, so the server never writes into a closed pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.split("listening on ").nth(1) {
                    found.send(address.trim().to_owned()).ok();
                }
            }
        });
        let address = address.recv_timeout(Duration::from_secs(30)).expect("the address is printed");
        Server { child, address: format!("http://{address}") }
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.address)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap()
    }
}

/// Events acknowledged by a server that is then killed (SIGKILL) before it sends them arrive
/// once a server runs again on the same database.
#[tokio::test]
async fn a_killed_server_delivers_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(&[]).await;
    let mut first = Server::start(dir.path(), false);
    let login = json!({"email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD});
    let token = first.call(Method::POST, "/api/v1/auth/login", None, login.clone()).await["access_token"].as_str().unwrap().to_owned();
    let hook = first.call(Method::POST, "/api/v1/webhooks", Some(&token), json!({"url": receiver.url, "events": ["tag.created"]})).await;
    for n in 0..3 {
        first.call(Method::POST, "/api/v1/tags", Some(&token), json!({"name": format!("Before the kill {n}")})).await;
    }
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(receiver.hits().is_empty());

    let mut second = Server::start(dir.path(), true);
    let hits = receiver.wait_for(3).await;
    let secret = hook["secret"].as_str().unwrap();
    assert!(hits.iter().all(|h| verifies(secret, h)));
    let mut names: Vec<String> = hits.iter().map(|h| h.json()["data"]["title"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["Before the kill 0", "Before the kill 1", "Before the kill 2"]);
    second.child.kill().ok();
    second.child.wait().ok();
}
