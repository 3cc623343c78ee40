//! Every public content list (each kind and `/content`, each sort in both directions, with and
//! without filters, its count included) is served by an index: no full scan of the content
//! table and no sort of its rows, on either database. The statements are the ones the lists run,
//! built by the same code from the same query strings clients send.

use api::domain::ContentKind;
use api::policy::Principal;
use api::services::content;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

use crate::fixtures::published_essays;
use crate::helpers::TestApp;

/// What a plan line must not say: a full read of the content rows, or a sort of them.
fn refusal(backend: DbBackend, line: &str) -> Option<&'static str> {
    let line = line.trim_start_matches(|c: char| c == ' ' || c == '-' || c == '>');
    match backend {
        DbBackend::Sqlite if line.starts_with("SCAN content_items") => Some("reads every content row"),
        DbBackend::Sqlite if line.contains("TEMP B-TREE") => Some("sorts rows in a temporary B-tree"),
        DbBackend::Postgres if line.starts_with("Seq Scan on content_items") => Some("reads every content row"),
        // An incremental sort only orders rows that tie on a presorted key (PostgreSQL uses one
        // to add the `id` tiebreaker to a unique slug's order): it reads in index order.
        DbBackend::Postgres if line.starts_with("Sort  (") => Some("sorts rows"),
        _ => None,
    }
}

async fn every_public_list_is_served_by_an_index(app: TestApp) {
    app.seed_demo().await;
    published_essays(&app.db, 300).await;
    let sector = app.get("/api/v1/sectors?limit=1").await.json()[0]["slug"].as_str().unwrap().to_owned();
    let backend = app.db.get_database_backend();
    let txn = app.db.begin().await.unwrap();
    if backend == DbBackend::Postgres {
        // With statistics, and with the planner told to avoid what it must not need: tables
        // this small are otherwise cheapest read whole, so the question asked is whether an
        // index can serve the statement, as it must once the table is large.
        for setting in ["ANALYZE", "SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"] {
            txn.execute_unprepared(setting).await.unwrap();
        }
    }
    let filters = ["", "sector=SECTOR", "author=nobody&tag=nobody", "fields=title,slug"];
    let mut checked = 0;
    let mut failures = Vec::new();
    for kind in [None, Some(ContentKind::Essay), Some(ContentKind::StrategyAnalysis), Some(ContentKind::BlogPost), Some(ContentKind::NewsLink)] {
        let spec = content::spec(kind);
        let mut shapes: Vec<String> = Vec::new();
        for sort in spec.sorts {
            for direction in ["", "-"] {
                for filter in filters {
                    shapes.push(format!("sort={direction}{sort}&limit=20&{}", filter.replace("SECTOR", &sector)));
                }
            }
        }
        // A range on one date and an order on another is a choice between reading the range and
        // sorting it, or reading in order and skipping; ranges are checked with their own order.
        for range in ["published_after=2026-01-01T00:00:00Z", "published_at_gte=2026-01-01T00:00:00Z&published_before=2030-01-01T00:00:00Z"] {
            for sort in ["published_at", "-published_at"] {
                shapes.push(format!("sort={sort}&limit=20&{range}"));
            }
        }
        if kind == Some(ContentKind::Essay) {
            shapes.push("featured=true&limit=20".into());
        }
        // The admin UIs' dialects, and a page far down.
        shapes.push("_sort=title&_order=DESC&_start=100&_end=120".into());
        shapes.push("limit=20&offset=200".into());
        for shape in shapes {
            let parsed = api::rest::list_query::parse_list(&shape, None, spec).unwrap_or_else(|e| panic!("{shape}: {e:?}"));
            let statements = content::list_statements(backend, &Principal::Anonymous, kind, &parsed.query).unwrap();
            assert_eq!(statements.len(), 2, "{shape}: a count and a page");
            for (position, statement) in statements.into_iter().enumerate() {
                let plan = api::db::plan(&txn, statement.clone()).await.unwrap();
                let count = position == 0;
                for line in plan.lines() {
                    // A count reads the index alone, not the rows it counts.
                    let reads_rows = count && backend == DbBackend::Sqlite && line.contains("content_items USING INDEX");
                    if let Some(why) = refusal(backend, line).or(reads_rows.then_some("counts by reading rows")) {
                        failures.push(format!("{}?{shape} {why}:\n{}\n{plan}", spec.name, statement.sql));
                    }
                }
                checked += 1;
            }
        }
    }
    txn.rollback().await.unwrap();
    assert!(checked > 400, "{checked} statements");
    assert!(failures.is_empty(), "{} of {checked} statements are not served by an index; the first:\n{}", failures.len(), failures[0]);
}

crate::on_both_databases!(every_public_list_is_served_by_an_index);
