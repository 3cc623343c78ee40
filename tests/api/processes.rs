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
