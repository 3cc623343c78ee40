//! The permission matrix, from PRODUCT.md §4 written out (product_roles.rs): every default
//! role, anonymous and both API-key scopes, against every content resource and action, on their
//! own items, items in their sector and anybody else's, plus every catalog and admin resource.

use std::collections::HashMap;

use api::clock::now;
use api::domain::{ContentKind, ContentStatus, Slug};
use api::policy::{Action, Resource, Scope, default_roles};

use crate::product_roles::product_roles;
use api::services::content::{NewContent, insert};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    /// Authored by the caller's profile, filed in another sector.
    Own,
    /// In the caller's sector, by someone else.
    InSector,
    /// Someone else's, in another sector.
    Other,
}

struct World {
    labor: Uuid,
    climate: Uuid,
    blog: Uuid,
    author_profile: Uuid,
}

/// The state an action starts from, and whether the item sits in the trash.
fn starting_point(action: Action) -> (ContentStatus, bool) {
    match action {
        Action::Publish => (ContentStatus::InReview, false),
        Action::Unpublish | Action::Archive => (ContentStatus::Published, false),
        Action::Restore | Action::Purge => (ContentStatus::Draft, true),
        _ => (ContentStatus::Draft, false),
    }
}

async fn make_item(app: &TestApp, world: &World, kind: ContentKind, action: Action, target: Target) -> Uuid {
    let (status, trashed) = starting_point(action);
    let (authors, sector) = match target {
        Target::Own => (vec![world.author_profile], world.climate),
        Target::InSector => (vec![], world.labor),
        Target::Other => (vec![], world.climate),
    };
    let n = Uuid::now_v7().simple().to_string();
    let new = NewContent {
        status,
        published_at: (status == ContentStatus::Published).then(now),
        author_ids: authors,
        sector_ids: vec![sector],
        blog_id: (kind == ContentKind::BlogPost).then_some(world.blog),
        url: (kind == ContentKind::NewsLink).then(|| format!("https://news.example.org/{n}")),
        ..NewContent::draft(kind, Slug::parse(&format!("matrix-{n}")).unwrap(), format!("Matrix item {n}"), now())
    };
    let id = insert(&app.db, new).await.unwrap();
    if trashed {
        let model = entity::content_item::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
        let mut active = model.into_active_model();
        active.deleted_at = Set(Some(now()));
        active.update(&app.db).await.unwrap();
    }
    id
}

async fn attempt(app: &TestApp, token: Option<&str>, kind: ContentKind, action: Action, id: Uuid) -> u16 {
    let base = format!("/api/v1/{}/{id}", kind.collection());
    let (method, path, body) = match action {
        // Pool items are fresh or untouched by refused attempts: always at version 1.
        Action::Update => (Method::PATCH, base, Some(json!({"summary": "Changed by the matrix", "version": 1}))),
        Action::Delete => (Method::DELETE, base, None),
        Action::Purge => (Method::DELETE, format!("{base}?purge=true"), None),
        Action::Schedule => (Method::POST, format!("{base}/schedule"), Some(json!({"at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(), "version": 1}))),
        Action::Restore => (Method::POST, format!("{base}/restore"), None),
        other => (Method::POST, format!("{base}/{}", other.as_str()), Some(json!({"version": 1}))),
    };
    let body = body.map(|b| b.to_string());
    app.send(method, &path, token, body.as_deref(), &[]).await.status
}

fn covers(scope: Option<Scope>, target: Target) -> bool {
    match scope {
        None => false,
        Some(Scope::All) => true,
        Some(Scope::Sector) => target == Target::InSector,
        Some(Scope::Own) => target == Target::Own,
    }
}

async fn content_matrix_follows_the_policy(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let sector = |slug: &'static str| {
        let app = &app;
        async move { app.get(&format!("/api/v1/sectors/{slug}")).await.json()["id"].as_str().unwrap().parse::<Uuid>().unwrap() }
    };
    let labor = sector("labor").await;
    let climate = sector("climate-justice").await;
    let blog: Uuid = app.get("/api/v1/blogs?limit=1").await.json()[0]["id"].as_str().unwrap().parse().unwrap();
    let profile = app.post_as(&admin, "/api/v1/editors", &json!({"display_name": "Matrix Author", "team_role": "contributor"})).await;
    assert_eq!(profile.status, 201, "{}", String::from_utf8_lossy(&profile.body));
    let author_profile: Uuid = profile.json()["id"].as_str().unwrap().parse().unwrap();
    let world = World { labor, climate, blog, author_profile };

    let content_key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "site", "scope": "content"})).await.json()["secret"].as_str().unwrap().to_owned();
    let preview_key = app.post_as(&admin, "/api/v1/api-keys", &json!({"name": "preview", "scope": "preview"})).await.json()["secret"].as_str().unwrap().to_owned();
    let mut callers: Vec<(String, Option<String>, HashMap<(Resource, Action), Scope>)> = vec![
        ("anonymous".into(), None, HashMap::new()),
        ("content key".into(), Some(content_key), HashMap::new()),
        ("preview key".into(), Some(preview_key), HashMap::new()),
    ];
    for (role, grants) in product_roles() {
        let (sectors, profile) = match role {
            "editor" => (vec![labor.to_string()], None),
            "author" => (vec![], Some(author_profile.to_string())),
            _ => (vec![], None),
        };
        let token = if role == "admin" { admin.clone() } else { app.user(role, &sectors, profile.as_deref()).await.1 };
        callers.push((role.to_owned(), Some(token), grants));
    }

    let actions = [
        Action::Update, Action::Delete, Action::Submit, Action::Publish, Action::Schedule,
        Action::Unpublish, Action::Archive, Action::Restore, Action::Purge,
    ];
    let mut pool: HashMap<(ContentKind, Action, Target), Uuid> = HashMap::new();
    let mut checked = 0;
    let (mut allowed_seen, mut refused_seen) = (0, 0);
    for &kind in ContentKind::ALL {
        let resource = Resource::for_kind(kind);
        for action in actions {
            for target in [Target::Own, Target::InSector, Target::Other] {
                for (name, token, grants) in &callers {
                    let id = match pool.get(&(kind, action, target)) {
                        Some(id) => *id,
                        None => {
                            let id = make_item(&app, &world, kind, action, target).await;
                            pool.insert((kind, action, target), id);
                            id
                        }
                    };
                    let expected = covers(grants.get(&(resource, action)).copied(), target);
                    let status = attempt(&app, token.as_deref(), kind, action, id).await;
                    if expected {
                        assert_eq!(status, 200, "{name} may {} {target:?} {}", action.as_str(), kind.collection());
                        // The item changed: the next caller gets a fresh one.
                        pool.remove(&(kind, action, target));
                        allowed_seen += 1;
                    } else {
                        assert!(matches!(status, 401 | 403 | 404), "{name} may not {} {target:?} {}: got {status}", action.as_str(), kind.collection());
                        refused_seen += 1;
                    }
                    checked += 1;
                }
            }
        }
        // Creating, in the caller's sector and in another.
        for (sector, in_sector) in [(labor, true), (climate, false)] {
            for (name, token, grants) in &callers {
                let mut body = json!({"title": format!("Created by {name}"), "sector_ids": [sector]});
                if kind == ContentKind::BlogPost {
                    body["blog_id"] = json!(blog);
                }
                if kind == ContentKind::NewsLink {
                    body["url"] = json!(format!("https://news.example.org/{}", Uuid::now_v7()));
                }
                let expected = match grants.get(&(resource, Action::Create)) {
                    None => false,
                    Some(Scope::Sector) => in_sector,
                    Some(_) => true,
                };
                let status = app.send(Method::POST, &format!("/api/v1/{}", kind.collection()), token.as_deref(), Some(&body.to_string()), &[]).await.status;
                if expected {
                    assert_eq!(status, 201, "{name} may create {} (in sector: {in_sector})", kind.collection());
                } else {
                    assert!(matches!(status, 401 | 403), "{name} may not create {} (in sector: {in_sector}): {status}", kind.collection());
                }
                checked += 1;
            }
        }
    }
    assert!(allowed_seen > 50 && refused_seen > 300, "{allowed_seen} allowed, {refused_seen} refused");
    assert!(checked >= 800, "{checked} cases");
}

#[test]
fn the_seeded_roles_grant_what_the_product_says() {
    let product = product_roles();
    let seeded = default_roles();
    assert_eq!(seeded.len(), product.len(), "the same default roles");
    for (role, _, grants) in seeded {
        let grants: HashMap<(Resource, Action), Scope> = grants.into_iter().map(|(r, a, s)| ((r, a), s)).collect();
        let expected = &product.iter().find(|(name, _)| *name == role).unwrap_or_else(|| panic!("{role} is not a role of PRODUCT §4")).1;
        for (grant, scope) in &grants {
            assert_eq!(expected.get(grant), Some(scope), "{role} is granted {grant:?} at {scope:?}");
        }
        for grant in expected.keys() {
            assert!(grants.contains_key(grant), "{role} lacks {grant:?}");
        }
    }
}

async fn catalog_and_admin_matrix_follows_the_policy(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let mut callers: Vec<(String, Option<String>, Vec<(Resource, Action)>)> = vec![("anonymous".into(), None, vec![])];
    for (role, grants) in product_roles() {
        let token = if role == "admin" { admin.clone() } else { app.user(role, &[], None).await.1 };
        callers.push((role.to_owned(), Some(token), grants.into_keys().collect()));
    }
    for (name, token, grants) in &callers {
        let n = Uuid::now_v7().simple().to_string();
        let creations: [(Resource, &str, Value); 5] = [
            (Resource::Tags, "/api/v1/tags", json!({"name": format!("Tag {n}")})),
            (Resource::Sectors, "/api/v1/sectors", json!({"name": format!("Sector {n}")})),
            (Resource::Questions, "/api/v1/questions", json!({"title": format!("Question {n}")})),
            (Resource::Blogs, "/api/v1/blogs", json!({"title": format!("Blog {n}")})),
            (Resource::Editors, "/api/v1/editors", json!({"display_name": format!("Editor {n}"), "team_role": "blogger"})),
        ];
        for (resource, path, body) in creations {
            let status = app.send(Method::POST, path, token.as_deref(), Some(&body.to_string()), &[]).await.status;
            let expected = grants.contains(&(resource, Action::Create));
            assert_eq!(status == 201, expected, "{name} create {}: {status}", resource.as_str());
            if !expected {
                assert!(matches!(status, 401 | 403), "{name} create {}: {status}", resource.as_str());
            }
        }
        for (resource, path) in [
            (Resource::Users, "/api/v1/users"),
            (Resource::Roles, "/api/v1/roles"),
            (Resource::ApiKeys, "/api/v1/api-keys"),
            (Resource::AuditLog, "/api/v1/audit-log"),
        ] {
            let status = app.send(Method::GET, path, token.as_deref(), None, &[]).await.status;
            let expected = grants.contains(&(resource, Action::Read));
            assert_eq!(status == 200, expected, "{name} read {}: {status}", resource.as_str());
        }
    }
}

async fn authors_cannot_reach_other_drafts_by_any_path(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let mine = app.post_as(&admin, "/api/v1/editors", &json!({"display_name": "Mine Author", "team_role": "contributor"})).await.json();
    let (_, author) = app.user("author", &[], Some(mine["id"].as_str().unwrap())).await;
    let (_, other_author) = app.user("author", &[], None).await;
    let theirs = app.post_as(&other_author, "/api/v1/essays", &json!({"title": "Their private draft", "summary": "secret plans"})).await.json();
    let own = app.post_as(&author, "/api/v1/essays", &json!({"title": "My own draft", "author_ids": [mine["id"]]})).await;
    assert_eq!(own.status, 201, "{}", String::from_utf8_lossy(&own.body));
    let id = theirs["id"].as_str().unwrap();
    let slug = theirs["slug"].as_str().unwrap();
    for path in [
        format!("/api/v1/essays/{id}"),
        format!("/api/v1/essays/{slug}"),
        format!("/api/v1/content/{id}"),
    ] {
        assert_eq!(app.get_as(&author, &path).await.status, 404, "{path}");
    }
    for path in [
        format!("/api/v1/essays?id={id}"),
        format!("/api/v1/essays?slug={slug}"),
        "/api/v1/essays?status=draft&limit=100".to_owned(),
        "/api/v1/content?status=draft&limit=100&include=authors".to_owned(),
        "/api/v1/essays?title_like=private".to_owned(),
    ] {
        let reply = app.get_as(&author, &path).await;
        assert!(!reply.ids().contains(&id.to_owned()), "{path} reveals another author's draft");
    }
    let drafts = app.get_as(&author, "/api/v1/essays?status=draft&limit=100").await;
    assert_eq!(drafts.ids(), vec![own.json()["id"].as_str().unwrap().to_owned()], "an author reads their own drafts only");
    let patch = app.send(Method::PATCH, &format!("/api/v1/essays/{id}"), Some(&author), Some("{\"title\":\"Mine now\",\"version\":1}"), &[]).await;
    assert_eq!(patch.status, 404);
    assert_eq!(app.send(Method::DELETE, &format!("/api/v1/essays/{id}"), Some(&author), None, &[]).await.status, 404);
    // The owner may submit, and then may no longer edit.
    let own_id = own.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.post_as(&author, &format!("/api/v1/essays/{own_id}/submit"), &json!({"version": 1})).await.status, 200);
    assert_eq!(app.post_as(&author, &format!("/api/v1/essays/{own_id}/publish"), &json!({"version": 2})).await.status, 403);
    let late_edit = app.send(Method::PATCH, &format!("/api/v1/essays/{own_id}"), Some(&author), Some("{\"title\":\"Too late\",\"version\":2}"), &[]).await;
    assert_eq!(late_edit.status, 403, "submitted work belongs to the editors");
    // A news collector cannot touch essays; an editor of labor cannot publish climate work.
    let (_, collector) = app.user("news_collector", &[], None).await;
    assert_eq!(app.post_as(&collector, "/api/v1/essays", &json!({"title": "Not mine to write"})).await.status, 403);
    let labor = app.get("/api/v1/sectors/labor").await.json()["id"].as_str().unwrap().to_owned();
    let climate = app.get("/api/v1/sectors/climate-justice").await.json()["id"].as_str().unwrap().to_owned();
    let (_, labor_editor) = app.user("editor", &[labor.clone()], None).await;
    let climate_piece = app.post_as(&admin, "/api/v1/essays", &json!({"title": "A climate piece", "sector_ids": [climate]})).await.json();
    let labor_piece = app.post_as(&admin, "/api/v1/essays", &json!({"title": "A labor piece", "sector_ids": [labor]})).await.json();
    let refused = app.post_as(&labor_editor, &format!("/api/v1/essays/{}/publish", climate_piece["id"].as_str().unwrap()), &json!({"version": 1})).await.status;
    assert!(matches!(refused, 403 | 404), "another sector's draft is out of reach: {refused}");
    assert_eq!(app.post_as(&labor_editor, &format!("/api/v1/essays/{}/publish", labor_piece["id"].as_str().unwrap()), &json!({"version": 1})).await.status, 200);
    // …and cannot move labor work into another sector.
    let moved = app.send(Method::PATCH, &format!("/api/v1/essays/{}", labor_piece["id"].as_str().unwrap()), Some(&labor_editor), Some(&json!({"sector_ids": [climate], "version": 2}).to_string()), &[]).await;
    assert_eq!(moved.status, 403);
}

crate::on_both_databases!(
    content_matrix_follows_the_policy,
    catalog_and_admin_matrix_follows_the_policy,
    authors_cannot_reach_other_drafts_by_any_path,
);
