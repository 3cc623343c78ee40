//! The layers keep to their arrows: the REST and GraphQL adapters never import each other or the
//! entities, and nothing below them imports either adapter (docs/architecture.md).

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Every line under `dir` that names one of `forbidden`.
fn uses(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src").join(dir);
    let mut found = Vec::new();
    for file in sources(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if forbidden.iter().any(|f| line.contains(f)) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn adapters_and_layers_keep_to_their_arrows() {
    let rules: &[(&str, &[&str])] = &[
        ("rest", &["crate::graphql", "entity::"]),
        ("graphql", &["crate::rest", "entity::"]),
        ("services", &["crate::rest", "crate::graphql", "actix_web"]),
        ("policy", &["crate::rest", "crate::graphql", "crate::services"]),
        ("jobs", &["crate::rest", "crate::graphql", "entity::"]),
    ];
    let mut broken = Vec::new();
    for (dir, forbidden) in rules {
        broken.extend(uses(dir, forbidden));
    }
    assert!(broken.is_empty(), "imports across the layers:\n{}", broken.join("\n"));
    // Below the adapters, their wire formats appear only as derives behind the `adapters`
    // feature (`cargo check -p api --lib --no-default-features` builds the rest without them).
    let mut wire = Vec::new();
    for dir in ["services", "policy", "auth", "domain.rs"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src").join(dir);
        let files = if root.is_dir() { sources(&root) } else { vec![root] };
        for file in files {
            for (n, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
                let names_wire = ["async_graphql", "utoipa", "#[graphql(", "#[schema("].iter().any(|w| line.contains(w));
                if names_wire && !line.contains(r#"cfg_attr(feature = "adapters""#) {
                    wire.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(wire.is_empty(), "adapter wire formats below the adapters:\n{}", wire.join("\n"));
    // The scan sees the code it is meant to see.
    assert!(!uses("graphql", &["crate::services"]).is_empty() && !uses("rest", &["crate::services"]).is_empty());
}
