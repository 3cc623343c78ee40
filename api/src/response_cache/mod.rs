//! The response cache: answers to public reads (anonymous callers and content keys), kept in
//! memory and served while the change log stands where it stood when they were made.
//!
//! Every write that can change what a public reader sees appends to the change log in its own
//! transaction, so "the log's position is unchanged" means "this answer is still the answer". A
//! node reads the position for every request (one indexed statement, shared by the requests that
//! wait for it at the same time: [`crate::services::positions`]), which makes invalidation exact on every node:
//! after a write is acknowledged, no node serves an answer made before it. A hit skips the
//! handler, its queries and the serialization; a matching `If-None-Match` is a `304` on the spot.
//! Only `200` answers that their handler marked `Cache-Control: public` are kept, so what may be
//! cached stays the handlers' decision, and only from a key's second request on, so reads made
//! once cost nothing extra; memory is bounded by `response_cache_bytes`, least recently used
//! answers leaving first.

use std::sync::Mutex;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, HttpResponse};
use lru::LruCache;

use crate::auth::principal::Caller;
use crate::state::AppState;

/// Headers of a request that change its answer, besides the URL.
const VARYING: [HeaderName; 3] = [header::RANGE, header::ACCEPT, header::HOST];

/// Bookkeeping per entry beyond its key and body (the headers, the map's own slot).
const ENTRY_OVERHEAD: usize = 512;

/// One kept answer.
struct Entry {
    /// The change log's position the answer was made at.
    position: i64,
    headers: Vec<(HeaderName, HeaderValue)>,
    etag: String,
    body: Bytes,
}

impl Entry {
    fn size(&self, key: &str) -> usize {
        key.len() + self.body.len() + ENTRY_OVERHEAD
    }
}

/// The cache of one process.
pub struct ResponseCache {
    limit: usize,
    inner: Mutex<Kept>,
}

struct Kept {
    entries: LruCache<String, Entry>,
    bytes: usize,
    /// Digests of keys whose answer was public once: an answer is kept from its second request
    /// on, so reads asked for once (and answers that are never public, such as `/metrics`) cost
    /// no position read and take no memory.
    seen: LruCache<u64, ()>,
}

/// How many keys `Kept::seen` remembers.
const SEEN_KEYS: usize = 16 * 1024;

/// What to do with a request.
enum Lookup {
    /// Serve this answer.
    Fresh(Vec<(HeaderName, HeaderValue)>, String, Bytes),
    /// Make the answer and keep it, as of this position of the change log.
    Make(i64),
    /// Make the answer; remember the key if the answer turns out public.
    FirstSight,
}

/// What a lookup found, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheUsage {
    pub entries: usize,
    pub bytes: usize,
}

impl ResponseCache {
    /// A cache holding at most `limit` bytes of answers; `0` keeps nothing.
    pub fn new(limit: usize) -> ResponseCache {
        let seen = LruCache::new(std::num::NonZeroUsize::new(SEEN_KEYS).unwrap_or(std::num::NonZeroUsize::MIN));
        let inner = Mutex::new(Kept { entries: LruCache::unbounded(), bytes: 0, seen });
        ResponseCache { limit, inner }
    }

    fn enabled(&self) -> bool {
        self.limit > 0
    }

    /// How many answers and bytes are kept.
    pub fn usage(&self) -> CacheUsage {
        self.inner.lock().map(|kept| CacheUsage { entries: kept.entries.len(), bytes: kept.bytes }).unwrap_or_default()
    }

    /// Whether `key` has an answer or was asked for before (no statement either way).
    fn known(&self, key: &str) -> bool {
        self.inner.lock().is_ok_and(|kept| kept.entries.contains(key) || kept.seen.contains(&digest(key)))
    }

    /// The answer kept for `key` if it was made at `position`; an older one is dropped.
    fn fresh(&self, key: &str, position: i64) -> Option<(Vec<(HeaderName, HeaderValue)>, String, Bytes)> {
        let mut kept = self.inner.lock().ok()?;
        let current = kept.entries.get(key).map(|entry| entry.position == position)?;
        if current {
            return kept.entries.peek(key).map(|e| (e.headers.clone(), e.etag.clone(), e.body.clone()));
        }
        if let Some(stale) = kept.entries.pop(key) {
            kept.bytes -= stale.size(key);
        }
        None
    }

    fn remember(&self, key: &str) {
        if let Ok(mut kept) = self.inner.lock() {
            kept.seen.put(digest(key), ());
        }
    }

    fn keep(&self, key: String, entry: Entry) {
        let size = entry.size(&key);
        if size > self.limit {
            return;
        }
        let Ok(mut kept) = self.inner.lock() else { return };
        if let Some(replaced) = kept.entries.pop(&key) {
            kept.bytes -= replaced.size(&key);
        }
        while kept.bytes + size > self.limit {
            match kept.entries.pop_lru() {
                Some((old_key, old)) => kept.bytes -= old.size(&old_key),
                None => break,
            }
        }
        kept.bytes += size;
        kept.entries.put(key, entry);
    }
}

fn digest(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

/// The cache key: the URL and the headers that change the answer.
fn key_of(req: &ServiceRequest) -> String {
    let mut key = String::with_capacity(128);
    key.push_str(req.path());
    key.push('?');
    key.push_str(req.query_string());
    for name in &VARYING {
        key.push('\n');
        if let Some(value) = req.headers().get(name) {
            key.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
    }
    key
}

/// The client's copy, as its conditional headers describe it.
#[derive(Default)]
struct ClientCopy {
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
}

impl ClientCopy {
    /// Takes the conditional headers off the request, so the handler answers in full.
    fn take(headers: &mut HeaderMap) -> ClientCopy {
        let mut take = |name| headers.remove(name).next().and_then(|v| v.to_str().ok().map(str::to_owned));
        ClientCopy { if_none_match: take(header::IF_NONE_MATCH), if_modified_since: take(header::IF_MODIFIED_SINCE) }
    }

    fn read(headers: &HeaderMap) -> ClientCopy {
        let read = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        ClientCopy { if_none_match: read(header::IF_NONE_MATCH), if_modified_since: read(header::IF_MODIFIED_SINCE) }
    }

    /// Whether the client holds this answer already (RFC 9110 §13.2.2: `If-None-Match` first,
    /// `If-Modified-Since` only without it).
    fn holds(&self, etag: &str, headers: &[(HeaderName, HeaderValue)]) -> bool {
        if let Some(value) = &self.if_none_match {
            return crate::etag::matches(value, etag);
        }
        let last_modified = headers.iter().find(|(name, _)| name == header::LAST_MODIFIED).and_then(|(_, v)| v.to_str().ok());
        match (self.if_modified_since.as_deref().map(str::parse::<header::HttpDate>), last_modified.map(str::parse::<header::HttpDate>)) {
            (Some(Ok(since)), Some(Ok(modified))) => std::time::SystemTime::from(modified) <= std::time::SystemTime::from(since),
            _ => false,
        }
    }
}

/// Whether the handler marked its answer as one anybody may be given.
fn marked_public(headers: &HeaderMap) -> bool {
    headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|d| d.trim() == "public"))
}

/// The kept answer as a response: `304` when the client holds it already.
fn answer(headers: &[(HeaderName, HeaderValue)], etag: &str, body: Bytes, client: &ClientCopy) -> HttpResponse {
    let not_modified = client.holds(etag, headers);
    let mut response = HttpResponse::build(if not_modified { StatusCode::NOT_MODIFIED } else { StatusCode::OK });
    for (name, value) in headers {
        response.insert_header((name.clone(), value.clone()));
    }
    if not_modified {
        return response.finish();
    }
    response.body(body)
}

/// Middleware: serves public reads from the cache, and keeps the answers it had to make.
pub async fn serve(mut req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<Data<AppState>>().cloned().filter(|s| s.response_cache.enabled() && req.method() == Method::GET) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Credentials are resolved once here and handed to the handler through the extensions; a
    // caller whose credentials fail is left to the handler's own 401.
    let Ok(caller) = Caller::resolve(req.request()).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let public = caller.principal.is_public();
    req.extensions_mut().insert(caller);
    if !public {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let cache = &state.response_cache;
    let key = key_of(&req);
    let lookup = match cache.known(&key) {
        false => Lookup::FirstSight,
        true => match state.positions.read(&state.db).await {
            Ok(position) => match cache.fresh(&key, position) {
                Some((headers, etag, body)) => Lookup::Fresh(headers, etag, body),
                None => Lookup::Make(position),
            },
            Err(_) => Lookup::FirstSight,
        },
    };
    let position = match lookup {
        Lookup::Fresh(headers, etag, body) => {
            crate::metrics::cache_hit("response");
            let client = ClientCopy::read(req.headers());
            return Ok(req.into_response(answer(&headers, &etag, body, &client)));
        }
        Lookup::FirstSight => {
            let response = next.call(req).await?;
            // A `304` counts too: clients that always revalidate ask for answers worth keeping.
            let answered = matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED);
            if answered && marked_public(response.headers()) {
                cache.remember(&key);
            }
            return Ok(response.map_into_boxed_body());
        }
        Lookup::Make(position) => position,
    };
    // The handler answers in full, so there is a body to keep; the 304 is decided here.
    let client = ClientCopy::take(req.headers_mut());
    let response = next.call(req).await?;
    if response.status() != StatusCode::OK || !marked_public(response.headers()) {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let mut headers: Vec<(HeaderName, HeaderValue)> = response.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect();
    let Ok(body) = actix_web::body::to_bytes(response.into_body()).await else {
        return Err(actix_web::error::ErrorInternalServerError("the answer's body could not be read"));
    };
    let etag = match headers.iter().find(|(name, _)| name == header::ETAG).and_then(|(_, v)| v.to_str().ok()) {
        Some(etag) => etag.to_owned(),
        None => {
            let etag = crate::etag::of_bytes(&body);
            if let Ok(value) = HeaderValue::from_str(&etag) {
                headers.push((header::ETAG, value));
            }
            etag
        }
    };
    let answered = answer(&headers, &etag, body.clone(), &client);
    cache.keep(key, Entry { position, headers, etag, body });
    Ok(ServiceResponse::new(request, answered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(position: i64, bytes: usize) -> Entry {
        Entry { position, headers: Vec::new(), etag: "\"e\"".into(), body: Bytes::from(vec![b'x'; bytes]) }
    }

    #[test]
    fn an_answer_is_fresh_only_at_its_position() {
        let cache = ResponseCache::new(1 << 20);
        cache.keep("a".into(), entry(7, 10));
        assert!(cache.fresh("a", 7).is_some());
        assert!(cache.fresh("a", 8).is_none());
        // The stale answer is gone, with its bytes.
        assert!(cache.fresh("a", 7).is_none());
        assert_eq!(cache.usage().bytes, 0);
    }

    #[test]
    fn keys_are_known_once_answered_publicly() {
        let cache = ResponseCache::new(1 << 20);
        assert!(!cache.known("a"));
        cache.remember("a");
        assert!(cache.known("a") && !cache.known("b"));
    }

    #[test]
    fn memory_stays_within_the_limit_least_recently_used_first() {
        let size = entry(1, 1000).size("k0");
        let cache = ResponseCache::new(size * 3);
        for i in 0..3 {
            cache.keep(format!("k{i}"), entry(1, 1000));
        }
        assert!(cache.fresh("k0", 1).is_some());
        cache.keep("k3".into(), entry(1, 1000));
        assert_eq!(cache.usage().entries, 3);
        assert!(cache.usage().bytes <= size * 3);
        assert!(cache.fresh("k1", 1).is_none(), "the least recently used answer leaves");
        assert!(cache.fresh("k0", 1).is_some());
        // An answer larger than the whole cache is not kept.
        cache.keep("big".into(), entry(1, size * 4));
        assert!(cache.fresh("big", 1).is_none());
    }
}
