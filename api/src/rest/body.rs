//! Reading JSON request bodies: 415 for other media types, 400 for broken JSON, 422 naming the
//! field for JSON of the wrong shape (unknown fields, wrong types, missing fields).

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::DeserializeOwned;

use crate::error::{AppError, decode_json as from_value};

fn require_json(req: &HttpRequest) -> Result<(), AppError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media == "application/json" || (media.starts_with("application/") && media.ends_with("+json")) {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType { detail: "send the body as application/json".into() })
    }
}

/// Parses a JSON body into `T`.
pub fn parse<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, AppError> {
    require_json(req)?;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}")))?;
    from_value(value)
}

/// Parses a JSON body that must be an object (for merge patches).
pub fn parse_object(req: &HttpRequest, body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
    match parse::<serde_json::Value>(req, body)? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(AppError::bad_request("malformed_json", "the body must be a JSON object")),
    }
}

/// The precondition a write request states: its `If-Match` header, and whether the settings
/// require one (a body `version` is read with the body).
pub fn precondition(req: &HttpRequest, required: bool) -> crate::services::write::Precondition {
    let if_match = req.headers().get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    crate::services::write::Precondition { if_match, version: None, required }
}

/// A UUID from the path; anything else names nothing (404).
pub fn uuid_in_path(raw: &str, resource: &'static str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::try_parse(raw).map_err(|_| AppError::NotFound { resource })
}
