//! Every text field's limit is the validation's, on both databases: the longest value is stored,
//! one character more is a 422 naming the field (never a database error).

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A text of `n` characters; two bytes each unless `ascii`, so byte and character limits differ.
fn text(n: usize, ascii: bool) -> String {
    if ascii { "a".repeat(n) } else { "ä".repeat(n) }
}

fn url(n: usize) -> String {
    let prefix = "https://example.org/";
    format!("{prefix}{}", "a".repeat(n - prefix.len()))
}

fn email(n: usize) -> String {
    let domain = "@example.org";
    format!("{}{domain}", "a".repeat(n - domain.len()))
}

/// Limits as PRODUCT and the API documentation state them: (collection, field, maximum, value maker).
const LIMITS: &[(&str, &str, usize, fn(usize) -> String)] = &[
    ("/api/v1/tags", "name", 200, |n| text(n, false)),
    ("/api/v1/tags", "slug", 200, |n| text(n, true)),
    ("/api/v1/sectors", "name", 200, |n| text(n, false)),
    ("/api/v1/sectors", "description", 5000, |n| text(n, false)),
    ("/api/v1/sectors", "slug", 200, |n| text(n, true)),
    ("/api/v1/questions", "title", 200, |n| text(n, false)),
    ("/api/v1/questions", "prompt", 5000, |n| text(n, false)),
    ("/api/v1/questions", "slug", 200, |n| text(n, true)),
    ("/api/v1/blogs", "title", 200, |n| text(n, false)),
    ("/api/v1/blogs", "description", 5000, |n| text(n, false)),
    ("/api/v1/blogs", "slug", 200, |n| text(n, true)),
    ("/api/v1/editors", "display_name", 200, |n| text(n, false)),
    ("/api/v1/editors", "bio", 10_000, |n| text(n, false)),
    ("/api/v1/editors", "slug", 200, |n| text(n, true)),
    ("/api/v1/editors", "avatar_url", 2048, url),
    ("/api/v1/roles", "name", 60, |n| text(n, true)),
    ("/api/v1/roles", "description", 500, |n| text(n, false)),
    ("/api/v1/users", "email", 320, email),
    ("/api/v1/api-keys", "name", 200, |n| text(n, false)),
    ("/api/v1/essays", "title", 300, |n| text(n, false)),
    ("/api/v1/essays", "subtitle", 300, |n| text(n, false)),
    ("/api/v1/essays", "summary", 2000, |n| text(n, false)),
    ("/api/v1/essays", "byline", 300, |n| text(n, false)),
    ("/api/v1/essays", "seo_title", 300, |n| text(n, false)),
    ("/api/v1/essays", "seo_description", 500, |n| text(n, false)),
    ("/api/v1/essays", "slug", 200, |n| text(n, true)),
    ("/api/v1/essays", "featured_image_url", 2048, url),
    ("/api/v1/news-links", "url", 2048, url),
    ("/api/v1/news-links", "source_name", 200, |n| text(n, false)),
    ("/api/v1/news-links", "source_url", 2048, url),
    ("/api/v1/news-links", "commentary", 5000, |n| text(n, false)),
];

/// A valid body for `collection` (case `n` keeps unique values apart), with `field` set.
fn body(collection: &str, n: usize, field: &str, value: String) -> Value {
    let slug = format!("limit-case-{n}");
    let mut body = match collection {
        "/api/v1/tags" | "/api/v1/sectors" => json!({"name": "Limits", "slug": slug}),
        "/api/v1/questions" | "/api/v1/blogs" => json!({"title": "Limits", "slug": slug}),
        "/api/v1/editors" => json!({"display_name": "Limits", "team_role": "editor", "slug": slug}),
        "/api/v1/roles" => json!({"name": format!("limits_{n}")}),
        "/api/v1/users" => json!({"email": format!("limits-{n}@example.org"), "password": "a-long-enough-password", "role": "author"}),
        "/api/v1/api-keys" => json!({"name": "Limits", "scope": "content"}),
        "/api/v1/news-links" => json!({"title": "Limits", "url": format!("https://example.org/limits-{n}"), "slug": slug}),
        _ => json!({"title": "Limits", "slug": slug}),
    };
    body[field] = Value::String(value);
    body
}

async fn the_longest_value_fits_and_one_more_is_refused(app: TestApp) {
    let admin = app.admin().await;
    for (n, (collection, field, max, make)) in LIMITS.iter().enumerate() {
        let longest = app.post_as(&admin, collection, &body(collection, 2 * n, field, make(*max))).await;
        assert_eq!(longest.status, 201, "{collection} {field} of {max}: {}", String::from_utf8_lossy(&longest.body));
        assert_eq!(longest.json()[*field].as_str().map(|s| s.chars().count()), Some(*max), "{collection} {field} is stored whole");

        let over = app.post_as(&admin, collection, &body(collection, 2 * n + 1, field, make(max + 1))).await;
        assert_eq!(over.assert_problem(422), "validation_failed", "{collection} {field} of {}", max + 1);
        assert!(over.json()["errors"][*field].is_array(), "{collection}: the problem names {field}: {}", over.json());
    }
}

crate::on_both_databases!(the_longest_value_fits_and_one_more_is_refused);
