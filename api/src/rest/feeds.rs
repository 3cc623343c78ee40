//! Feeds over HTTP (`/feeds/…`): RSS 2.0, Atom 1.0 and JSON Feed 1.1 for every listing, with
//! validators from the change log so that every node answers a reader's revalidation alike.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::AppError;
use crate::services::changes;
use crate::services::feeds::{self, Feed, FeedEntry, FeedScope};
use crate::state::AppState;

/// The three formats, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    fn parse(extension: &str) -> Option<Format> {
        match extension {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// `name.ext` → the name and the format.
fn split_file(file: &str) -> Option<(&str, Format)> {
    let (name, extension) = file.rsplit_once('.')?;
    Some((name, Format::parse(extension)?))
}

/// The one query parameter a feed takes.
fn limit(query: &str) -> Result<u64, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| AppError::bad_request("invalid_parameter", "the query is not valid"))?;
    let mut limit = feeds::DEFAULT_LIMIT;
    for (key, value) in pairs {
        if key != "limit" {
            return Err(AppError::bad_request("invalid_parameter", format!("unknown parameter `{key}`: a feed takes only `limit`")));
        }
        limit = value
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=feeds::MAX_LIMIT).contains(n))
            .ok_or_else(|| AppError::bad_request("invalid_parameter", format!("limit must be between 1 and {}", feeds::MAX_LIMIT)))?;
    }
    Ok(limit)
}

/// The site's base URL: the configured public URL, or this server as the `Host` names it.
fn base_url(req: &HttpRequest, state: &AppState) -> String {
    let public = state.settings.public_url.trim_end_matches('/');
    if public.is_empty() {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(&state.settings.bind);
        format!("http://{host}")
    } else {
        public.to_owned()
    }
}

/// A listing's feed: `/feeds/{all|essays|analyses|blog-posts|news-links}.{rss|atom|json}`.
pub async fn listing_feed(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (name, format) = split_file(&path).ok_or(AppError::NotFound { resource: "feed" })?;
    let scope = FeedScope::parse(name, None).ok_or(AppError::NotFound { resource: "feed" })?;
    answer(&req, &state, &scope, format).await
}

/// A related record's feed: `/feeds/{sectors|tags|editors|blogs|questions}/{slug}.{rss|atom|json}`.
pub async fn related_feed(req: HttpRequest, state: web::Data<AppState>, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (collection, file) = path.into_inner();
    let (slug, format) = split_file(&file).ok_or(AppError::NotFound { resource: "feed" })?;
    let scope = FeedScope::parse(&collection, Some(slug)).ok_or(AppError::NotFound { resource: "feed" })?;
    answer(&req, &state, &scope, format).await
}

/// Answers 304 from the change log's head alone when the reader is current; else the feed.
async fn answer(req: &HttpRequest, state: &AppState, scope: &FeedScope, format: Format) -> Result<HttpResponse, AppError> {
    let limit = limit(req.query_string())?;
    let base = base_url(req, state);
    let (position, changed_at) = changes::head(&state.db).await?;
    // The same position means the same items, so the tag is exact without building the feed;
    // the URL (and the base it links to) tells feeds apart.
    let key = format!("{base}{}?{}", req.path(), req.query_string());
    let etag = format!("\"feed-{position}-{:016x}\"", xxhash_rust::xxh3::xxh3_64(key.as_bytes()));
    let last_modified = changed_at.map(|at| at.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
    let headers = req.headers();
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    // RFC 9110 §13.1.3: If-Modified-Since only counts without If-None-Match.
    let current = match if_none_match {
        Some(tags) => crate::etag::matches(tags, &etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|since| DateTime::parse_from_rfc2822(since).ok())
            .zip(changed_at)
            .is_some_and(|(since, changed)| changed.timestamp() <= since.timestamp()),
    };
    let mut response = if current { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={}", state.settings.cache_max_age)))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(last_modified) = last_modified {
        response.insert_header((header::LAST_MODIFIED, last_modified));
    }
    if current {
        return Ok(response.finish());
    }
    let feed = feeds::feed(&state.db, scope, limit).await?;
    let self_url = format!("{base}{}", req.path());
    response.insert_header((header::LINK, format!("<{base}{}>; rel=\"alternate\"; type=\"application/json\", <{self_url}>; rel=\"self\"", feed.list_path)));
    let body = match format {
        Format::Rss => xml_chars(rss(&feed, &base, &self_url)),
        Format::Atom => xml_chars(atom(&feed, &base, &self_url)),
        Format::Json => json_feed(&feed, &base, &self_url)?,
    };
    Ok(response.content_type(format.media_type()).body(body))
}

/// The document without the characters XML 1.0 does not allow (control characters other than
/// tab and line breaks, U+FFFE, U+FFFF), which names and titles may hold: one of them makes a
/// reader refuse the whole feed. Markup only uses allowed characters, so nothing else changes.
fn xml_chars(document: String) -> String {
    if document.chars().all(is_xml_char) {
        return document;
    }
    document.chars().filter(|c| is_xml_char(*c)).collect()
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (!c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Where an entry links: the story for a news link, else the item's page on the site.
fn link(entry: &FeedEntry, base: &str) -> String {
    entry.story_url.clone().unwrap_or_else(|| format!("{base}{}", entry.path))
}

/// The media type of an image, from its file name (readers need one for enclosures).
fn image_type(url: &str) -> &'static str {
    let lower = url.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or_default();
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        Some("avif") => "image/avif",
        _ => "image/jpeg",
    }
}

fn rss(feed: &Feed, base: &str, self_url: &str) -> String {
    use rss::extension::atom::AtomExtension;
    use rss::extension::dublincore::DublinCoreExtension;
    let items = feed
        .entries
        .iter()
        .map(|entry| rss::Item {
            title: Some(entry.title.clone()),
            link: Some(link(entry, base)),
            description: Some(entry.summary.clone()),
            content: Some(entry.content_html.clone()),
            guid: Some(rss::Guid { value: format!("urn:uuid:{}", entry.id), permalink: false }),
            pub_date: Some(entry.published.to_rfc2822()),
            categories: entry.categories.iter().map(|name| rss::Category { name: name.clone(), domain: None }).collect(),
            enclosure: entry.image_url.as_ref().map(|url| rss::Enclosure { url: url.clone(), length: "0".into(), mime_type: image_type(url).into() }),
            dublin_core_ext: (!entry.authors.is_empty()).then(|| DublinCoreExtension { creators: entry.authors.clone(), ..Default::default() }),
            ..Default::default()
        })
        .collect();
    let namespaces = BTreeMap::from([
        ("content".to_owned(), "http://purl.org/rss/1.0/modules/content/".to_owned()),
        ("dc".to_owned(), "http://purl.org/dc/elements/1.1/".to_owned()),
    ]);
    let channel = rss::Channel {
        title: feed.title.clone(),
        link: format!("{base}/"),
        description: if feed.description.is_empty() { feed.title.clone() } else { feed.description.clone() },
        last_build_date: Some(feed.updated.to_rfc2822()),
        generator: Some("Organizing Upgrade content API".into()),
        atom_ext: Some(AtomExtension { links: vec![atom_syndication::Link { href: self_url.to_owned(), rel: "self".into(), mime_type: Some("application/rss+xml".into()), ..Default::default() }] }),
        ttl: Some("60".into()),
        namespaces,
        items,
        ..Default::default()
    };
    channel.to_string()
}

fn atom(feed: &Feed, base: &str, self_url: &str) -> String {
    use atom_syndication::{Category, Content, Entry, Link, Person, Text};
    let fixed = |at: DateTime<Utc>| at.fixed_offset();
    let entries = feed
        .entries
        .iter()
        .map(|entry| {
            let mut links = vec![Link { href: link(entry, base), rel: "alternate".into(), mime_type: Some("text/html".into()), ..Default::default() }];
            if let Some(url) = &entry.image_url {
                links.push(Link { href: url.clone(), rel: "enclosure".into(), mime_type: Some(image_type(url).into()), ..Default::default() });
            }
            Entry {
                id: format!("urn:uuid:{}", entry.id),
                title: Text::plain(entry.title.clone()),
                updated: fixed(entry.updated),
                published: Some(fixed(entry.published)),
                authors: entry.authors.iter().map(|name| Person { name: name.clone(), ..Default::default() }).collect(),
                categories: entry.categories.iter().map(|name| Category { term: name.clone(), label: Some(name.clone()), ..Default::default() }).collect(),
                links,
                summary: Some(Text::plain(entry.summary.clone())),
                content: Some(Content { value: Some(entry.content_html.clone()), content_type: Some("html".into()), ..Default::default() }),
                ..Default::default()
            }
        })
        .collect();
    let atom = atom_syndication::Feed {
        id: self_url.to_owned(),
        title: Text::plain(feed.title.clone()),
        subtitle: (!feed.description.is_empty()).then(|| Text::plain(feed.description.clone())),
        updated: fixed(feed.updated),
        authors: vec![Person { name: "Organizing Upgrade".into(), ..Default::default() }],
        links: vec![
            Link { href: self_url.to_owned(), rel: "self".into(), mime_type: Some("application/atom+xml".into()), ..Default::default() },
            Link { href: format!("{base}/"), rel: "alternate".into(), mime_type: Some("text/html".into()), ..Default::default() },
        ],
        entries,
        ..Default::default()
    };
    atom.to_string()
}

/// JSON Feed 1.1 (jsonfeed.org/version/1.1).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: String,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'static str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_url: Option<&'a str>,
    title: &'a str,
    content_html: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

fn json_feed(feed: &Feed, base: &str, self_url: &str) -> Result<String, AppError> {
    let rfc3339 = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let document = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: format!("{base}/"),
        feed_url: self_url,
        description: &feed.description,
        language: "en",
        items: feed
            .entries
            .iter()
            .map(|entry| JsonItem {
                id: format!("urn:uuid:{}", entry.id),
                url: format!("{base}{}", entry.path),
                external_url: entry.story_url.as_deref(),
                title: &entry.title,
                content_html: &entry.content_html,
                summary: &entry.summary,
                image: entry.image_url.as_deref(),
                date_published: rfc3339(entry.published),
                date_modified: rfc3339(entry.updated),
                authors: entry.authors.iter().map(|name| JsonAuthor { name }).collect(),
                tags: &entry.categories,
            })
            .collect(),
    };
    serde_json::to_string(&document).map_err(|e| AppError::Internal(e.into()))
}

/// Registers the feed routes (outside `/api/v1`: feed readers know them by these URLs).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::rest::read_only("/feeds/{file}", listing_feed)).service(crate::rest::read_only("/feeds/{scope}/{file}", related_feed));
}
