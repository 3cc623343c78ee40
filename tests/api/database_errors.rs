//! What the database refuses reaches clients as a problem they can act on: a race on a unique
//! value is a 409 naming the field, an unreachable database a 503 to retry, and any other fault a
//! 500 that says nothing about its cause.

use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Sends the creations at once; returns the statuses and the bodies that failed.
async fn race(app: &TestApp, token: &str, path: &str, bodies: Vec<Value>) -> (Vec<u16>, Vec<Value>) {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let request = app.client.post(format!("{}{path}", app.address)).bearer_auth(token).json(&body);
            tokio::spawn(async move {
                let reply = request.send().await.unwrap();
                (reply.status().as_u16(), reply.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let (mut statuses, mut problems) = (Vec::new(), Vec::new());
    for task in tasks {
        let (status, body) = task.await.unwrap();
        statuses.push(status);
        if status != 201 {
            problems.push(body);
        }
    }
    (statuses, problems)
}

fn assert_one_winner(what: &str, statuses: &[u16], problems: &[Value], field: &str) {
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{what}: exactly one creation wins: {statuses:?}");
    for problem in problems {
        let status = problem["status"].as_u64().unwrap();
        assert!(status == 409 || status == 422, "{what}: the losers are told why: {problem}");
        assert!(problem["errors"][field].is_array(), "{what}: the problem names `{field}`: {problem}");
    }
}

async fn racing_creations_of_one_unique_value_conflict(app: TestApp) {
    let admin = app.admin().await;
    let user = json!({"email": "Same.Person@organizingupgrade.test", "password": "a-long-enough-password", "role": "author"});
    let (statuses, problems) = race(&app, &admin, "/api/v1/users", vec![user; 8]).await;
    assert_one_winner("users", &statuses, &problems, "email");

    // Aggregated stories arrive under different headlines; the URL is what makes them one.
    let links = (0..8).map(|i| json!({"title": format!("The same story, take {i}"), "url": "https://news.example.org/the-same-story"})).collect();
    let (statuses, problems) = race(&app, &admin, "/api/v1/news-links", links).await;
    assert_one_winner("news links", &statuses, &problems, "url");

    let tag = json!({"name": "Strikes", "slug": "strikes"});
    let (statuses, problems) = race(&app, &admin, "/api/v1/tags", vec![tag; 8]).await;
    assert_one_winner("tags", &statuses, &problems, "slug");

    let role = json!({"name": "copy_desk", "permissions": []});
    let (statuses, problems) = race(&app, &admin, "/api/v1/roles", vec![role; 8]).await;
    assert_one_winner("roles", &statuses, &problems, "name");
}

async fn a_server_fault_says_nothing_about_its_cause(app: TestApp) {
    app.db.execute_unprepared("ALTER TABLE tags RENAME TO tags_gone").await.unwrap();
    let reply = app.get("/api/v1/tags").await;
    assert_eq!(reply.assert_problem(500), "internal_error");
    let text = String::from_utf8_lossy(&reply.body).to_lowercase();
    for leak in ["tags_gone", "select", "relation", "no such table", "sqlx", "database error"] {
        assert!(!text.contains(leak), "the 500 shows `{leak}`: {text}");
    }
    let graphql = app.send(reqwest::Method::POST, "/graphql", None, Some(r#"{"query":"{ tags { totalCount } }"}"#), &[]).await;
    let text = String::from_utf8_lossy(&graphql.body).to_lowercase();
    assert!(text.contains("internal_server_error") && !text.contains("tags_gone") && !text.contains("select"), "{text}");
}

async fn a_corrupt_row_is_a_server_fault_not_an_empty_value(app: TestApp) {
    let admin = app.admin().await;
    let editor = app
        .post_as(&admin, "/api/v1/editors", &json!({"display_name": "Ella Baker", "team_role": "editor", "links": [{"label": "Site", "url": "https://example.org"}]}))
        .await
        .json();
    let path = format!("/api/v1/editors/{}", editor["id"].as_str().unwrap());
    assert_eq!(app.get(&path).await.json()["links"][0]["label"], "Site");
    let id: uuid::Uuid = editor["id"].as_str().unwrap().parse().unwrap();
    entity::editor::Entity::update_many()
        .col_expr(entity::editor::Column::Links, sea_orm::sea_query::Expr::value(json!({"label": 1})))
        .filter(entity::editor::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(app.get(&path).await.assert_problem(500), "internal_error", "corrupt links are not shown as no links");
}

/// Makes the app's database refuse it, runs `check`, then lets it back in.
async fn an_unreachable_database_is_a_503_to_retry(app: TestApp) {
    let admin = app.admin().await;
    match app.settings.database_url.starts_with("sqlite:") {
        // SQLite: another process holds the write lock past the busy timeout.
        true => {
            let other = Database::connect(&app.settings.database_url).await.unwrap();
            let lock = other
                .begin_with_options(TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Exclusive), ..Default::default() })
                .await
                .unwrap();
            let reply = app.post_as(&admin, "/api/v1/tags", &json!({"name": "Waiting"})).await;
            lock.rollback().await.unwrap();
            assert_unavailable(&reply);
        }
        // PostgreSQL: the database stops taking connections and drops the ones it has.
        false => {
            let name = app.settings.database_url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
            let base = std::env::var("OU_TEST_POSTGRES_URL").unwrap();
            let server = Database::connect(&base).await.unwrap();
            server.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await.unwrap();
            server
                .execute_unprepared(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                .await
                .unwrap();
            let read = app.get("/api/v1/tags").await;
            let write = app.post_as(&admin, "/api/v1/tags", &json!({"name": "Waiting"})).await;
            let ready = app.get("/readyz").await;
            server.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await.unwrap();
            assert_unavailable(&read);
            assert_unavailable(&write);
            assert_eq!(ready.status, 503);
        }
    }
    // Once the database is back, so is the service.
    assert_eq!(app.post_as(&admin, "/api/v1/tags", &json!({"name": "Back again"})).await.status, 201);
}

fn assert_unavailable(reply: &crate::helpers::Reply) {
    assert_eq!(reply.assert_problem(503), "service_unavailable");
    let retry: u64 = reply.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(retry > 0);
}

crate::on_both_databases!(
    racing_creations_of_one_unique_value_conflict,
    a_server_fault_says_nothing_about_its_cause,
    a_corrupt_row_is_a_server_fault_not_an_empty_value,
    an_unreachable_database_is_a_503_to_retry,
);
