//! The benchmark (bench/README.md): builds the data set through the service layer, serves it
//! with the release `ou` binary on SQLite and on PostgreSQL, runs the workloads with `wrk`, and
//! measures the plain baseline (bench/plain_baseline.rs) in the same run. Prints a Markdown report.
//!
//! `cargo build --release --bin ou --example plain_baseline --example bench`
//! `target/release/examples/bench [--essays N] [--seconds S] [--postgres URL] [--sqlite-only] [--keep DIR]`

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::domain::{ContentKind, ContentStatus, Slug};
use api::services::content::{NewContent, insert};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set, TransactionTrait};
use uuid::Uuid;

const ADMIN_EMAIL: &str = "bench@example.org";
const ADMIN_PASSWORD: &str = "bench-password-long-enough";
const OURS: &str = "127.0.0.1:18411";
const BASELINE: &str = "127.0.0.1:18412";
const W1: &str = "/api/v1/essays?limit=20&sort=-published_at&include=authors,sectors";
const W3: &str = r#"{"query":"{ essays(first: 20) { nodes { id slug title subtitle summary publishedAt readingTimeMinutes authors { id slug displayName } sectors { id slug name } } } }"}"#;
/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

struct Options {
    /// Keep the data sets here instead of a temporary directory.
    keep: Option<PathBuf>,
    essays: usize,
    seconds: u32,
    postgres: Option<String>,
}

fn options() -> Options {
    let mut options = Options { keep: None, essays: 10_000, seconds: 8, postgres: Some("postgres://postgres@127.0.0.1:5432/postgres".into()) };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--essays" => options.essays = args.next().and_then(|v| v.parse().ok()).expect("--essays N"),
            "--seconds" => options.seconds = args.next().and_then(|v| v.parse().ok()).expect("--seconds S"),
            "--postgres" => options.postgres = args.next(),
            "--sqlite-only" => options.postgres = None,
            "--keep" => options.keep = args.next().map(PathBuf::from),
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

/// Words for bodies of about 5 KB.
const WORDS: &[&str] = &[
    "organizing", "power", "workers", "tenants", "union", "strike", "base", "campaign", "neighbors", "coalition",
    "strategy", "members", "leaders", "wages", "housing", "rent", "movement", "election", "solidarity", "committee",
];

fn body(i: usize) -> String {
    let mut text = String::with_capacity(5200);
    let mut n = i;
    while text.len() < 5000 {
        let _ = write!(text, "## Part {}\n\n", text.len() / 1000);
        for _ in 0..60 {
            n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            text.push_str(WORDS[(n >> 33) as usize % WORDS.len()]);
            text.push(' ');
        }
        text.push_str("\n\n");
    }
    text
}

/// The data set: 10 sectors, 200 editors, `essays` essays of ~5 KB (nine in ten published).
async fn load(db: &DatabaseConnection, essays: usize) -> Vec<String> {
    migration::apply(db).await.expect("migrations apply");
    let now = Utc::now();
    let txn = db.begin().await.expect("a transaction");
    let mut sectors = Vec::new();
    for i in 0..10 {
        let id = Uuid::now_v7();
        entity::sector::ActiveModel {
            id: Set(id), slug: Set(format!("sector-{i}")), name: Set(format!("Sector {i}")), description: Set(String::new()),
            position: Set(i), created_at: Set(now), updated_at: Set(now), version: Set(1),
        }
        .insert(&txn)
        .await
        .expect("a sector");
        sectors.push(id);
    }
    let mut editors = Vec::new();
    for i in 0..200 {
        let id = Uuid::now_v7();
        entity::editor::ActiveModel {
            id: Set(id), slug: Set(format!("editor-{i}")), display_name: Set(format!("Editor Number {i}")), bio: Set(String::new()),
            team_role: Set("contributor".into()), avatar_url: Set(None), links: Set(serde_json::json!([])), visible: Set(true),
            user_id: Set(None), created_at: Set(now), updated_at: Set(now), version: Set(1),
        }
        .insert(&txn)
        .await
        .expect("an editor");
        editors.push(id);
    }
    let mut slugs = Vec::new();
    for i in 0..essays {
        let at = now - chrono::Duration::minutes(i64::try_from(i).unwrap_or(0) + 1);
        let published = i % 10 != 9;
        let slug = format!("bench-essay-{i}");
        let new = NewContent {
            status: if published { ContentStatus::Published } else { ContentStatus::Draft },
            published_at: published.then_some(at),
            summary: format!("What essay {i} says, in a sentence or two for the list."),
            body: body(i),
            author_ids: if i % 3 == 0 { vec![editors[i % 200], editors[(i + 7) % 200]] } else { vec![editors[i % 200]] },
            sector_ids: if i % 2 == 0 { vec![sectors[i % 10], sectors[(i + 3) % 10]] } else { vec![sectors[i % 10]] },
            ..NewContent::draft(ContentKind::Essay, Slug::parse(&slug).expect("a slug"), format!("Bench essay number {i}"), at)
        };
        insert(&txn, new).await.expect("an essay");
        if published {
            slugs.push(slug);
        }
    }
    txn.commit().await.expect("the data set commits");
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await.expect("ANALYZE");
    }
    slugs
}

/// A server process to measure.
struct Server {
    child: Child,
    /// The most private (anonymous) memory seen after a workload, in kB.
    peak_private_kb: std::sync::atomic::AtomicU64,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU seconds used so far (user and system).
    fn cpu(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / TICKS
    }

    /// Notes the private memory now (the allocator keeps what a workload made it take, so after a
    /// workload is about its peak).
    fn note_private(&self) {
        let kb = (self.memory("RssAnon") * 1024.0) as u64;
        self.peak_private_kb.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
    }

    /// The most private memory noted, in MiB.
    fn peak_private(&self) -> f64 {
        self.peak_private_kb.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    }

    /// A `/proc/<pid>/status` figure in MiB (`VmRSS`, `VmHWM`, `RssAnon`).
    fn memory(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field).and_then(|r| r.trim_start_matches(':').trim().strip_suffix(" kB")).and_then(|v| v.trim().parse::<f64>().ok()))
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn release_binary(name: &str) -> PathBuf {
    let me = std::env::current_exe().expect("the benchmark's path");
    // target/release/examples/bench → target/release/<name> or target/release/examples/<name>
    let examples = me.parent().expect("examples directory");
    let candidate = examples.join(name);
    if candidate.exists() { candidate } else { examples.parent().expect("release directory").join(name) }
}

/// Starts `ou serve`; returns it and how long the first W1 request took to be answered after start.
async fn start_ours(database_url: &str, data_dir: &Path, cache_bytes: usize) -> (Server, Duration) {
    start_ours_logging(database_url, data_dir, cache_bytes, "info").await
}

/// Starts `ou serve` with a log level (`info`, the default, writes an access log line per request).
async fn start_ours_logging(database_url: &str, data_dir: &Path, cache_bytes: usize, log: &str) -> (Server, Duration) {
    let started = Instant::now();
    let child = Command::new(release_binary("ou"))
        .arg("serve")
        .env("OU_LOG", log)
        .env("OU_DATABASE_URL", database_url)
        .env("OU_DATA_DIR", data_dir)
        .env("OU_BIND", OURS)
        // Logs go to /dev/null, formatted all the same.
        .env("OU_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("OU_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("OU_RESPONSE_CACHE_BYTES", cache_bytes.to_string())
        // One client address sends everything: the per-address limits would measure themselves.
        .env("OU_RATE_LIMIT_ANONYMOUS_READS_PER_MINUTE", "0")
        .env("OU_RATE_LIMIT_AUTHENTICATED_READS_PER_MINUTE", "0")
        .env("OU_RATE_LIMIT_WRITES_PER_MINUTE", "0")
        .env("OU_RATE_LIMIT_GRAPHQL_COST_PER_MINUTE", "0")
        .env("OU_RATE_LIMIT_LOGINS_PER_MINUTE", "0")
        .stdout(Stdio::null())
        .spawn()
        .expect("ou starts (build it with cargo build --release --bin ou)");
    let server = Server { child, peak_private_kb: Default::default() };
    let first = wait_for(&format!("http://{OURS}{W1}"), started).await;
    (server, first)
}

async fn start_baseline(sqlite_file: &Path) -> Server {
    let child = Command::new(release_binary("plain_baseline"))
        .arg(sqlite_file)
        .arg(BASELINE)
        .stdout(Stdio::null())
        .spawn()
        .expect("plain_baseline starts (cargo build --release --example plain_baseline)");
    let server = Server { child, peak_private_kb: Default::default() };
    wait_for(&format!("http://{BASELINE}/essays"), Instant::now()).await;
    server
}

async fn wait_for(url: &str, since: Instant) -> Duration {
    let client = reqwest::Client::new();
    loop {
        if let Ok(reply) = client.get(url).send().await {
            if reply.status().is_success() {
                return since.elapsed();
            }
        }
        assert!(since.elapsed() < Duration::from_secs(60), "{url} did not answer within a minute");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// What one workload measured.
#[derive(Default, Clone)]
struct Measured {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_ms_per_request: f64,
    statements_per_request: Option<f64>,
    bytes_per_request: f64,
    errors: u64,
}

fn milliseconds(value: &str) -> f64 {
    let number = |suffix: &str| value.strip_suffix(suffix).and_then(|v| v.parse::<f64>().ok());
    number("us").map(|v| v / 1000.0).or_else(|| number("ms")).or_else(|| number("s").map(|v| v * 1000.0)).unwrap_or(f64::NAN)
}

fn bytes(value: &str) -> f64 {
    let number = |suffix: &str, factor: f64| value.strip_suffix(suffix).and_then(|v| v.parse::<f64>().ok()).map(|v| v * factor);
    number("GB", 1024.0 * 1024.0 * 1024.0).or_else(|| number("MB", 1024.0 * 1024.0)).or_else(|| number("KB", 1024.0)).or_else(|| number("B", 1.0)).unwrap_or(0.0)
}

async fn statements(address: &str) -> Option<f64> {
    let text = reqwest::get(format!("http://{address}/metrics")).await.ok()?.text().await.ok()?;
    text.lines().find_map(|l| l.strip_prefix("ou_db_statements_total ")).and_then(|v| v.parse().ok())
}

/// Runs `wrk` against `server` and measures it.
async fn run(server: &Server, address: &str, path: &str, script: Option<&Path>, headers: &[String], connections: u32, seconds: u32) -> Measured {
    let before_statements = statements(address).await;
    let before_cpu = server.cpu();
    let mut command = Command::new("wrk");
    command.args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency"]);
    for header in headers {
        command.args(["-H", header]);
    }
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command.arg(format!("http://{address}{path}")).output().expect("wrk runs (apt-get install wrk)");
    let cpu = server.cpu() - before_cpu;
    server.note_private();
    let after_statements = statements(address).await;
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    let mut measured = Measured::default();
    let mut total = 0.0;
    let mut read = 0.0;
    for line in report.lines().map(str::trim) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["50%", value] => measured.p50_ms = milliseconds(value),
            ["99%", value] => measured.p99_ms = milliseconds(value),
            ["Requests/sec:", value] => measured.requests_per_second = value.parse().unwrap_or(0.0),
            [count, "requests", "in", _, amount, "read"] => {
                total = count.parse().unwrap_or(0.0);
                read = bytes(amount);
            }
            ["Non-2xx", "or", "3xx", "responses:", count] => measured.errors = count.parse().unwrap_or(0),
            _ => {}
        }
    }
    if total > 0.0 {
        measured.cpu_ms_per_request = cpu * 1000.0 / total;
        measured.bytes_per_request = read / total;
        measured.statements_per_request = before_statements.zip(after_statements).map(|(b, a)| (a - b) / total);
    }
    measured
}

fn lua(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("a wrk script");
    path
}

fn random_slugs_script(dir: &Path, slugs: &[String]) -> PathBuf {
    let list: Vec<String> = slugs.iter().step_by((slugs.len() / 2000).max(1)).map(|s| format!("\"{s}\"")).collect();
    lua(dir, "random_slug.lua", &format!(
        "local slugs = {{{}}}\nrequest = function()\n  return wrk.format(\"GET\", wrk.path .. slugs[math.random(#slugs)])\nend\n",
        list.join(",")
    ))
}

fn graphql_script(dir: &Path) -> PathBuf {
    lua(dir, "graphql.lua", &format!(
        "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{W3}]]\n"
    ))
}

fn writes_script(dir: &Path, token: &str) -> PathBuf {
    lua(dir, "writes.lua", &format!(
        "local threads = 0\nsetup = function(thread) threads = threads + 1; thread:set(\"id\", threads) end\n\
         local counter = 0\nrequest = function()\n  counter = counter + 1\n  \
         local body = '{{\"title\":\"Bench write ' .. id .. ' ' .. counter .. '\",\"summary\":\"Written by the benchmark.\",\"body\":\"A short body of text.\"}}'\n  \
         return wrk.format(\"POST\", \"/api/v1/essays\", {{[\"Content-Type\"] = \"application/json\", [\"Authorization\"] = \"Bearer {token}\"}}, body)\nend\n"
    ))
}

async fn admin_token() -> String {
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{OURS}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("a token answer");
    reply["access_token"].as_str().expect("an access token").to_owned()
}

async fn etag(path: &str) -> String {
    let reply = reqwest::get(format!("http://{OURS}{path}")).await.expect("a read");
    reply.headers().get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned()
}

/// One database's figures.
struct Report {
    backend: &'static str,
    rows: Vec<(String, Measured)>,
    first_request: Duration,
    idle_rss: f64,
    peak_rss: f64,
    idle_private: f64,
    peak_private: f64,
    first_request_empty: Duration,
}

async fn measure_backend(backend: &'static str, database_url: &str, data_dir: &Path, slugs: &[String], seconds: u32) -> Report {
    let scripts = data_dir.join("scripts");
    std::fs::create_dir_all(&scripts).expect("a scripts directory");
    let mut rows = Vec::new();
    // Uncached: every read is made.
    let (ours, first_request) = start_ours(database_url, data_dir, 0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = ours.memory("VmRSS");
    let idle_private = ours.memory("RssAnon");
    let random = random_slugs_script(&scripts, slugs);
    // A warm-up, not reported: the pool opens its connections and their caches fill.
    run(&ours, OURS, W1, None, &[], 32, 2).await;
    rows.push(("W1 list, uncached".to_owned(), run(&ours, OURS, W1, None, &[], 32, seconds).await));
    rows.push(("W2 essay by slug, uncached".to_owned(), run(&ours, OURS, "/api/v1/essays/", Some(&random), &[], 32, seconds).await));
    rows.push(("W3 W1 over GraphQL, uncached".to_owned(), run(&ours, OURS, "/graphql", Some(&graphql_script(&scripts)), &[], 32, seconds).await));
    let tag = etag(W1).await;
    rows.push(("W4 W1 with If-None-Match, uncached".to_owned(), run(&ours, OURS, W1, None, &[format!("If-None-Match: {tag}")], 32, seconds).await));
    let token = admin_token().await;
    rows.push(("writes: POST /essays, 8 connections".to_owned(), run(&ours, OURS, "/api/v1/essays", Some(&writes_script(&scripts, &token)), &[], 8, seconds).await));
    rows.push(("tiny list: GET /api/v1/sectors, uncached".to_owned(), run(&ours, OURS, "/api/v1/sectors", None, &[], 32, seconds).await));
    rows.push(("no database: GET /healthz".to_owned(), run(&ours, OURS, "/healthz", None, &[], 32, seconds).await));
    let peak_uncached = ours.memory("VmHWM");
    let mut peak_private = ours.peak_private();
    drop(ours);
    // Without the access log, to see what it costs.
    let (quiet, _) = start_ours_logging(database_url, data_dir, 0, "warn").await;
    rows.push(("tiny list, no access log".to_owned(), run(&quiet, OURS, "/api/v1/sectors", None, &[], 32, seconds).await));
    rows.push(("no database: GET /healthz, no access log".to_owned(), run(&quiet, OURS, "/healthz", None, &[], 32, seconds).await));
    drop(quiet);
    // With the response cache (the default).
    let (ours, _) = start_ours(database_url, data_dir, 8 * 1024 * 1024).await;
    rows.push(("W1 list, cached".to_owned(), run(&ours, OURS, W1, None, &[], 32, seconds).await));
    let tag = etag(W1).await;
    rows.push(("W4 W1 with If-None-Match, cached".to_owned(), run(&ours, OURS, W1, None, &[format!("If-None-Match: {tag}")], 32, seconds).await));
    rows.push(("W3 over GraphQL GET, cached".to_owned(), run(&ours, OURS, &format!("/graphql?query={}", encode(&graphql_query())), None, &[], 32, seconds).await));
    let peak_rss = ours.memory("VmHWM").max(peak_uncached);
    peak_private = peak_private.max(ours.peak_private());
    drop(ours);
    Report { backend, rows, first_request, idle_rss, peak_rss, idle_private, peak_private, first_request_empty: Duration::ZERO }
}

fn graphql_query() -> String {
    let body: serde_json::Value = serde_json::from_str(W3).expect("W3 is JSON");
    body["query"].as_str().unwrap_or_default().to_owned()
}

fn encode(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// How long `ou serve` takes to answer its first request on an empty database.
async fn first_request_on_empty(url: &str, data_dir: &Path) -> Duration {
    let (_server, first) = start_ours(url, data_dir, 0).await;
    first
}

fn row(out: &mut String, name: &str, m: &Measured, baseline: Option<&Measured>) {
    let ratio = baseline.filter(|b| b.cpu_ms_per_request > 0.0).map_or("".to_owned(), |b| format!("{:.1}×", m.cpu_ms_per_request / b.cpu_ms_per_request));
    let statements = m.statements_per_request.map_or("–".to_owned(), |s| format!("{s:.1}"));
    let _ = writeln!(
        out,
        "| {name} | {:.0} | {:.2} | {:.2} | {:.3} | {ratio} | {statements} | {:.0} | {} |",
        m.requests_per_second, m.p50_ms, m.p99_ms, m.cpu_ms_per_request, m.bytes_per_request, m.errors
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = options();
    let temporary = tempfile::tempdir().expect("a work directory");
    let work = options.keep.clone().unwrap_or_else(|| temporary.path().to_path_buf());
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark, {} essays, wrk -t2, {} s per workload\n", options.essays, options.seconds);

    // SQLite, and the baseline over the same file.
    let sqlite_dir = work.as_path().join("sqlite");
    std::fs::create_dir_all(&sqlite_dir).expect("a data directory");
    let sqlite_file = sqlite_dir.join("ou.db");
    let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_file.display());
    let began = Instant::now();
    let db = api::db::connect(&sqlite_url, Arc::default()).await.expect("SQLite opens");
    let slugs = load(&db, options.essays).await;
    db.close().await.ok();
    let _ = writeln!(out, "Data set loaded through the service layer in {:.1} s.\n", began.elapsed().as_secs_f64());

    let baseline = start_baseline(&sqlite_file).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let baseline_idle = baseline.memory("VmRSS");
    let baseline_idle_private = baseline.memory("RssAnon");
    let scripts = work.as_path().join("baseline-scripts");
    std::fs::create_dir_all(&scripts).expect("a scripts directory");
    let base_w1 = run(&baseline, BASELINE, "/essays", None, &[], 32, options.seconds).await;
    let base_w2 = run(&baseline, BASELINE, "/essays/", Some(&random_slugs_script(&scripts, &slugs)), &[], 32, options.seconds).await;
    let base_static = run(&baseline, BASELINE, "/static", None, &[], 32, options.seconds).await;
    let baseline_peak = baseline.memory("VmHWM");
    let baseline_peak_private = baseline.peak_private();
    drop(baseline);

    let mut reports = vec![measure_backend("SQLite", &sqlite_url, &sqlite_dir, &slugs, options.seconds).await];
    let empty_dir = work.as_path().join("empty");
    std::fs::create_dir_all(&empty_dir).expect("a data directory");
    reports[0].first_request_empty = first_request_on_empty(&format!("sqlite://{}?mode=rwc", empty_dir.join("ou.db").display()), &empty_dir).await;

    if let Some(base) = &options.postgres {
        let name = format!("ou_bench_{}", Uuid::now_v7().simple());
        let admin = sea_orm::Database::connect(base.as_str()).await.expect("PostgreSQL is reachable");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("a bench database");
        let url = api::db::url_with_database(base, &name);
        let pg_dir = work.as_path().join("postgres");
        std::fs::create_dir_all(&pg_dir).expect("a data directory");
        let db = api::db::connect(&url, Arc::default()).await.expect("PostgreSQL opens");
        let slugs = load(&db, options.essays).await;
        db.close().await.ok();
        reports.push(measure_backend("PostgreSQL", &url, &pg_dir, &slugs, options.seconds).await);
        let empty = format!("{name}_empty");
        admin.execute_unprepared(&format!("CREATE DATABASE {empty}")).await.expect("an empty database");
        let last = reports.len() - 1;
        reports[last].first_request_empty = first_request_on_empty(&api::db::url_with_database(base, &empty), &pg_dir).await;
        for database in [name, empty] {
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await.ok();
        }
    }

    let _ = writeln!(out, "| workload | req/s | p50 ms | p99 ms | CPU ms/req | ratio | statements/req | bytes/req | non-2xx/3xx |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    row(&mut out, "baseline W1 (one query)", &base_w1, None);
    row(&mut out, "baseline W2 (one query)", &base_w2, None);
    row(&mut out, "baseline static bytes", &base_static, None);
    for report in &reports {
        for (name, measured) in &report.rows {
            let reference = if name.starts_with("W1 list, uncached") || name.starts_with("W3") && name.contains("uncached") {
                Some(&base_w1)
            } else if name.starts_with("W2") {
                Some(&base_w2)
            } else if name.contains("cached") && !name.contains("uncached") || name.starts_with("W4") || name.starts_with("no database") {
                Some(&base_static)
            } else {
                None
            };
            row(&mut out, &format!("{}: {name}", report.backend), measured, reference);
        }
    }
    let _ = writeln!(out, "\nRatios are CPU ms per request against the baseline's W1 (W1, W3), W2 (W2) or static bytes (W4, cached reads).\n");
    let _ = writeln!(out, "| process | idle RSS MiB | peak RSS MiB | idle private MiB | peak private MiB | first request after start (loaded) | first request after start (empty database) |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let _ = writeln!(out, "| baseline | {baseline_idle:.1} | {baseline_peak:.1} | {baseline_idle_private:.1} | {baseline_peak_private:.1} | | |");
    for report in &reports {
        let _ = writeln!(
            out,
            "| ou on {} | {:.1} | {:.1} | {:.1} | {:.1} | {} ms | {} ms |",
            report.backend,
            report.idle_rss,
            report.peak_rss,
            report.idle_private,
            report.peak_private,
            report.first_request.as_millis(),
            report.first_request_empty.as_millis()
        );
    }
    let _ = writeln!(out, "\nRSS counts the program's own code mapped from its file (shared and reclaimable); private memory (`RssAnon`) is what the process allocated.");
    println!("{out}");
}
