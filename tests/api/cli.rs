//! The `ou` command line: configuration errors, migrations and the demo seed.

use std::process::Command;

fn ou(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ou"));
    command.current_dir(dir).args(args).env_remove("OU_DATABASE_URL").env("OU_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("ou runs")
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
    assert_eq!(status.lines().filter(|l| l.starts_with("applied")).count(), 4, "{status}");
    run(&["migrate", "down", "--steps", "2"]);
    let status = run(&["migrate", "status"]);
    assert_eq!(status.lines().filter(|l| l.starts_with("pending")).count(), 2, "{status}");
    let first = run(&["seed-demo"]);
    assert!(first.contains("rows created"), "{first}");
    let second = run(&["seed-demo"]);
    assert!(second.contains(" 0 rows created"), "seeding twice adds nothing: {second}");
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
