//! Field rules every aggregate's validation shares: text lengths, URLs and lists of ids.
//! Each field's limit is written once, where its aggregate validates it. The columns are
//! unbounded `text`, so the limit a client is told is the only one there is.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::error::{AppError, FieldErrors};

/// The longest URL accepted anywhere.
pub const URL_MAX: usize = 2048;

/// Adds a message for a field.
pub fn refuse(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_owned()).or_default().push(message.into());
}

/// A text of at most `max` characters; `required` ones must hold more than white space.
pub fn text(errors: &mut FieldErrors, field: &str, value: &str, required: bool, max: usize) {
    if required && value.trim().is_empty() {
        refuse(errors, field, "is required");
    } else if value.chars().count() > max {
        refuse(errors, field, format!("at most {max} characters"));
    }
}

/// An optional text of at most `max` characters.
pub fn optional_text(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if let Some(value) = value {
        text(errors, field, value, false, max);
    }
}

/// An absolute `http`/`https` URL with a host, as the `url` crate parses it.
pub fn url(errors: &mut FieldErrors, field: &str, value: &str) {
    let parsed = url::Url::parse(value).ok();
    let ok = parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()))
        && value.chars().count() <= URL_MAX
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        refuse(errors, field, format!("must be an absolute http(s) URL of at most {URL_MAX} characters"));
    }
}

/// An optional URL.
pub fn optional_url(errors: &mut FieldErrors, field: &str, value: Option<&str>) {
    if let Some(value) = value {
        url(errors, field, value);
    }
}

/// Ids that name no record twice, at most `max` of them, each found by `existing` (which may
/// narrow the rows to those the caller may see).
pub async fn ids_exist<E: EntityTrait>(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    field: &str,
    ids: &[Uuid],
    max: usize,
    existing: Select<E>,
    id_column: E::Column,
    what: &str,
) -> Result<(), AppError>
where
    E::Model: Sync,
{
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != ids.len() {
        refuse(errors, field, "lists an id twice");
    }
    if ids.len() > max {
        refuse(errors, field, format!("at most {max} items"));
    }
    if !distinct.is_empty() && existing.filter(id_column.is_in(distinct.clone())).count(db).await? as usize != distinct.len() {
        refuse(errors, field, format!("names {what} that does not exist"));
    }
    Ok(())
}

/// The collected messages as a 422, or nothing when there are none.
pub fn finish(errors: FieldErrors) -> Result<(), AppError> {
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation { errors }) }
}
