//! The feeds and search guides stay true: every `http` example answers 200 on the demo
//! publication, and every GraphQL example runs without errors.

use serde_json::json;

use crate::helpers::TestApp;

fn guide(name: &str) -> String {
    std::fs::read_to_string(format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The lines of the guide's fenced blocks in `language`.
fn blocks(text: &str, language: &str) -> Vec<String> {
    text.split(&format!("```{language}\n")).skip(1).filter_map(|b| b.split("```").next()).map(str::to_owned).collect()
}

async fn guide_examples_answer(app: TestApp) {
    app.seed_demo().await;
    for name in ["feeds.md", "search.md"] {
        let text = guide(name);
        let requests: Vec<String> = blocks(&text, "http").iter().flat_map(|b| b.lines().map(str::to_owned).collect::<Vec<_>>()).filter(|l| !l.trim().is_empty()).collect();
        assert!(requests.len() >= 3, "{name} has examples");
        for line in requests {
            let path = line.strip_prefix("GET ").unwrap_or_else(|| panic!("{name}: `{line}` is not a GET"));
            let reply = app.get(path).await;
            assert_eq!(reply.status, 200, "{name}: {path}: {}", String::from_utf8_lossy(&reply.body));
        }
        for query in blocks(&text, "graphql") {
            let body = json!({"query": query}).to_string();
            let reply = app.send(reqwest::Method::POST, "/graphql", None, Some(&body), &[]).await.json();
            assert!(reply["errors"].is_null(), "{name}: {query}: {reply}");
        }
    }
}

crate::on_both_databases!(guide_examples_answer);
