//! The GraphiQL page for browsers that open `/graphql`, with its scripts and styles embedded in
//! the binary (vendored production builds, see `api/assets/graphiql/README.md`), so it works
//! offline and never asks another host for anything.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// Where the page's files are served.
pub const ASSETS_PATH: &str = "/graphql/assets";

/// The page itself; it names its assets under [`ASSETS_PATH`].
const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// Each asset: file name, media type, bytes. Names carry their package's version, so a browser
/// may keep them for a year.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("graphiql-3.9.0.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql-3.9.0.min.js")),
    ("graphiql-3.9.0.min.css", "text/css; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql-3.9.0.min.css")),
    ("react-18.3.1.production.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/react-18.3.1.production.min.js")),
    ("react-dom-18.3.1.production.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/react-dom-18.3.1.production.min.js")),
    ("start.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/start.js")),
    ("page.css", "text/css; charset=utf-8", include_bytes!("../../assets/graphiql/page.css")),
];

/// Our own files change without a version in their names, so browsers revalidate them.
fn cache_control(name: &str) -> &'static str {
    if matches!(name, "start.js" | "page.css") { "public, max-age=300" } else { "public, max-age=31536000, immutable" }
}

/// Scripts only from this server; the stylesheet inlines its fonts and icons as `data:` URLs,
/// and CodeMirror sets inline styles.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /graphql` from a browser.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

/// `GET /graphql/assets/{name}`.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(file, _, _)| *file == name.as_str()) {
        Some((file, media_type, bytes)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, cache_control(file)))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .content_type(*media_type)
            .body(*bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_served_assets() {
        let named: Vec<&str> = PAGE
            .split(ASSETS_PATH)
            .skip(1)
            .filter_map(|rest| rest.strip_prefix('/')?.split('"').next())
            .collect();
        assert_eq!(named.len(), ASSETS.len(), "every asset is used by the page: {named:?}");
        for name in named {
            assert!(ASSETS.iter().any(|(file, _, _)| *file == name), "{name} is not served");
        }
        assert!(!PAGE.contains("://"), "the page loads nothing from another host");
    }
}
