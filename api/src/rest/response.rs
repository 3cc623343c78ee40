//! Response writing shared by every handler: JSON bodies, ETags, caching and list headers.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::error::AppError;
use crate::policy::Principal;
use crate::listing::encode_cursor;
use crate::rest::list_query::{PAGE_PARAMS, PageStyle, ParsedList};
use crate::state::AppState;

use crate::etag::of_bytes as etag_for;

/// Whether an `If-None-Match` header matches the ETag (weak comparison, as RFC 9110 asks for GET).
fn matches_if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|value| crate::etag::matches(value, etag))
}

fn cache_control(state: &AppState, principal: &Principal) -> String {
    if principal.is_public() {
        format!("public, max-age={}", state.settings.cache_max_age)
    } else {
        "private, no-store".to_owned()
    }
}

/// Answers a GET with JSON, an ETag, caching headers, and 304 when the client's copy is current.
pub fn json(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    body: &Value,
    extra_headers: Vec<(header::HeaderName, String)>,
) -> Result<HttpResponse, AppError> {
    let bytes = serde_json::to_vec(body).map_err(|e| AppError::Internal(e.into()))?;
    let etag = etag_for(&bytes);
    let not_modified = matches_if_none_match(req, &etag);
    let mut response = if not_modified { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control(state, principal)))
        .insert_header((header::VARY, "Authorization, X-Api-Key, Range"));
    for (name, value) in extra_headers {
        let value = HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.into()))?;
        response.insert_header((name, value));
    }
    if not_modified {
        return Ok(response.finish());
    }
    Ok(response.content_type("application/json").body(bytes))
}

/// Answers a list of records, each cut to the `fields=` asked for.
pub fn list_response<T: serde::Serialize>(
    req: &HttpRequest,
    state: &AppState,
    caller: &crate::auth::principal::Caller,
    parsed: &ParsedList,
    name: &str,
    page: crate::listing::Page<T>,
) -> Result<HttpResponse, AppError> {
    let items = page.items.iter().map(|i| Ok(sparse(to_value(i)?, parsed.query.fields.as_deref()))).collect::<Result<Vec<_>, AppError>>()?;
    list(req, state, &caller.principal, name, parsed, page.total, items)
}

/// Answers a list: bare JSON array with `X-Total-Count`, `Content-Range` and `Link`.
pub fn list(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    resource: &str,
    parsed: &ParsedList,
    total: u64,
    items: Vec<Value>,
) -> Result<HttpResponse, AppError> {
    let count = items.len() as u64;
    list_with_body(req, state, principal, resource, parsed, total, count, Value::Array(items))
}

/// Answers a page of `count` items in another body than a bare array, with the list headers.
#[allow(clippy::too_many_arguments)]
pub fn list_with_body(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    resource: &str,
    parsed: &ParsedList,
    total: u64,
    count: u64,
    body: Value,
) -> Result<HttpResponse, AppError> {
    let offset = parsed.query.offset;
    let content_range = if count == 0 {
        format!("{resource} */{total}")
    } else {
        format!("{resource} {offset}-{}/{total}", offset + count - 1)
    };
    let headers = vec![
        (header::HeaderName::from_static("x-total-count"), total.to_string()),
        (header::CONTENT_RANGE, content_range),
        (header::LINK, link_header(req, state, parsed, total)),
    ];
    json(req, state, principal, &body, headers)
}

/// The request URL's base (scheme, host and path) as clients should use it in links.
///
/// Without a configured public URL only the `Host` header is used: forwarded headers are
/// client-controlled and would let one request poison links that shared caches keep.
fn base_url(req: &HttpRequest, state: &AppState) -> String {
    let public = state.settings.public_url.trim_end_matches('/');
    if public.is_empty() {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(&state.settings.bind);
        format!("http://{host}{}", req.path())
    } else {
        format!("{public}{}", req.path())
    }
}

/// RFC 8288 links to the first, previous, next and last pages, in the request's own dialect.
fn link_header(req: &HttpRequest, state: &AppState, parsed: &ParsedList, total: u64) -> String {
    let base = base_url(req, state);
    let limit = parsed.query.limit;
    let offset = parsed.query.offset;
    let kept: Vec<(&str, &str)> = parsed
        .params
        .iter()
        .filter(|(k, _)| !PAGE_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url_for = |page_offset: u64| {
        let window: Vec<(&str, String)> = match parsed.style {
            PageStyle::Offset => vec![("limit", limit.to_string()), ("offset", page_offset.to_string())],
            PageStyle::Cursor => vec![("limit", limit.to_string()), ("cursor", encode_cursor(page_offset))],
            PageStyle::StartEnd => vec![("_start", page_offset.to_string()), ("_end", (page_offset + limit).to_string())],
            PageStyle::PageLimit => vec![("_page", (page_offset / limit.max(1) + 1).to_string()), ("_limit", limit.to_string())],
            PageStyle::Range => vec![("range", format!("[{},{}]", page_offset, (page_offset + limit).saturating_sub(1)))],
        };
        let mut pairs: Vec<(&str, &str)> = kept.clone();
        pairs.extend(window.iter().map(|(k, v)| (*k, v.as_str())));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("<{base}?{query}>")
    };
    if limit == 0 {
        // A count-only request has no pages to point to.
        return format!("{}; rel=\"first\"", url_for(0));
    }
    let last_offset = if total == 0 { 0 } else { (total - 1) / limit * limit };
    let mut links = vec![format!("{}; rel=\"first\"", url_for(0))];
    if offset > 0 {
        // Past the end, the previous page is the last one.
        let prev = if offset > last_offset { last_offset } else { offset.saturating_sub(limit) };
        links.push(format!("{}; rel=\"prev\"", url_for(prev)));
    }
    if offset + limit < total {
        links.push(format!("{}; rel=\"next\"", url_for(offset + limit)));
    }
    links.push(format!("{}; rel=\"last\"", url_for(last_offset)));
    links.join(", ")
}

/// Keeps only the requested fields (and `id`) of a JSON object.
pub fn sparse(mut value: Value, fields: Option<&[&str]>) -> Value {
    if let (Some(fields), Value::Object(map)) = (fields, &mut value) {
        map.retain(|key, _| key == "id" || fields.contains(&key.as_str()));
    }
    value
}

/// Serializes a record to a JSON value.
pub fn to_value(record: &impl serde::Serialize) -> Result<Value, AppError> {
    serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))
}

/// The `Range` request header, when present and readable.
pub fn range_header(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::RANGE).and_then(|v| v.to_str().ok())
}

/// Answers a write with the stored record (201 with `Location` when `created_at` names a path).
pub fn written(status: actix_web::http::StatusCode, record: &impl serde::Serialize, location: Option<String>) -> Result<HttpResponse, AppError> {
    let bytes = serde_json::to_vec(record).map_err(|e| AppError::Internal(e.into()))?;
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::ETAG, etag_for(&bytes)));
    if let Some(location) = location {
        response.insert_header((header::LOCATION, location));
    }
    Ok(response.content_type("application/json").body(bytes))
}
