//! Anonymous reads: published content is readable by every path, nothing else is, by any path.

use std::collections::HashSet;

use api::clock::now;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::Value;

use crate::helpers::TestApp;

const COLLECTIONS: [(&str, &str, &str); 4] = [
    ("essays", "essay", "authors,sectors,tags,question"),
    ("analyses", "strategy_analysis", "authors,sectors,tags,question"),
    ("blog-posts", "blog_post", "authors,sectors,tags,blog"),
    ("news-links", "news_link", "authors,sectors,tags"),
];

/// Every id a collection lists, over all pages, with embeds on.
async fn all_ids(app: &TestApp, collection: &str, include: &str) -> (Vec<String>, Vec<Value>) {
    let mut ids = Vec::new();
    let mut items = Vec::new();
    let mut offset = 0;
    loop {
        let reply = app.get(&format!("/api/v1/{collection}?limit=7&offset={offset}&include={include}")).await;
        assert_eq!(reply.status, 200);
        let page = reply.json().as_array().unwrap().clone();
        if page.is_empty() {
            assert!(offset >= reply.total() as usize);
            break;
        }
        for item in page {
            ids.push(item["id"].as_str().unwrap().to_owned());
            items.push(item);
        }
        offset += 7;
    }
    (ids, items)
}

async fn published_demo_is_readable(app: TestApp) {
    app.seed_demo().await;
    let rows = entity::content_item::Entity::find().all(&app.db).await.unwrap();
    for (collection, kind, include) in COLLECTIONS {
        let expected: HashSet<String> = rows
            .iter()
            .filter(|r| r.kind == kind && r.status == "published")
            .map(|r| r.id.to_string())
            .collect();
        assert!(!expected.is_empty(), "the demo has published {kind} items");
        let (ids, items) = all_ids(&app, collection, include).await;
        let with_bodies = app.get(&format!("/api/v1/{collection}?limit=100&fields=title,body,body_html")).await.json();
        for item in with_bodies.as_array().unwrap() {
            assert!(item["body_html"].as_str().unwrap().contains("<p>"), "{collection}: bodies come when `fields` names them");
            assert!(item["body"].as_str().is_some() && item.get("summary").is_none(), "{collection}: and only the fields named");
            let single = app.get(&format!("/api/v1/{collection}/{}", item["id"].as_str().unwrap())).await.json();
            assert_eq!(single["body_html"], item["body_html"], "{collection}: a single item keeps its bodies");
        }
        assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), expected, "{collection}");
        assert_eq!(ids.len(), expected.len(), "{collection} lists each item once");
        for item in &items {
            assert_eq!(item["kind"], kind);
            assert_eq!(item["status"], "published");
            assert!(item.get("body").is_none() && item.get("body_html").is_none(), "{collection}: lists leave the bodies out");
            assert!(item["word_count"].as_i64().unwrap() > 0);
            assert!(item["reading_time_minutes"].as_i64().unwrap() >= 1);
            assert_eq!(item["authors"].as_array().unwrap().len(), item["author_ids"].as_array().unwrap().len());
            assert_eq!(item["sectors"].as_array().unwrap().len(), item["sector_ids"].as_array().unwrap().len());
        }
        // One item by id and by slug: the same record.
        let first = &items[0];
        let by_id = app.get(&format!("/api/v1/{collection}/{}", first["id"].as_str().unwrap())).await;
        let by_slug = app.get(&format!("/api/v1/{collection}/{}", first["slug"].as_str().unwrap())).await;
        assert_eq!(by_id.status, 200);
        assert_eq!(by_id.json(), by_slug.json());
        assert_eq!(by_id.json()["id"], first["id"]);
        let with_authors = app.get(&format!("/api/v1/{collection}/{}?include=authors", first["id"].as_str().unwrap())).await;
        assert!(with_authors.json()["authors"].is_array());
    }
    let (all, _) = all_ids(&app, "content", "authors,sectors,tags,blog,question").await;
    assert_eq!(all.len(), rows.iter().filter(|r| r.status == "published").count());
    for collection in ["blogs", "editors", "sectors", "tags", "questions"] {
        let reply = app.get(&format!("/api/v1/{collection}")).await;
        assert_eq!(reply.status, 200, "{collection}");
        assert!(reply.total() > 0, "{collection}");
        let first = &reply.json()[0];
        let by_slug = app.get(&format!("/api/v1/{collection}/{}", first["slug"].as_str().unwrap())).await;
        assert_eq!(&by_slug.json(), first, "{collection} by slug");
    }
    assert_eq!(app.get("/api/v1/sectors").await.total(), 5);
    assert_eq!(app.get("/api/v1/questions").await.total(), 3);
}

async fn unpublished_content_is_invisible_by_every_path(app: TestApp) {
    app.seed_demo().await;
    // A published essay moved to the trash must vanish too.
    let trashed = entity::content_item::Entity::find()
        .filter(entity::content_item::Column::Kind.eq("essay"))
        .filter(entity::content_item::Column::Status.eq("published"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active = trashed.clone().into_active_model();
    active.deleted_at = Set(Some(now()));
    active.update(&app.db).await.unwrap();

    let rows = entity::content_item::Entity::find().all(&app.db).await.unwrap();
    let hidden: Vec<_> = rows.iter().filter(|r| r.status != "published" || r.deleted_at.is_some()).collect();
    let statuses: HashSet<&str> = hidden.iter().map(|r| r.status.as_str()).collect();
    for status in ["draft", "in_review", "scheduled", "archived", "published"] {
        assert!(statuses.contains(status), "the fixture hides a {status} item");
    }
    let hidden_ids: HashSet<String> = hidden.iter().map(|r| r.id.to_string()).collect();

    for (collection, _, include) in COLLECTIONS {
        let (ids, _) = all_ids(&app, collection, include).await;
        assert!(ids.iter().all(|id| !hidden_ids.contains(id)), "{collection} lists a hidden item");
        for status in ["draft", "in_review", "scheduled", "archived"] {
            let reply = app.get(&format!("/api/v1/{collection}?status={status}")).await;
            assert_eq!((reply.status, reply.total()), (200, 0), "{collection}?status={status}");
            let reply = app.get(&format!("/api/v1/{collection}?filter=%7B%22status%22%3A%22{status}%22%7D")).await;
            assert_eq!(reply.total(), 0);
        }
    }
    let (ids, _) = all_ids(&app, "content", "authors").await;
    assert!(ids.iter().all(|id| !hidden_ids.contains(id)));

    for row in &hidden {
        let collection = COLLECTIONS.iter().find(|c| c.1 == row.kind).unwrap().0;
        for path in [
            format!("/api/v1/{collection}/{}", row.id),
            format!("/api/v1/{collection}/{}", row.slug),
            format!("/api/v1/content/{}", row.id),
            format!("/api/v1/content/{}", row.slug),
            format!("/api/v1/content?id={}", row.id),
            format!("/api/v1/{collection}?slug={}", row.slug),
        ] {
            let reply = app.get(&path).await;
            if reply.status == 200 {
                assert_eq!(reply.json(), Value::Array(vec![]), "{path} reveals a hidden item");
            } else {
                assert_eq!(reply.assert_problem(404), "not_found", "{path}");
            }
        }
    }
}

async fn hidden_editor_profiles_stay_hidden(app: TestApp) {
    app.seed_demo().await;
    let hidden = entity::editor::Entity::find()
        .filter(entity::editor::Column::Visible.eq(false))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the demo has a hidden profile");
    // Make the hidden profile an author of a published item: it must still not show.
    let published = entity::content_item::Entity::find()
        .filter(entity::content_item::Column::Status.eq("published"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    entity::content_author::Entity::insert(entity::content_author::ActiveModel {
        content_id: Set(published.id),
        editor_id: Set(hidden.id),
        position: Set(99),
        created_at: Set(now()),
        updated_at: Set(now()),
    })
    .exec(&app.db)
    .await
    .unwrap();

    app.get(&format!("/api/v1/editors/{}", hidden.slug)).await.assert_problem(404);
    app.get(&format!("/api/v1/editors/{}", hidden.id)).await.assert_problem(404);
    let editors = app.get("/api/v1/editors?limit=100").await;
    assert!(!editors.ids().contains(&hidden.id.to_string()));
    assert_eq!(editors.total(), 7);
    let item = app.get(&format!("/api/v1/content/{}?include=authors", published.id)).await.json();
    let hidden_id = Value::String(hidden.id.to_string());
    assert!(!item["author_ids"].as_array().unwrap().contains(&hidden_id));
    assert!(item["authors"].as_array().unwrap().iter().all(|a| a["id"] != hidden_id));
    assert_eq!(app.get(&format!("/api/v1/content?author={}", hidden.slug)).await.total(), 0);
    assert_eq!(app.get(&format!("/api/v1/content?author_id={}", hidden.id)).await.total(), 0);
}

async fn filters_sorts_and_sparse_fields(app: TestApp) {
    app.seed_demo().await;
    let labor = app.get("/api/v1/sectors/labor").await.json();
    let labor_id = labor["id"].as_str().unwrap();

    let by_slug = app.get("/api/v1/content?sector=labor&limit=100").await;
    let by_id = app.get(&format!("/api/v1/content?sector_id={labor_id}&limit=100")).await;
    assert!(by_slug.total() > 0);
    assert_eq!(by_slug.ids(), by_id.ids());
    for item in by_slug.json().as_array().unwrap() {
        assert!(item["sector_ids"].as_array().unwrap().iter().any(|s| s == labor_id));
    }
    let not_labor = app.get("/api/v1/content?sector_ne=labor&limit=100").await;
    assert_eq!(not_labor.total() + by_slug.total(), app.get("/api/v1/content").await.total());

    // Many-by-id, as admin UIs' getMany asks.
    let ids = by_slug.ids();
    let many = app.get(&format!("/api/v1/content?id={}&id={}", ids[0], ids[1])).await;
    assert_eq!(many.ids().into_iter().collect::<HashSet<_>>(), ids[..2].iter().cloned().collect());

    // Newest first by default; explicit ascending order reverses it.
    let newest: Vec<String> = app.get("/api/v1/essays?fields=published_at").await.json().as_array().unwrap()
        .iter().map(|i| i["published_at"].as_str().unwrap().to_owned()).collect();
    let mut sorted = newest.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(newest, sorted);
    let oldest = app.get("/api/v1/essays?sort=published_at").await.ids();
    let mut reversed = app.get("/api/v1/essays").await.ids();
    reversed.reverse();
    assert_eq!(oldest, reversed);

    let by_length = app.get("/api/v1/content?sort=-reading_time_minutes,title&limit=100&fields=reading_time_minutes").await.json();
    let minutes: Vec<i64> = by_length.as_array().unwrap().iter().map(|i| i["reading_time_minutes"].as_i64().unwrap()).collect();
    assert!(minutes.windows(2).all(|w| w[0] >= w[1]), "{minutes:?}");

    // Date ranges split the list at an item's publication time.
    let middle = newest[newest.len() / 2].clone();
    let after = app.get(&format!("/api/v1/essays?published_after={}", middle.replace('+', "%2B"))).await;
    let before = app.get(&format!("/api/v1/essays?published_before={}", middle.replace('+', "%2B"))).await;
    assert_eq!(after.total() + before.total() + 1, newest.len() as u64);
    assert!(after.json().as_array().unwrap().iter().all(|i| i["published_at"].as_str().unwrap() > middle.as_str()));

    let like = app.get("/api/v1/content?title_like=THE&limit=100").await;
    assert!(like.total() > 0);
    assert!(like.json().as_array().unwrap().iter().all(|i| i["title"].as_str().unwrap().to_lowercase().contains("the")));
    // LIKE wildcards in user text match literally.
    assert_eq!(app.get("/api/v1/content?title_like=%25").await.total(), 0);

    let featured = app.get("/api/v1/essays?featured=true").await;
    assert!(featured.total() > 0);
    assert!(featured.json().as_array().unwrap().iter().all(|i| i["featured"] == true));

    let blog = app.get("/api/v1/blogs?limit=1").await.json()[0].clone();
    let posts = app.get(&format!("/api/v1/blog-posts?blog={}", blog["slug"].as_str().unwrap())).await;
    assert!(posts.total() > 0);
    assert!(posts.json().as_array().unwrap().iter().all(|p| p["blog_id"] == blog["id"]));
    assert_eq!(posts.ids(), app.get(&format!("/api/v1/blog-posts?blog_id={}", blog["id"].as_str().unwrap())).await.ids());

    let answering = app.get("/api/v1/essays?question=current-conditions&include=question").await;
    assert!(answering.total() > 0);
    assert!(answering.json().as_array().unwrap().iter().all(|e| e["question"]["slug"] == "current-conditions"));

    let author = app.get("/api/v1/editors?team_role=editor&limit=1").await.json()[0].clone();
    let by_author = app.get(&format!("/api/v1/content?author={}&limit=100", author["slug"].as_str().unwrap())).await;
    assert!(by_author.json().as_array().unwrap().iter().all(|i| i["author_ids"].as_array().unwrap().contains(&author["id"])));

    let sparse = app.get("/api/v1/essays?fields=title,slug&limit=3").await.json();
    for item in sparse.as_array().unwrap() {
        let keys: HashSet<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, HashSet::from(["id", "title", "slug"]));
    }
    let single = app.get(&format!("/api/v1/essays/{}?fields=title", ids_of_essays(&app).await[0])).await.json();
    assert_eq!(single.as_object().unwrap().len(), 2);

    let editors_with_sectors = app.get("/api/v1/editors?include=sectors&sector=labor").await.json();
    for editor in editors_with_sectors.as_array().unwrap() {
        assert!(editor["sectors"].as_array().unwrap().iter().any(|s| s["slug"] == "labor"));
    }
    let blogs = app.get("/api/v1/blogs?include=sector,bloggers").await.json();
    for blog in blogs.as_array().unwrap() {
        assert_eq!(blog["bloggers"].as_array().unwrap().len(), blog["blogger_ids"].as_array().unwrap().len());
        assert!(blog["sector"].is_object() || blog["sector_id"].is_null());
    }
}

async fn ids_of_essays(app: &TestApp) -> Vec<String> {
    app.get("/api/v1/essays").await.ids()
}

async fn former_slugs_redirect(app: TestApp) {
    app.seed_demo().await;
    let essay = app.get("/api/v1/essays?limit=1").await.json()[0].clone();
    entity::content_slug_redirect::Entity::insert(entity::content_slug_redirect::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        kind: Set("essay".into()),
        slug: Set("an-older-title".into()),
        content_id: Set(essay["id"].as_str().unwrap().parse().unwrap()),
        created_at: Set(now()),
        updated_at: Set(now()),
    })
    .exec(&app.db)
    .await
    .unwrap();
    let reply = app.get("/api/v1/essays/an-older-title?include=authors").await;
    assert_eq!(reply.status, 301);
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/api/v1/essays/{}?include=authors", essay["slug"].as_str().unwrap())
    );
    app.get("/api/v1/analyses/an-older-title").await.assert_problem(404);
    let any_kind = app.get("/api/v1/content/an-older-title").await;
    assert_eq!(any_kind.status, 301);
    assert_eq!(any_kind.header("location").unwrap(), format!("/api/v1/content/{}", essay["slug"].as_str().unwrap()));
    assert!(any_kind.header("cache-control").unwrap().starts_with("public"));
}

async fn many_by_id_returns_every_named_item(app: TestApp) {
    app.seed_demo().await;
    crate::fixtures::published_essays(&app.db, 30).await;
    let ids = app.get("/api/v1/essays?limit=30").await.ids();
    assert_eq!(ids.len(), 30);
    let query: Vec<String> = ids.iter().map(|id| format!("id={id}")).collect();
    let many = app.get(&format!("/api/v1/essays?{}", query.join("&"))).await;
    assert_eq!(many.ids().len(), 30, "ra-data-json-server getMany gets every id");
    let list: Vec<String> = ids.iter().map(|id| format!("%22{id}%22")).collect();
    let simple = app.get(&format!("/api/v1/essays?filter=%7B%22id%22%3A%5B{}%5D%7D", list.join("%2C"))).await;
    assert_eq!(simple.ids().len(), 30, "ra-data-simple-rest getMany gets every id");
}

async fn rendered_bodies_are_sanitized(app: TestApp) {
    use api::domain::{ContentKind, ContentStatus, Slug};
    use api::services::content::{NewContent, insert};
    let body = "# Hello\n\n<script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n\
                [click](javascript:alert(1)) <a href=\"javascript:void(0)\" onclick=\"steal()\">me</a>\n\n\
                <iframe src=\"https://evil.example\"></iframe> <b onmouseover=\"x()\">bold</b> words here";
    insert(
        &app.db,
        NewContent {
            status: ContentStatus::Published,
            published_at: Some(now()),
            body: body.into(),
            ..NewContent::draft(ContentKind::Essay, Slug::parse("hostile-markup").unwrap(), "Hostile markup", now())
        },
    )
    .await
    .unwrap();
    let item = app.get("/api/v1/essays/hostile-markup").await.json();
    assert_eq!(item["body"], body, "the Markdown source is kept as written");
    let html = item["body_html"].as_str().unwrap().to_lowercase();
    assert!(html.contains("<h1>hello</h1>"), "{html}");
    assert!(html.contains("<b>bold</b>"), "{html}");
    for banned in ["<script", "onerror", "onclick", "onmouseover", "javascript:", "<iframe"] {
        assert!(!html.contains(banned), "{banned} survived: {html}");
    }
    assert!(item["word_count"].as_i64().unwrap() >= 5);
    assert_eq!(item["reading_time_minutes"], 1);
}

crate::on_both_databases!(
    rendered_bodies_are_sanitized,
    published_demo_is_readable,
    unpublished_content_is_invisible_by_every_path,
    hidden_editor_profiles_stay_hidden,
    filters_sorts_and_sparse_fields,
    former_slugs_redirect,
    many_by_id_returns_every_named_item,
);
