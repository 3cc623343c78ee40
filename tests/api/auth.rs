//! Sign-in, token rotation, revocation and the attacks a token API must refuse.

use api::auth::tokens::TokenKeys;
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

async fn refresh(app: &TestApp, token: &str) -> crate::helpers::Reply {
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(&json!({"refresh_token": token}).to_string()), &[]).await
}

async fn sessions_rotate_and_end(app: TestApp) {
    let pair = app.login_pair(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let access = pair["access_token"].as_str().unwrap();
    let me = app.get_as(access, "/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], ADMIN_EMAIL);
    assert_eq!(me.json()["role"], "admin");
    assert!(me.header("cache-control").unwrap().contains("no-store"));

    // Rotation: the new refresh token works once; the old one is dead.
    let first = pair["refresh_token"].as_str().unwrap();
    let rotated = refresh(&app, first).await;
    assert_eq!(rotated.status, 200);
    let second = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
    let new_access = rotated.json()["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(app.get_as(&new_access, "/api/v1/me").await.status, 200);

    // Reusing a rotated token revokes the whole family: both tokens and their access tokens.
    assert_eq!(refresh(&app, first).await.assert_problem(401), "unauthenticated");
    assert_eq!(refresh(&app, &second).await.status, 401, "the family is revoked");
    assert_eq!(app.get_as(&new_access, "/api/v1/me").await.status, 401);
    assert_eq!(app.get_as(access, "/api/v1/me").await.status, 401);

    // Logout ends one session; logout-all ends every one.
    let a = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let b = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(app.send(Method::POST, "/api/v1/auth/logout", Some(&a), None, &[]).await.status, 204);
    assert_eq!(app.get_as(&a, "/api/v1/me").await.status, 401);
    assert_eq!(app.get_as(&b, "/api/v1/me").await.status, 200);
    let c = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(app.send(Method::POST, "/api/v1/auth/logout-all", Some(&c), None, &[]).await.status, 204);
    assert_eq!(app.get_as(&b, "/api/v1/me").await.status, 401);
    assert_eq!(app.get_as(&c, "/api/v1/me").await.status, 401);
    assert_eq!(refresh(&app, "rt_not-a-token").await.status, 401);
    assert_eq!(app.send(Method::POST, "/api/v1/auth/logout", None, None, &[]).await.status, 401);
}

async fn login_gives_nothing_away_and_is_throttled(app: TestApp) {
    let attempt = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.send(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": email, "password": password}).to_string()), &[]).await
        }
    };
    let unknown = attempt("nobody@organizingupgrade.test", "whatever-password").await;
    let wrong = attempt(ADMIN_EMAIL, "wrong-password-here").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.body, wrong.body, "the same answer for an unknown email and a wrong password");
    assert_eq!(unknown.json()["code"], "invalid_credentials");
    // Email matching ignores case.
    assert_eq!(app.login_pair(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await["token_type"], "Bearer");
    for _ in 0..12 {
        attempt(ADMIN_EMAIL, "wrong-password-here").await;
    }
    let throttled = attempt(ADMIN_EMAIL, "wrong-password-here").await;
    assert_eq!(throttled.assert_problem(429), "too_many_requests");
    assert!(throttled.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Throttled even with the right password, until the window passes.
    assert_eq!(attempt(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 429);
    let malformed = app.send(Method::POST, "/api/v1/auth/login", None, Some("{\"email\": 5}"), &[]).await;
    assert_eq!(malformed.status, 422);
    let not_json = app.send(Method::POST, "/api/v1/auth/login", None, Some("{"), &[]).await;
    assert_eq!(not_json.assert_problem(400), "malformed_json");
}

async fn forged_and_stale_tokens_are_refused(app: TestApp) {
    app.seed_demo().await;
    let pair = app.login_pair(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let access = pair["access_token"].as_str().unwrap();
    let claims: serde_json::Value = {
        use base64::Engine;
        let payload = access.split('.').nth(1).unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    let user: Uuid = claims["sub"].as_str().unwrap().parse().unwrap();
    let family: Uuid = claims["sid"].as_str().unwrap().parse().unwrap();
    let secret = std::fs::read_to_string(app.dir.path().join("jwt_secret")).expect("a generated secret in the data dir");
    let settings = api::settings::Settings::default();
    let keys = |iss: &str, aud: &str| TokenKeys::new(secret.trim().as_bytes(), iss, aud, Duration::minutes(15));
    let good = keys(&settings.jwt_issuer, &settings.jwt_audience);
    assert_eq!(app.get_as(&good.issue(user, family, Utc::now()).unwrap(), "/api/v1/me").await.status, 200, "a well-made token works");

    use base64::Engine;
    let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let parts: Vec<&str> = access.split('.').collect();
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!(Uuid::now_v7().to_string());
    let forged = [
        ("alg none", format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), parts[1])),
        ("other secret", TokenKeys::new(b"another-secret-of-thirty-two-bytes!!", &settings.jwt_issuer, &settings.jwt_audience, Duration::minutes(15)).issue(user, family, Utc::now()).unwrap()),
        ("tampered payload", format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2])),
        ("expired", good.issue(user, family, Utc::now() - Duration::hours(2)).unwrap()),
        ("not yet valid", good.issue(user, family, Utc::now() + Duration::hours(2)).unwrap()),
        ("wrong issuer", keys("someone-else", &settings.jwt_audience).issue(user, family, Utc::now()).unwrap()),
        ("wrong audience", keys(&settings.jwt_issuer, "another-api").issue(user, family, Utc::now()).unwrap()),
        ("unknown session", good.issue(user, Uuid::now_v7(), Utc::now()).unwrap()),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (attack, token) in &forged {
        let reply = app.get_as(token, "/api/v1/me").await;
        assert_eq!(reply.assert_problem(401), "unauthenticated", "{attack}");
        assert!(reply.header("www-authenticate").unwrap().starts_with("Bearer"), "{attack}");
        // Bad credentials are refused on public reads too: the client must know.
        assert_eq!(app.get_as(token, "/api/v1/essays").await.status, 401, "{attack} on a public read");
    }
    let basic = app.send(Method::GET, "/api/v1/me", None, None, &[("Authorization", "Basic YTpi")]).await;
    assert_eq!(basic.status, 401);
}

async fn account_changes_apply_on_the_next_request(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let (author_id, author) = app.user("author", &[], None).await;
    assert_eq!(app.get_as(&author, "/api/v1/me").await.json()["role"], "author");
    let draft = json!({"title": "Notes on a tenant union"});
    assert_eq!(app.post_as(&author, "/api/v1/essays", &draft).await.status, 201);
    assert_eq!(app.post_as(&author, "/api/v1/tags", &json!({"name": "Rent"})).await.status, 403);

    // A role change applies to the very next request with the same token.
    let user = app.get_as(&admin, &format!("/api/v1/users/{author_id}")).await.json();
    let promote = json!({"email": user["email"], "role": "editor", "sector_ids": [], "disabled": false});
    let reply = app.send(Method::PUT, &format!("/api/v1/users/{author_id}"), Some(&admin), Some(&promote.to_string()), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(app.get_as(&author, "/api/v1/me").await.json()["role"], "editor");
    assert_eq!(app.post_as(&author, "/api/v1/tags", &json!({"name": "Rent"})).await.status, 201);

    // Disabling takes effect at once too.
    let disable = json!({"email": user["email"], "role": "editor", "disabled": true});
    assert_eq!(app.send(Method::PUT, &format!("/api/v1/users/{author_id}"), Some(&admin), Some(&disable.to_string()), &[]).await.status, 200);
    assert_eq!(app.get_as(&author, "/api/v1/me").await.status, 401);
    let login = app
        .send(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": user["email"], "password": "a-long-enough-password"}).to_string()), &[])
        .await;
    assert_eq!(login.json()["code"], "invalid_credentials", "disabled accounts cannot sign in");
}

async fn password_change_ends_other_sessions(app: TestApp) {
    let (_, first) = app.user("editor", &[], None).await;
    let email = app.get_as(&first, "/api/v1/me").await.json()["email"].as_str().unwrap().to_owned();
    let second = app.login(&email, "a-long-enough-password").await;
    let wrong = json!({"current_password": "not-the-password", "new_password": "another-long-password"});
    let reply = app.send(Method::PUT, "/api/v1/me/password", Some(&first), Some(&wrong.to_string()), &[]).await;
    assert_eq!(reply.status, 422);
    assert!(reply.json()["errors"]["current_password"].is_array());
    let weak = json!({"current_password": "a-long-enough-password", "new_password": "short"});
    assert_eq!(app.send(Method::PUT, "/api/v1/me/password", Some(&first), Some(&weak.to_string()), &[]).await.status, 422);
    let change = json!({"current_password": "a-long-enough-password", "new_password": "another-long-password"});
    assert_eq!(app.send(Method::PUT, "/api/v1/me/password", Some(&first), Some(&change.to_string()), &[]).await.status, 204);
    assert_eq!(app.get_as(&first, "/api/v1/me").await.status, 200, "the session that changed it goes on");
    assert_eq!(app.get_as(&second, "/api/v1/me").await.status, 401, "every other session ends");
    let fresh = app.login(&email, "another-long-password").await;
    // Guessing the current password is throttled like logins.
    let guess = json!({"current_password": "a-wrong-guess-here", "new_password": "yet-another-long-password"}).to_string();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.send(Method::PUT, "/api/v1/me/password", Some(&fresh), Some(&guess), &[]).await.status);
    }
    assert_eq!(statuses.first(), Some(&422));
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

async fn api_keys_are_shown_once_scoped_and_revocable(app: TestApp) {
    app.seed_demo().await;
    let admin = app.admin().await;
    let create = |scope: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move { app.post_as(&admin, "/api/v1/api-keys", &json!({"name": format!("{scope} site"), "scope": scope})).await }
    };
    let content = create("content").await;
    assert_eq!(content.status, 201);
    let content_secret = content.json()["secret"].as_str().unwrap().to_owned();
    let preview = create("preview").await.json();
    let preview_secret = preview["secret"].as_str().unwrap().to_owned();
    let listed = app.get_as(&admin, "/api/v1/api-keys").await;
    assert_eq!(listed.total(), 2);
    assert!(!String::from_utf8_lossy(&listed.body).contains(&content_secret), "secrets are shown once");
    assert!(listed.json()[0]["secret"].is_null());

    let drafts = app.get("/api/v1/essays?status=draft").await.total();
    assert_eq!(drafts, 0);
    let by_header = app.get_with("/api/v1/essays?status=draft", &[("X-Api-Key", &content_secret)]).await;
    assert_eq!((by_header.status, by_header.total()), (200, 0), "a content key reads published only");
    let preview_drafts = app.get_with("/api/v1/essays?status=draft", &[("X-Api-Key", &preview_secret)]).await;
    assert!(preview_drafts.total() > 0, "a preview key reads drafts");
    let bearer = app.get_as(&preview_secret, "/api/v1/essays?status=draft").await;
    assert_eq!(bearer.ids(), preview_drafts.ids(), "keys work as bearer tokens too");
    assert_eq!(bearer.header("cache-control").unwrap(), "private, no-store");
    // Keys are read-only.
    assert_eq!(app.post_as(&preview_secret, "/api/v1/essays", &json!({"title": "x"})).await.status, 403);
    let used = app.get_as(&admin, &format!("/api/v1/api-keys/{}", preview["id"].as_str().unwrap())).await.json();
    assert!(used["last_used_at"].is_string());

    let revoked = app.send(Method::DELETE, &format!("/api/v1/api-keys/{}", preview["id"].as_str().unwrap()), Some(&admin), None, &[]).await;
    assert_eq!(revoked.status, 200);
    assert!(revoked.json()["revoked_at"].is_string());
    assert_eq!(app.get_with("/api/v1/essays", &[("X-Api-Key", &preview_secret)]).await.status, 401);
    assert_eq!(app.get_with("/api/v1/essays", &[("X-Api-Key", "ou_made_up")]).await.status, 401);
    let (_, editor) = app.user("editor", &[], None).await;
    assert_eq!(create_as(&app, &editor).await, 403, "only admins manage keys");
}

async fn create_as(app: &TestApp, token: &str) -> u16 {
    app.post_as(token, "/api/v1/api-keys", &json!({"name": "x", "scope": "content"})).await.status
}

crate::on_both_databases!(
    sessions_rotate_and_end,
    login_gives_nothing_away_and_is_throttled,
    forged_and_stale_tokens_are_refused,
    account_changes_apply_on_the_next_request,
    password_change_ends_other_sessions,
    api_keys_are_shown_once_scoped_and_revocable,
);
