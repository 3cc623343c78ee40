//! The `ou` command line: configuration errors, migrations, the demo seed and the search index.

use std::process::Command;

fn ou(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    ou_with_input(dir, args, env, "")
}

fn ou_with_input(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_ou"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("OU_DATABASE_URL")
        .env_remove("OU_ADMIN_PASSWORD")
        .env("OU_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("ou runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin written");
    child.wait_with_output().expect("ou finishes")
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn bad_configuration_fails_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (env, setting) in [
        (("OU_BIND", "not-an-address"), "bind"),
        (("OU_DATABASE_URL", "mysql://nope"), "database_url"),
        (("OU_CACHE_MAX_AGE", "soon"), "cache_max_age"),
        (("OU_PUBLIC_URL", "ftp://x"), "public_url"),
    ] {
        let output = ou(dir.path(), &["migrate", "status"], &[env]);
        assert!(!output.status.success(), "{env:?} accepted");
        let message = text(&output);
        assert!(message.to_lowercase().contains(setting), "{env:?}: {message}");
        assert!(!message.contains("panicked"), "{message}");
    }
    let missing = ou(dir.path(), &["--config", "nowhere.toml", "migrate", "status"], &[]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("nowhere.toml"), "{}", text(&missing));
    std::fs::write(dir.path().join("ou.toml"), "bindd = \"127.0.0.1:1\"\n").unwrap();
    let output = ou(dir.path(), &["migrate", "status"], &[]);
    assert!(!output.status.success());
    assert!(text(&output).contains("bindd"), "{}", text(&output));
}

#[test]
fn migrations_and_demo_seed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = ou(dir.path(), args, &[]);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        text(&output)
    };
    run(&["migrate", "up"]);
    assert!(dir.path().join("data/ou.db").exists(), "the embedded database lives in ./data");
    let status = run(&["migrate", "status"]);
    assert_eq!(status.lines().filter(|l| l.starts_with("applied")).count(), 9, "{status}");
    run(&["migrate", "down", "--steps", "2"]);
    let status = run(&["migrate", "status"]);
    assert_eq!(status.lines().filter(|l| l.starts_with("pending")).count(), 2, "{status}");
    let first = run(&["seed-demo"]);
    assert!(first.contains("rows created"), "{first}");
    let second = run(&["seed-demo"]);
    assert!(second.contains(" 0 rows created"), "seeding twice adds nothing: {second}");
    let reindexed = run(&["search", "reindex"]);
    assert!(reindexed.contains("search index rebuilt: 32 items"), "every demo item is indexed again: {reindexed}");
    let plan = run(&["search", "explain", "rapid response"]);
    assert!(plan.contains("search_index VIRTUAL TABLE INDEX"), "the FTS5 index answers the match: {plan}");
}

#[test]
fn export_schema_writes_the_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("openapi.json");
    let output = ou(dir.path(), &["export-schema", "--openapi", out.to_str().unwrap()], &[]);
    assert!(output.status.success(), "{}", text(&output));
    let written = std::fs::read_to_string(&out).unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap();
    assert!(written == committed, "docs/openapi.json is stale: run `cargo run -- export-schema`");
}

#[test]
fn users_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], input: &str| {
        let output = ou_with_input(dir.path(), args, &[], input);
        (output.status.success(), text(&output))
    };
    let (ok, out) = run(&["users", "create", "--email", "Maya@Example.org", "--role", "editor", "--password-stdin"], "a-long-enough-password\n");
    assert!(ok, "{out}");
    assert!(!out.contains("password:"), "a password from stdin is not echoed");
    let (ok, out) = run(&["users", "create", "--email", "june@example.org", "--role", "author"], "");
    assert!(ok, "{out}");
    let generated = out.lines().find_map(|l| l.strip_prefix("password: ")).expect("a generated password is printed once").to_owned();
    assert!(generated.len() >= 16);
    let (ok, out) = run(&["users", "create", "--email", "maya@example.org", "--role", "editor", "--password-stdin"], "another-long-password\n");
    assert!(!ok && out.contains("email"), "emails are unique whatever their case: {out}");
    let (ok, out) = run(&["users", "create", "--email", "x@example.org", "--role", "emperor", "--password-stdin"], "a-long-enough-password\n");
    assert!(!ok && out.contains("role"), "{out}");
    let (ok, out) = run(&["users", "create", "--email", "y@example.org", "--role", "author", "--password-stdin"], "short\n");
    assert!(!ok && out.contains("password"), "{out}");
    let (ok, _) = run(&["users", "set-password", "--email", "june@example.org", "--password-stdin"], "a-brand-new-password\n");
    assert!(ok);
    let (ok, _) = run(&["users", "disable", "--email", "june@example.org"], "");
    assert!(ok);
    let (ok, out) = run(&["users", "list"], "");
    assert!(ok);
    assert!(out.lines().any(|l| l.starts_with("Maya@Example.org") && l.contains("editor") && l.contains("active")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("june@example.org") && l.contains("disabled")), "{out}");
    assert!(!out.contains("argon2"));
}

#[tokio::test]
async fn first_start_creates_an_admin_with_a_password_shown_once() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ou"))
        .current_dir(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("OU_DATABASE_URL")
        .env_remove("OU_ADMIN_PASSWORD")
        .env("OU_ADMIN_EMAIL", "first@example.org")
        .env("OU_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ou serve starts");
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = std::thread::spawn(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).take_while(|l| !l.trim_start().starts_with("OpenAPI")).collect()
    })
    .join()
    .unwrap();
    let password = lines
        .iter()
        .find_map(|l| l.split("password: ").nth(1))
        .expect("the generated password is printed")
        .trim()
        .to_owned();
    let address = lines.iter().find_map(|l| l.split("listening on ").nth(1)).expect("the address is printed").trim().to_owned();
    let login = reqwest::Client::new()
        .post(format!("http://{address}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "first@example.org", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    child.kill().ok();
    child.wait().ok();
    assert!(dir.path().join("data/jwt_secret").exists(), "the token secret is kept in the data directory");
    // A second start creates no admin and prints no password.
    let second = ou(dir.path(), &["users", "list"], &[]);
    assert_eq!(text(&second).lines().count(), 1);
}
