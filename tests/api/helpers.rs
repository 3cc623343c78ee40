//! Spawns the real application on a fresh database: a temporary SQLite file, or a new
//! PostgreSQL database when `OU_TEST_POSTGRES_URL` is set.

use std::collections::HashMap;

use api::Application;
use api::settings::Settings;
use reqwest::header::HeaderMap;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and a direct connection to its database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// The data directory (holds the generated token secret).
    pub dir: tempfile::TempDir,
    /// The settings the app was started with.
    pub settings: Settings,
    /// The PostgreSQL database made for this app (server URL, name), dropped with it.
    owned_database: Option<(String, String)>,
}

impl Drop for TestApp {
    /// Drops the PostgreSQL database this app made. The app's own pool still holds connections,
    /// so the drop forces them closed; it runs on a thread of its own because `drop` cannot await.
    fn drop(&mut self) {
        let Some((base, name)) = self.owned_database.take() else { return };
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let server = Database::connect(&base).await?;
                server.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
                server.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop a PostgreSQL test database: {dropped:?}");
        }
    }
}

/// The first admin every test app starts with.
pub const ADMIN_EMAIL: &str = "admin@organizingupgrade.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// A response read whole: status, headers and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }

    /// The `id`s of a list body, in order.
    pub fn ids(&self) -> Vec<String> {
        self.json().as_array().expect("a JSON array").iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
    }

    pub fn total(&self) -> u64 {
        self.header("x-total-count").expect("X-Total-Count").parse().unwrap()
    }

    /// Asserts an RFC 9457 problem with the given status and returns its `code`.
    pub fn assert_problem(&self, status: u16) -> String {
        assert_eq!(self.status, status, "body: {}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"));
        let body = self.json();
        assert_eq!(body["status"], status);
        assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
        body["code"].as_str().expect("a code").to_owned()
    }
}

/// `base` (a PostgreSQL URL) pointing at `database` instead.
pub fn postgres_url_with_database(base: &str, database: &str) -> String {
    api::db::url_with_database(base, database)
}

impl TestApp {
    /// Starts the app on `backend`; `None` when PostgreSQL is not configured for tests.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the app with adjusted settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            bind: "127.0.0.1:0".into(),
            workers: 1,
            log: "warn".into(),
            data_dir: tmp.path().to_path_buf(),
            admin_email: ADMIN_EMAIL.into(),
            admin_password: ADMIN_PASSWORD.into(),
            // Off by default, so statement counts are exact; tests of scheduling start a node with it.
            scheduler_interval_seconds: 0,
            // Likewise webhook delivery and news polling; their tests turn them on.
            webhook_interval_seconds: 0,
            news_poll_interval_seconds: 0,
            // Tests send bursts no client would; the rate limit tests turn the limits on.
            rate_limit_anonymous_reads_per_minute: 0,
            rate_limit_authenticated_reads_per_minute: 0,
            rate_limit_writes_per_minute: 0,
            rate_limit_logins_per_minute: 0,
            rate_limit_graphql_cost_per_minute: 0,
            ..Settings::default()
        };
        let mut owned_database = None;
        match backend {
            Backend::Sqlite => {
                settings.database_url = format!("sqlite://{}", tmp.path().join("ou.db").display());
            }
            Backend::Postgres => {
                let Some(base) = std::env::var("OU_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
                    // In CI a missing database must fail the run, not pass half of it unseen.
                    assert!(std::env::var_os("CI").is_none(), "CI is set but OU_TEST_POSTGRES_URL is not: the PostgreSQL half cannot run");
                    return None;
                };
                let name = format!("ou_test_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(&base).await.expect("connect to OU_TEST_POSTGRES_URL");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                admin.close().await.ok();
                settings.database_url = postgres_url_with_database(&base, &name);
                owned_database = Some((base, name));
            }
        }
        adjust(&mut settings);
        let app = Application::build(settings.clone()).await.expect("application starts");
        let address = format!("http://{}", app.addr());
        let db = app.state().db.clone();
        tokio::spawn(app.run());
        Some(TestApp {
            address,
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            db,
            dir: tmp,
            settings,
            owned_database,
        })
    }

    /// Starts another node on the same database (its own process state, same data).
    pub async fn another_node(&self) -> TestApp {
        self.another_node_with(|_| {}).await
    }

    /// Starts another node on the same database, with adjusted settings.
    pub async fn another_node_with(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        adjust(&mut settings);
        let app = Application::build(settings.clone()).await.expect("another node starts");
        let address = format!("http://{}", app.addr());
        let db = app.state().db.clone();
        tokio::spawn(app.run());
        TestApp {
            address,
            client: self.client.clone(),
            db,
            dir: tempfile::tempdir().expect("temp dir"),
            settings,
            owned_database: None,
        }
    }

    /// Loads the demo publication.
    pub async fn seed_demo(&self) {
        api::services::seed::seed_demo(&self.db).await.expect("demo seed loads");
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.get(format!("{}{}", self.address, path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(request.send().await.expect("request sent")).await
    }

    pub async fn request(&self, method: reqwest::Method, path: &str, body: Option<&str>) -> Reply {
        self.send(method, path, None, body, &[]).await
    }

    /// Sends a request with an optional bearer token, JSON body and extra headers.
    pub async fn send(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<&str>, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
                request = request.header("content-type", "application/json");
            }
            request = request.body(body.to_owned());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(request.send().await.expect("request sent")).await
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, Some(token), None, &[]).await
    }

    /// POST JSON with a bearer token.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(token), Some(&body.to_string()), &[]).await
    }

    /// Signs in; returns the whole token answer.
    pub async fn login_pair(&self, email: &str, password: &str) -> Value {
        let reply = self
            .send(reqwest::Method::POST, "/api/v1/auth/login", None, Some(&serde_json::json!({"email": email, "password": password}).to_string()), &[])
            .await;
        assert_eq!(reply.status, 200, "login {email}: {}", String::from_utf8_lossy(&reply.body));
        reply.json()
    }

    /// Signs in; returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        self.login_pair(email, password).await["access_token"].as_str().unwrap().to_owned()
    }

    /// The admin's access token.
    pub async fn admin(&self) -> String {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Creates an account with a role (and sectors, and an editor profile) through the API;
    /// returns its id and an access token.
    pub async fn user(&self, role: &str, sector_ids: &[String], editor_id: Option<&str>) -> (String, String) {
        let email = format!("{role}-{}@organizingupgrade.test", uuid::Uuid::now_v7().simple());
        let password = "a-long-enough-password";
        let admin = self.admin().await;
        let created = self
            .post_as(
                &admin,
                "/api/v1/users",
                &serde_json::json!({"email": email, "password": password, "role": role, "sector_ids": sector_ids, "editor_id": editor_id}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
        (created.json()["id"].as_str().unwrap().to_owned(), self.login(&email, password).await)
    }

    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body read").to_vec();
        Reply { status, headers, body }
    }

    /// SQL statements executed so far, as `/metrics` reports them.
    pub async fn statements(&self) -> u64 {
        let text = String::from_utf8(self.get("/metrics").await.body).unwrap();
        let metrics: HashMap<&str, &str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(' '))
            .collect();
        metrics["ou_db_statements_total"].parse().unwrap()
    }
}

/// Percent-encodes everything but ASCII letters and digits, for query strings.
pub fn urlencode(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Runs each listed test body on SQLite, and on PostgreSQL when `OU_TEST_POSTGRES_URL` is set
/// (with `CI` set, a missing `OU_TEST_POSTGRES_URL` fails the PostgreSQL half).
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await.unwrap();
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    match $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                        Some(app) => super::$name(app).await,
                        None => eprintln!("OU_TEST_POSTGRES_URL is not set: PostgreSQL run skipped"),
                    }
                }
            )*
        }
    };
}

/// A write transaction as the server takes it (`BEGIN IMMEDIATE` on SQLite).
pub async fn begin_write(db: &DatabaseConnection) -> sea_orm::DatabaseTransaction {
    api::db::begin_write(db).await.expect("write transaction")
}
