//! What a list request asks for, independent of the wire dialect it arrived in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::IdOrSlug;

/// Encodes an offset as an opaque cursor (REST `cursor=`, GraphQL `after`/`before`).
pub fn encode_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

/// The offset a cursor of [`encode_cursor`] names, or `None` for anything else.
pub fn decode_cursor(cursor: &str) -> Option<u64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("o:")?.parse().ok()
}

/// Largest page a client may ask for.
pub const MAX_LIMIT: u64 = 100;
/// Page size when the client names none.
pub const DEFAULT_LIMIT: u64 = 20;

/// The type of a filterable field, which decides how its values parse and which operators apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A UUID column.
    Uuid,
    /// Free text; supports `like`.
    Text,
    /// An integer.
    Int,
    /// `true` or `false`.
    Bool,
    /// An RFC 3339 timestamp or a `YYYY-MM-DD` date.
    Timestamp,
    /// One of a fixed vocabulary.
    Enum(&'static [&'static str]),
    /// A related resource, by id or slug.
    Reference,
}

/// A comparison a filter makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// Equal to one of the values.
    Eq,
    /// Equal to none of the values.
    Ne,
    /// Contains the text, case-insensitively.
    Like,
    /// Greater than or equal.
    Gte,
    /// Less than or equal.
    Lte,
    /// Strictly greater.
    Gt,
    /// Strictly less.
    Lt,
}

impl FilterOp {
    /// Whether the operator applies to a field of this type.
    pub fn applies_to(self, ty: FieldType) -> bool {
        match self {
            FilterOp::Eq | FilterOp::Ne => true,
            FilterOp::Like => ty == FieldType::Text,
            FilterOp::Gte | FilterOp::Lte | FilterOp::Gt | FilterOp::Lt => {
                matches!(ty, FieldType::Int | FieldType::Timestamp | FieldType::Text)
            }
        }
    }
}

/// A parsed filter value.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// A UUID.
    Uuid(Uuid),
    /// Text (also enum values).
    Text(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A UTC instant.
    Timestamp(DateTime<Utc>),
    /// A related resource by id or slug.
    Ref(IdOrSlug),
}

/// A field clients may filter on.
#[derive(Debug, Clone, Copy)]
pub struct FilterField {
    /// The canonical name services match on.
    pub name: &'static str,
    /// Other accepted parameter names (`sector_id` for `sector`).
    pub aliases: &'static [&'static str],
    /// How values parse.
    pub ty: FieldType,
}

/// What a resource's list accepts: filters, sort fields, embeds and sparse fields.
#[derive(Debug)]
pub struct ResourceSpec {
    /// The collection name used in `Content-Range`.
    pub name: &'static str,
    /// Filterable fields, in groups so kinds can share the common ones.
    pub filters: &'static [&'static [FilterField]],
    /// Sortable fields.
    pub sorts: &'static [&'static str],
    /// Sort applied when the client names none.
    pub default_sort: &'static [Sort],
    /// Relations `include=` may embed.
    pub includes: &'static [&'static str],
    /// Fields `fields=` may select.
    pub fields: &'static [&'static str],
    /// Whether `q` full-text search is offered.
    pub searchable: bool,
    /// Fields a list leaves out unless `fields=` names them (single items keep them).
    pub list_omits: &'static [&'static str],
}

impl ResourceSpec {
    /// The fields a list returns when `fields=` names none.
    pub fn list_fields(&self) -> Option<Vec<&'static str>> {
        if self.list_omits.is_empty() {
            return None;
        }
        Some(self.fields.iter().copied().filter(|f| !self.list_omits.contains(f)).collect())
    }

    /// The filter field with this name or alias.
    pub fn filter_field(&self, name: &str) -> Option<&FilterField> {
        self.filters
            .iter()
            .flat_map(|group| group.iter())
            .find(|f| f.name == name || f.aliases.contains(&name))
    }

    /// Every accepted filter parameter name, for error messages.
    pub fn filter_names(&self) -> Vec<&'static str> {
        self.filters
            .iter()
            .flat_map(|group| group.iter())
            .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
            .collect()
    }
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// A field from the resource's `sorts`.
    pub field: &'static str,
    /// Newest/largest first.
    pub descending: bool,
}

/// One filter condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The canonical field name.
    pub field: &'static str,
    /// The comparison.
    pub op: FilterOp,
    /// One or more values (several mean "any of" for `Eq`, "none of" for `Ne`).
    pub values: Vec<FilterValue>,
}

/// A list request: page window, order, conditions, embeds and sparse fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return, 1..=MAX_LIMIT.
    pub limit: u64,
    /// Sort keys in order; services add `id` as the final tiebreaker.
    pub sort: Vec<Sort>,
    /// Conditions, all of which must hold.
    pub filters: Vec<Filter>,
    /// Relations to embed.
    pub include: Vec<&'static str>,
    /// Fields to return (`id` always); `None` means all.
    pub fields: Option<Vec<&'static str>>,
    /// Whether the total is counted; without it, `Page::total` only tells whether more follow.
    pub count_total: bool,
    /// Full-text search in the search grammar; with no sort given, results come by relevance.
    pub search: Option<String>,
}

impl ListQuery {
    /// The default query for a resource: first page, default order, no filters.
    pub fn new(spec: &ResourceSpec) -> ListQuery {
        ListQuery {
            offset: 0,
            limit: DEFAULT_LIMIT,
            sort: spec.default_sort.to_vec(),
            filters: Vec::new(),
            include: Vec::new(),
            fields: None,
            count_total: true,
            search: None,
        }
    }

    /// Whether a relation was asked to be embedded.
    pub fn includes(&self, relation: &str) -> bool {
        self.include.contains(&relation)
    }

    /// Whether a field will be returned.
    pub fn wants_field(&self, field: &str) -> bool {
        self.fields.as_ref().is_none_or(|f| f.contains(&field))
    }
}

/// One page of a list and the total number of matching rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows matching the filters, over all pages.
    pub total: u64,
}
