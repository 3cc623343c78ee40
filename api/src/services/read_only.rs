//! Fields clients read but cannot write. Admin UIs send whole records back, so a read-only field
//! may come back as it was read; one that differs from the stored record, or has another shape,
//! is refused with a 422 naming what to write instead, never silently dropped.

use serde_json::{Map, Value};

use crate::error::{AppError, FieldErrors};

/// A field of a record that writes cannot set.
pub enum ReadOnly {
    /// Kept by the server; `how` says what changes it.
    Computed { name: &'static str, how: &'static str },
    /// A relation embedded by `include=`, written through the ids field `ids` (a list when
    /// `many`, else one id or null).
    Embed { name: &'static str, ids: &'static str, many: bool },
}

impl ReadOnly {
    fn name(&self) -> &'static str {
        match self {
            ReadOnly::Computed { name, .. } | ReadOnly::Embed { name, .. } => name,
        }
    }
}

/// The read-only fields a written object carried, taken out of it by [`take`].
#[derive(Debug, Clone, Default)]
pub struct Echoed(Map<String, Value>);

impl Echoed {
    /// Checks the fields against `stored` (the record as the API shows it), or, for a creation
    /// (`None`), that no relation is sent through an embed. Computed fields sent on creation are
    /// ignored: there is nothing yet they could differ from.
    pub fn check(&self, fields: &[ReadOnly], stored: Option<&Map<String, Value>>) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        for field in fields {
            let Some(sent) = self.0.get(field.name()) else { continue };
            let problem = match field {
                ReadOnly::Embed { ids, many, .. } => {
                    let stored_ids = stored.and_then(|record| record.get(*ids)).cloned().unwrap_or(if *many { Value::Array(vec![]) } else { Value::Null });
                    (embedded_ids(sent, *many).as_ref() != Some(&stored_ids)).then(|| {
                        format!("is read-only (it embeds the related records); write `{ids}` with the {}", if *many { "ids" } else { "id" })
                    })
                }
                ReadOnly::Computed { name, how } => match stored {
                    Some(record) if !same(sent, record.get(*name).unwrap_or(&Value::Null)) => {
                        Some(format!("is read-only and differs from the stored record; {how}"))
                    }
                    _ => None,
                },
            };
            if let Some(message) = problem {
                errors.entry(field.name().to_owned()).or_default().push(message);
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(AppError::Validation { errors }) }
    }
}

/// Takes `fields` out of `object`.
pub fn take(object: &mut Map<String, Value>, fields: &[ReadOnly]) -> Echoed {
    Echoed(fields.iter().filter_map(|field| object.remove_entry(field.name())).collect())
}

/// The ids an embed holds, in the shape of its ids field; `None` when it is not an embed.
fn embedded_ids(sent: &Value, many: bool) -> Option<Value> {
    let id_of = |item: &Value| item.as_object()?.get("id").filter(|id| id.is_string()).cloned();
    match (sent, many) {
        (Value::Null, true) => Some(Value::Array(vec![])),
        (Value::Null, false) => Some(Value::Null),
        (Value::Array(items), true) => items.iter().map(id_of).collect::<Option<Vec<_>>>().map(Value::Array),
        (item @ Value::Object(_), false) => id_of(item),
        _ => None,
    }
}

/// Equal as JSON, or the same instant written two ways.
fn same(sent: &Value, stored: &Value) -> bool {
    if sent == stored {
        return true;
    }
    let instant = |value: &Value| value.as_str().and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok());
    matches!((instant(sent), instant(stored)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[ReadOnly] = &[
        ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
        ReadOnly::Embed { name: "sectors", ids: "sector_ids", many: true },
        ReadOnly::Embed { name: "blog", ids: "blog_id", many: false },
    ];

    fn split(value: Value) -> (Map<String, Value>, Echoed) {
        let Value::Object(mut object) = value else { unreachable!() };
        let echoed = take(&mut object, FIELDS);
        (object, echoed)
    }

    fn stored() -> Map<String, Value> {
        let Value::Object(map) = json!({"updated_at": "2026-12-01T10:00:00Z", "sector_ids": ["a"], "blog_id": "b"}) else { unreachable!() };
        map
    }

    #[test]
    fn fields_read_back_unchanged_pass_and_are_taken_out() {
        let (rest, echoed) = split(json!({"title": "T", "updated_at": "2026-12-01T10:00:00+00:00", "sectors": [{"id": "a", "name": "Labor"}], "blog": {"id": "b"}}));
        assert_eq!(rest.keys().collect::<Vec<_>>(), ["title"]);
        assert!(echoed.check(FIELDS, Some(&stored())).is_ok());
    }

    #[test]
    fn changed_or_misshapen_fields_name_what_to_write() {
        let (_, echoed) = split(json!({"updated_at": "2020-01-01T00:00:00Z", "sectors": "labor", "blog": {"id": "c"}}));
        let Err(AppError::Validation { errors }) = echoed.check(FIELDS, Some(&stored())) else { panic!("refused") };
        assert!(errors["sectors"][0].contains("`sector_ids`"));
        assert!(errors["blog"][0].contains("`blog_id`"));
        assert!(errors.contains_key("updated_at"));
    }

    #[test]
    fn a_creation_may_not_set_relations_through_embeds() {
        let (_, echoed) = split(json!({"updated_at": "2020-01-01T00:00:00Z", "sectors": [], "blog": null}));
        assert!(echoed.check(FIELDS, None).is_ok());
        let (_, echoed) = split(json!({"sectors": [{"id": "a"}]}));
        assert!(echoed.check(FIELDS, None).is_err());
    }
}
