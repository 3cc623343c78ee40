//! Entity tags: a strong validator over the exact bytes of a representation.

use xxhash_rust::xxh3::xxh3_128;

/// The ETag of a response body.
pub fn of_bytes(body: &[u8]) -> String {
    format!("\"{:032x}\"", xxh3_128(body))
}

/// The ETag of a record as the API serializes it on its own (no `include`, no `fields`).
pub fn of_record(record: &impl serde::Serialize) -> String {
    of_bytes(&serde_json::to_vec(record).unwrap_or_default())
}

/// Whether a list of entity tags (`If-Match`, `If-None-Match`) names `etag` or `*`.
pub fn matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag)
}
