//! What every aggregate's writes share: the precondition a client sends (If-Match or a body
//! `version`), the version a body carries, records as JSON objects, and RFC 7396 merge patch.

use serde_json::{Map, Value};

use crate::error::{AppError, decode_json};
use crate::services::read_only::{self, ReadOnly};

/// What the client says it last saw, for optimistic concurrency.
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    /// An `If-Match` header: entity tags, or `*`.
    pub if_match: Option<String>,
    /// The `version` the client last read.
    pub version: Option<i32>,
    /// Whether a write without either is refused (428).
    pub required: bool,
}

impl Precondition {
    /// Refuses a write based on anything but the stored `version`, whose ETag is `etag`.
    pub fn check(&self, version: i32, etag: &str) -> Result<(), AppError> {
        if self.required && self.if_match.is_none() && self.version.is_none() {
            return Err(AppError::PreconditionRequired);
        }
        if let Some(expected) = self.version.filter(|expected| *expected != version) {
            return Err(AppError::VersionConflict { expected: Some(expected), current: version });
        }
        if self.if_match.as_deref().is_some_and(|header| !crate::etag::matches(header, etag)) {
            return Err(AppError::VersionConflict { expected: None, current: version });
        }
        Ok(())
    }

    /// Takes a body's `version` out of it; the body wins over nothing, not over If-Match.
    pub fn take_version(mut self, object: &mut Map<String, Value>) -> Result<Self, AppError> {
        match object.remove("version") {
            None | Some(Value::Null) => {}
            Some(value) => {
                let version = value.as_i64().and_then(|n| i32::try_from(n).ok());
                self.version = Some(version.ok_or_else(|| AppError::invalid_field("version", "must be an integer"))?);
            }
        }
        Ok(self)
    }
}

/// A record with an identity and a version, which writes check.
pub trait Versioned {
    fn id(&self) -> uuid::Uuid;
    fn version(&self) -> i32;
}

/// Implements [`Versioned`] for records with `id` and `version` fields.
macro_rules! versioned {
    ($($record:ty),+ $(,)?) => {$(
        impl $crate::services::write::Versioned for $record {
            fn id(&self) -> uuid::Uuid {
                self.id
            }
            fn version(&self) -> i32 {
                self.version
            }
        }
    )+};
}
pub(crate) use versioned;

/// A record as the API shows it, as a JSON object.
pub fn json_map(record: &impl serde::Serialize) -> Result<Map<String, Value>, AppError> {
    match serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))? {
        Value::Object(map) => Ok(map),
        _ => Err(AppError::Internal(anyhow::anyhow!("a record did not serialize to an object"))),
    }
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Merges `patch` into the stored record `stored`.
pub fn merged(stored: Map<String, Value>, patch: Map<String, Value>) -> Map<String, Value> {
    let mut target = Value::Object(stored);
    merge_patch(&mut target, &Value::Object(patch));
    match target {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// What a write sends: a whole record as JSON (REST POST/PUT, where read-only fields may come
/// back as read), changes to merge into the stored record (PATCH), or a typed input (GraphQL).
pub enum Written<I> {
    Json(Map<String, Value>),
    Patch(Map<String, Value>),
    Input(I),
}

impl<I: serde::de::DeserializeOwned> Written<I> {
    /// The input this write carries, checked in the order clients can act on: a body of the
    /// wrong shape is a 422; a body naming another record is a 422; when the write changes
    /// `stored` (the record as the API shows it), the precondition, with the `version` a body
    /// names, must hold (412/428); then read-only fields the body echoes must match `stored`
    /// (so a stale copy is a 412, not a 422), and a creation (`stored` None) may not set
    /// relations through embeds. A patch is merged into `stored` first.
    pub fn read<R>(self, stored: Option<&R>, read_only: &[&[ReadOnly]], precondition: Precondition) -> Result<I, AppError>
    where
        R: serde::Serialize + Versioned,
    {
        let shown = stored.map(json_map).transpose()?;
        let (mut object, sent_id, precondition) = match self {
            Written::Input(input) => {
                if let Some(stored) = stored {
                    precondition.check(stored.version(), &crate::etag::of_record(stored))?;
                }
                return Ok(input);
            }
            Written::Json(mut object) => {
                let precondition = precondition.take_version(&mut object)?;
                let sent_id = object.get("id").cloned();
                (object, sent_id, precondition)
            }
            Written::Patch(mut patch) => {
                let precondition = precondition.take_version(&mut patch)?;
                let sent_id = patch.get("id").cloned();
                let mut object = merged(shown.clone().unwrap_or_default(), patch);
                object.remove("version");
                (object, sent_id, precondition)
            }
        };
        let echoed: Vec<_> = read_only.iter().map(|fields| read_only::take(&mut object, fields)).collect();
        let input = decode_json(Value::Object(object))?;
        if let Some(stored) = stored {
            if let Some(Value::String(id)) = sent_id {
                if uuid::Uuid::try_parse(&id).ok() != Some(stored.id()) {
                    return Err(AppError::invalid_field("id", "does not match the record in the path"));
                }
            }
            precondition.check(stored.version(), &crate::etag::of_record(stored))?;
        }
        for (fields, echoed) in read_only.iter().zip(echoed) {
            echoed.check(fields, shown.as_ref())?;
        }
        Ok(input)
    }
}
