//! Rate limits: each class per client address and per credential, with 429, Retry-After and the
//! RateLimit headers, while other clients go on being served.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// An app whose limits are small enough to reach, telling clients apart by `X-Forwarded-For`.
async fn limited_app() -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, |s| {
        s.trust_forwarded_for = true;
        s.rate_limit_anonymous_reads_per_minute = 40;
        s.rate_limit_authenticated_reads_per_minute = 400;
        s.rate_limit_writes_per_minute = 12;
        s.rate_limit_logins_per_minute = 8;
        s.rate_limit_graphql_cost_per_minute = 400;
    })
    .await
    .unwrap()
}

fn from(address: &str) -> (&'static str, String) {
    ("x-forwarded-for", format!("10.9.9.9, {address}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_refused_while_others_are_served() {
    let app = limited_app().await;
    let flooder = from("203.0.113.7");
    let first = app.get_with("/api/v1/sectors", &[(flooder.0, &flooder.1)]).await;
    assert_eq!(first.status, 200);
    // 40 a minute come in bursts of 10 over 15 seconds.
    assert_eq!(first.header("ratelimit-policy").as_deref(), Some("\"anonymous-reads\";q=10;w=15"));
    assert!(first.header("ratelimit").unwrap().starts_with("\"anonymous-reads\";r=9;t="), "{:?}", first.header("ratelimit"));
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(app.get_with("/api/v1/sectors", &[(flooder.0, &flooder.1)]).await);
    }
    let refused: Vec<_> = statuses.iter().filter(|r| r.status == 429).collect();
    assert!(refused.len() >= 10, "the flood is cut off: {:?}", statuses.iter().map(|r| r.status).collect::<Vec<_>>());
    let refusal = refused[0];
    assert_eq!(refusal.assert_problem(429), "too_many_requests");
    let retry: u64 = refusal.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15).contains(&retry), "{retry}");
    assert!(refusal.header("ratelimit").unwrap().contains(";r=0;"), "{:?}", refusal.header("ratelimit"));
    // Another address, a signed-in client and the health checks are served meanwhile.
    let neighbour = from("203.0.113.8");
    assert_eq!(app.get_with("/api/v1/sectors", &[(neighbour.0, &neighbour.1)]).await.status, 200);
    let admin = app.admin().await;
    let bearer = format!("Bearer {admin}");
    let signed_in = app.get_with("/api/v1/sectors", &[(flooder.0, &flooder.1), ("authorization", &bearer)]).await;
    assert_eq!(signed_in.status, 200, "credentials are another class");
    assert!(signed_in.header("ratelimit-policy").unwrap().starts_with("\"authenticated-reads\""));
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(app.get_with(path, &[(flooder.0, &flooder.1)]).await.status, 200, "{path} is never limited");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_limited_per_credential_and_refused_before_they_happen() {
    let app = limited_app().await;
    let admin = app.admin().await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        // A new address each time: the credential's own limit is what stops it.
        let address = from(&format!("198.51.100.{n}"));
        let reply = app
            .send(reqwest::Method::POST, "/api/v1/tags", Some(&admin), Some(&json!({"name": format!("Tag {n}")}).to_string()), &[(address.0, &address.1), ("content-type", "application/json")])
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses[..3], [201, 201, 201], "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    let tags = app.get("/api/v1/tags?limit=100").await.json();
    let written = tags.as_array().unwrap().iter().filter(|t| t["name"].as_str().unwrap().starts_with("Tag ")).count();
    assert_eq!(written, 3, "a refused write changes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_limited_per_address() {
    let app = limited_app().await;
    let guesser = from("192.0.2.50");
    let body = json!({"email": "nobody@example.org", "password": "wrong-password-1"}).to_string();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.send(reqwest::Method::POST, "/api/v1/auth/login", None, Some(&body), &[(guesser.0, &guesser.1), ("content-type", "application/json")]).await.status);
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
    let other = from("192.0.2.51");
    assert_eq!(app.send(reqwest::Method::POST, "/api/v1/auth/login", None, Some(&body), &[(other.0, &other.1), ("content-type", "application/json")]).await.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_is_charged_by_query_cost() {
    let app = limited_app().await;
    app.seed_demo().await;
    let client = from("203.0.113.99");
    let post = |query: &str| {
        let body = json!({"query": query}).to_string();
        let client = client.clone();
        let app = &app;
        async move { app.send(reqwest::Method::POST, "/graphql", None, Some(&body), &[(client.0, &client.1), ("content-type", "application/json")]).await }
    };
    let cheap = post("{ sectors(first: 1) { nodes { name } } }").await;
    assert_eq!(cheap.status, 200);
    assert_eq!(cheap.header("ratelimit-policy").as_deref(), Some("\"graphql-cost\";q=100;w=15"));
    // Each of these costs some twenty points of the hundred a burst holds: a few go through.
    let expensive = "{ essays(first: 20) { nodes { title } } }";
    let mut answered = Vec::new();
    for _ in 0..12 {
        answered.push(post(expensive).await);
    }
    let served = answered.iter().take_while(|r| r.status == 200).count();
    assert!((2..=6).contains(&served), "{:?}", answered.iter().map(|r| r.status).collect::<Vec<_>>());
    let second = &answered[served];
    assert_eq!(second.status, 429, "{}", String::from_utf8_lossy(&second.body));
    assert!(second.header("retry-after").is_some());
    let body = second.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_MANY_REQUESTS", "{body}");
    assert!(body.get("data").is_none_or(|d| d.is_null()), "nothing ran: {body}");
}
