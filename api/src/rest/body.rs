//! Reading JSON request bodies: 415 for other media types, 400 for broken JSON, 422 naming the
//! field for JSON of the wrong shape (unknown fields, wrong types, missing fields).

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldErrors};

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

/// Reads a JSON value into `T`, naming the offending field on failure.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = match message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("missing field `")) {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                if path == "." { name.to_owned() } else { format!("{path}.{name}") }
            }
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let message = if message.starts_with("unknown field") {
            "is not a known field".to_owned()
        } else if message.starts_with("missing field") {
            "is required".to_owned()
        } else {
            message
        };
        let mut errors = FieldErrors::new();
        errors.insert(field, vec![message]);
        AppError::Validation { errors }
    })
}

/// Parses a JSON body that must be an object (for merge patches).
pub fn parse_object(req: &HttpRequest, body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
    match parse::<serde_json::Value>(req, body)? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(AppError::bad_request("malformed_json", "the body must be a JSON object")),
    }
}
