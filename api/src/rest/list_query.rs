//! One parser for the three list dialects: native, json-server and simple-rest (react-admin, Refine).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::domain::IdOrSlug;
use crate::error::AppError;
use crate::listing::{decode_cursor, 
    FieldType, Filter, FilterOp, FilterValue, ListQuery, MAX_LIMIT, ResourceSpec, Sort,
};

/// Longest text a filter value may have.
const MAX_FILTER_TEXT: usize = 500;

/// How the client asked for its page, so `Link` headers answer in the same dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStyle {
    /// `limit` and `offset`.
    Offset,
    /// `limit` and an opaque `cursor`.
    Cursor,
    /// json-server `_start`/`_end`.
    StartEnd,
    /// json-server `_page`/`_limit`.
    PageLimit,
    /// simple-rest `range=[a,b]` or a `Range` header.
    Range,
}

/// A parsed list request and the raw parameters it came from.
#[derive(Debug)]
pub struct ParsedList {
    /// What to fetch.
    pub query: ListQuery,
    /// How to write pagination links.
    pub style: PageStyle,
    /// The request's parameters, for building links.
    pub params: Vec<(String, String)>,
}

/// Parameters that set the page window; they are replaced when links are built.
pub const PAGE_PARAMS: &[&str] = &["limit", "offset", "cursor", "_start", "_end", "_page", "_limit", "range"];

#[derive(Default)]
struct Window {
    limit: Option<u64>,
    offset: Option<u64>,
    cursor: Option<u64>,
    start: Option<u64>,
    end: Option<u64>,
    page: Option<u64>,
    page_limit: Option<u64>,
    range: Option<(u64, u64)>,
}

fn bad(detail: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_parameter", detail)
}

/// Largest offset or index accepted: far beyond any collection, small enough for all arithmetic.
const MAX_POSITION: u64 = 1_000_000_000_000;

fn parse_u64(name: &str, value: &str) -> Result<u64, AppError> {
    let n = value
        .trim()
        .parse::<u64>()
        .map_err(|_| bad(format!("`{name}` must be a non-negative integer, got `{value}`")))?;
    if n > MAX_POSITION {
        return Err(bad(format!("`{name}` must be at most {MAX_POSITION}")));
    }
    Ok(n)
}

/// Parses a query string (and the `Range` header, if any) against a resource's spec.
pub fn parse_list(
    query_string: &str,
    range_header: Option<&str>,
    spec: &ResourceSpec,
) -> Result<ParsedList, AppError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
        .map_err(|_| bad("the query string is not valid URL encoding"))?;
    let mut query = ListQuery::new(spec);
    let mut window = Window::default();
    let mut sort: Option<Vec<Sort>> = None;
    let mut json_sort: Option<Vec<&str>> = None;
    let mut json_order: Option<Vec<String>> = None;

    for (key, value) in &params {
        // An empty parameter is an absent one (cleared inputs in admin UIs send `sort=` and the like).
        if value.trim().is_empty() && is_known(key, spec) && !is_text_filter(key, spec) {
            continue;
        }
        match key.as_str() {
            "limit" => window.limit = Some(parse_u64(key, value)?),
            "offset" => window.offset = Some(parse_u64(key, value)?),
            "cursor" => window.cursor = Some(decode_cursor(value).ok_or_else(|| bad("`cursor` is not a cursor this API issued"))?),
            "_start" => window.start = Some(parse_u64(key, value)?),
            "_end" => window.end = Some(parse_u64(key, value)?),
            "_page" => window.page = Some(parse_u64(key, value)?),
            "_limit" => window.page_limit = Some(parse_u64(key, value)?),
            "range" => window.range = Some(parse_range_param(value)?),
            "sort" => sort = Some(parse_sort(value, spec)?),
            "_sort" => json_sort = Some(value.split(',').map(str::trim).collect()),
            "_order" => json_order = Some(value.split(',').map(|o| o.trim().to_ascii_lowercase()).collect()),
            "include" => query.include = parse_names(value, spec.includes, "include")?,
            "fields" => query.fields = Some(parse_names(value, spec.fields, "fields")?),
            "q" => query.search = Some(search_text(value, spec)?),
            "filter" => parse_filter_object(value, spec, &mut query.filters, &mut query.search)?,
            _ => query.filters.push(parse_filter_param(key, std::slice::from_ref(value), spec)?),
        }
    }
    merge_repeated_filters(&mut query.filters);
    let requested_ids = query
        .filters
        .iter()
        .find(|f| f.field == "id" && f.op == FilterOp::Eq)
        .map_or(0, |f| f.values.len() as u64);
    if requested_ids > MAX_LIMIT {
        return Err(AppError::bad_request(
            "limit_too_large",
            format!("{requested_ids} ids asked for; at most {MAX_LIMIT} per request"),
        ));
    }
    // A many-by-id request without a page window gets all the ids it names.
    query.limit = query.limit.max(requested_ids);

    // json-server's `_sort` wins over `sort`; `_order` entries beyond `_sort`'s are ignored, as json-server does.
    if let Some(fields) = json_sort {
        let orders = json_order.unwrap_or_default();
        let mut keys = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            let descending = match orders.get(i).map(String::as_str) {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => return Err(bad(format!("`_order` must be asc or desc, got `{other}`"))),
            };
            keys.push(sort_key(field, descending, spec)?);
        }
        sort = Some(keys);
    }
    match sort {
        Some(sort) => query.sort = sort,
        // A search without a sort comes by relevance.
        None if query.search.is_some() => query.sort.clear(),
        None => {}
    }

    if query.fields.is_none() {
        query.fields = spec.list_fields();
    }
    let style = apply_window(&mut query, &window, range_header, spec)?;
    Ok(ParsedList { query, style, params })
}

/// What a single-item GET may ask for: embeds and sparse fields.
#[derive(Debug, Default)]
pub struct ItemParams {
    /// Relations to embed.
    pub include: Vec<&'static str>,
    /// Fields to return (`id` always); `None` means all.
    pub fields: Option<Vec<&'static str>>,
}

/// Parses the query string of a single-item GET: only `include` and `fields` are accepted.
pub fn parse_item(query_string: &str, spec: &ResourceSpec) -> Result<ItemParams, AppError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
        .map_err(|_| bad("the query string is not valid URL encoding"))?;
    let mut item = ItemParams::default();
    for (key, value) in &params {
        match key.as_str() {
            "include" | "fields" if value.trim().is_empty() => {}
            "include" => item.include = parse_names(value, spec.includes, "include")?,
            "fields" => item.fields = Some(parse_names(value, spec.fields, "fields")?),
            other => {
                return Err(AppError::bad_request(
                    "unknown_parameter",
                    format!("unknown parameter `{other}`; a single item accepts `include` and `fields`"),
                ));
            }
        }
    }
    Ok(item)
}

/// Whether `key` is a parameter or a filter this resource knows.
fn is_known(key: &str, spec: &ResourceSpec) -> bool {
    const PARAMS: &[&str] = &["limit", "offset", "cursor", "_start", "_end", "_page", "_limit", "range", "sort", "_sort", "_order", "include", "fields", "q", "filter"];
    PARAMS.contains(&key) || split_operator(key, spec).is_some_and(|(field, op)| spec.filter_field(field).is_some_and(|f| op.applies_to(f.ty)))
}

/// Whether `key` is a free-text filter, where an empty value is a real value (matches empty text).
fn is_text_filter(key: &str, spec: &ResourceSpec) -> bool {
    split_operator(key, spec)
        .and_then(|(field, _)| spec.filter_field(field))
        .is_some_and(|f| f.ty == FieldType::Text)
}

/// The text of `q`, where the resource offers search (the search service parses it).
fn search_text(value: &str, spec: &ResourceSpec) -> Result<String, AppError> {
    if !spec.searchable {
        return Err(AppError::bad_request("search_unavailable", "this resource does not support full-text search (`q`)"));
    }
    Ok(value.to_owned())
}

fn apply_window(
    query: &mut ListQuery,
    w: &Window,
    range_header: Option<&str>,
    spec: &ResourceSpec,
) -> Result<PageStyle, AppError> {
    // One window is used, in this order: json-server `_start`/`_end`, json-server `_page`/`_limit`,
    // simple-rest `range`, native `limit` with `cursor` or `offset`, and last the `Range` header.
    let native = w.limit.is_some() || w.offset.is_some() || w.cursor.is_some();
    let start_end = w.start.is_some() || w.end.is_some();
    let page_limit = w.page.is_some() || w.page_limit.is_some();
    // A limit of 0 asks only for the count (`X-Total-Count`).
    let check_limit = |limit: u64, what: &str| -> Result<u64, AppError> {
        if limit > MAX_LIMIT {
            Err(AppError::bad_request(
                "limit_too_large",
                format!("{what} asks for {limit} items; the maximum page size is {MAX_LIMIT}"),
            ))
        } else {
            Ok(limit)
        }
    };
    let (offset, limit, style) = if start_end {
        let start = w.start.unwrap_or(0);
        let end = w.end.unwrap_or(start + query.limit);
        (start, check_limit(end.saturating_sub(start), "`_start`/`_end`")?, PageStyle::StartEnd)
    } else if page_limit {
        let limit = check_limit(w.page_limit.unwrap_or(query.limit), "`_limit`")?;
        let page = w.page.unwrap_or(1);
        if page == 0 {
            return Err(bad("`_page` starts at 1"));
        }
        ((page - 1).saturating_mul(limit).min(MAX_POSITION), limit, PageStyle::PageLimit)
    } else if let Some((first, last)) = w.range {
        (first, check_limit((last + 1).saturating_sub(first), "`range`")?, PageStyle::Range)
    } else if native {
        let limit = check_limit(w.limit.unwrap_or(query.limit), "`limit`")?;
        let style = if w.cursor.is_some() { PageStyle::Cursor } else { PageStyle::Offset };
        (w.cursor.or(w.offset).unwrap_or(0), limit, style)
    } else if let Some((first, last)) = range_header.map(|h| parse_range_header(h, spec)).transpose()?.flatten() {
        (first, check_limit((last + 1).saturating_sub(first), "the `Range` header")?, PageStyle::Range)
    } else {
        (0, query.limit, PageStyle::Offset)
    };
    query.offset = offset;
    query.limit = limit;
    Ok(style)
}

fn parse_range_param(value: &str) -> Result<(u64, u64), AppError> {
    let pair: Vec<u64> = serde_json::from_str(value)
        .map_err(|_| bad(format!("`range` must be a JSON pair like [0,24], got `{value}`")))?;
    match pair.as_slice() {
        [first, last] if *first <= MAX_POSITION && *last <= MAX_POSITION => Ok((*first, *last)),
        _ => Err(bad("`range` must be a pair [first,last]")),
    }
}

/// Reads `Range: {resource}=first-last`; other range units are ignored, as HTTP asks.
fn parse_range_header(header: &str, spec: &ResourceSpec) -> Result<Option<(u64, u64)>, AppError> {
    let invalid = || bad(format!("the `Range` header must look like `{}=0-24`", spec.name));
    let Some((unit, span)) = header.split_once('=') else {
        return Ok(None);
    };
    if unit.trim() != spec.name && unit.trim() != "items" {
        return Ok(None);
    }
    let (first, last) = span.split_once('-').ok_or_else(invalid)?;
    let first = parse_u64("Range", first).map_err(|_| invalid())?;
    let last = parse_u64("Range", last).map_err(|_| invalid())?;
    Ok(Some((first, last)))
}

fn sort_key(field: &str, descending: bool, spec: &ResourceSpec) -> Result<Sort, AppError> {
    spec.sorts
        .iter()
        .find(|s| **s == field)
        .map(|field| Sort { field, descending })
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_sort",
                format!("cannot sort by `{field}`; sortable fields: {}", spec.sorts.join(", ")),
            )
        })
}

fn parse_sort(value: &str, spec: &ResourceSpec) -> Result<Vec<Sort>, AppError> {
    if value.trim_start().starts_with('[') {
        let pair: Vec<String> = serde_json::from_str(value)
            .map_err(|_| bad(format!("`sort` must be like [\"title\",\"ASC\"], got `{value}`")))?;
        return match pair.as_slice() {
            [field, order] => {
                let descending = match order.to_ascii_lowercase().as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => return Err(bad(format!("sort order must be ASC or DESC, got `{order}`"))),
                };
                Ok(vec![sort_key(field, descending, spec)?])
            }
            _ => Err(bad("`sort` must be a pair [field, order]")),
        };
    }
    value
        .split(',')
        .map(str::trim)
        .map(|part| match part.strip_prefix('-') {
            Some(field) => sort_key(field, true, spec),
            None => sort_key(part.strip_prefix('+').unwrap_or(part), false, spec),
        })
        .collect()
}

fn parse_names(
    value: &str,
    allowed: &'static [&'static str],
    param: &str,
) -> Result<Vec<&'static str>, AppError> {
    let mut names = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if param == "fields" && name == "id" {
            continue;
        }
        let known = allowed.iter().find(|a| **a == name).ok_or_else(|| {
            AppError::bad_request(
                if param == "include" { "invalid_include" } else { "invalid_fields" },
                if allowed.is_empty() {
                    format!("`{param}` is not supported here")
                } else {
                    format!("`{param}` cannot name `{name}`; allowed: {}", allowed.join(", "))
                },
            )
        })?;
        if !names.contains(known) {
            names.push(*known);
        }
    }
    Ok(names)
}

/// Splits `field_op` into the field and operator, preferring an exact field name.
fn split_operator<'a>(key: &'a str, spec: &ResourceSpec) -> Option<(&'a str, FilterOp)> {
    if spec.filter_field(key).is_some() {
        return Some((key, FilterOp::Eq));
    }
    match key {
        "published_after" => return Some(("published_at", FilterOp::Gt)),
        "published_before" => return Some(("published_at", FilterOp::Lt)),
        _ => {}
    }
    const SUFFIXES: [(&str, FilterOp); 6] = [
        ("_like", FilterOp::Like),
        ("_ne", FilterOp::Ne),
        ("_gte", FilterOp::Gte),
        ("_lte", FilterOp::Lte),
        ("_gt", FilterOp::Gt),
        ("_lt", FilterOp::Lt),
    ];
    SUFFIXES
        .iter()
        .find_map(|(suffix, op)| key.strip_suffix(suffix).map(|field| (field, *op)))
}

fn parse_filter_param(key: &str, values: &[String], spec: &ResourceSpec) -> Result<Filter, AppError> {
    let unknown = || {
        AppError::bad_request(
            "unknown_parameter",
            format!(
                "unknown parameter `{key}`; filters here: {}",
                spec.filter_names().join(", ")
            ),
        )
    };
    let (field_name, op) = split_operator(key, spec).ok_or_else(unknown)?;
    let field = spec.filter_field(field_name).ok_or_else(unknown)?;
    if !op.applies_to(field.ty) {
        return Err(AppError::bad_request(
            "invalid_filter",
            format!("`{key}`: this operator does not apply to `{}`", field.name),
        ));
    }
    let mut parsed = Vec::new();
    for value in values {
        // Lists of ids, slugs and enum values may also be comma-separated.
        let splittable = matches!(field.ty, FieldType::Uuid | FieldType::Reference | FieldType::Enum(_));
        if splittable && matches!(op, FilterOp::Eq | FilterOp::Ne) {
            for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                parsed.push(parse_value(key, part, field.ty)?);
            }
        } else {
            parsed.push(parse_value(key, value, field.ty)?);
        }
    }
    // An empty list (simple-rest `{"id": []}`) matches nothing for Eq and excludes nothing for Ne.
    if parsed.is_empty() && !matches!(op, FilterOp::Eq | FilterOp::Ne) {
        return Err(AppError::bad_request("invalid_filter", format!("`{key}` needs a value")));
    }
    if parsed.len() > 1 && !matches!(op, FilterOp::Eq | FilterOp::Ne) {
        return Err(AppError::bad_request("invalid_filter", format!("`{key}` takes one value")));
    }
    Ok(Filter { field: field.name, op, values: parsed })
}

fn parse_value(key: &str, raw: &str, ty: FieldType) -> Result<FilterValue, AppError> {
    let invalid = |expected: &str| {
        AppError::bad_request("invalid_filter", format!("`{key}` must be {expected}, got `{raw}`"))
    };
    match ty {
        FieldType::Uuid => uuid::Uuid::try_parse(raw).map(FilterValue::Uuid).map_err(|_| invalid("a UUID")),
        FieldType::Text => {
            if raw.chars().count() > MAX_FILTER_TEXT {
                Err(invalid(&format!("at most {MAX_FILTER_TEXT} characters")))
            } else {
                Ok(FilterValue::Text(raw.to_owned()))
            }
        }
        FieldType::Int => raw.parse().map(FilterValue::Int).map_err(|_| invalid("an integer")),
        FieldType::Bool => match raw {
            "true" | "1" => Ok(FilterValue::Bool(true)),
            "false" | "0" => Ok(FilterValue::Bool(false)),
            _ => Err(invalid("true or false")),
        },
        FieldType::Timestamp => parse_timestamp(raw)
            .map(FilterValue::Timestamp)
            .ok_or_else(|| invalid("an RFC 3339 timestamp or a YYYY-MM-DD date")),
        FieldType::Enum(values) => values
            .iter()
            .find(|v| **v == raw)
            .map(|v| FilterValue::Text((*v).to_owned()))
            .ok_or_else(|| invalid(&format!("one of {}", values.join(", ")))),
        FieldType::Reference => IdOrSlug::parse(raw).map(FilterValue::Ref).ok_or_else(|| invalid("an id or a slug")),
    }
}

fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn parse_filter_object(raw: &str, spec: &ResourceSpec, filters: &mut Vec<Filter>, filters_search: &mut Option<String>) -> Result<(), AppError> {
    let object = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => map,
        _ => return Err(bad("`filter` must be a JSON object like {\"status\":\"published\"}")),
    };
    for (key, value) in object {
        if value.is_null() || value.as_str().is_some_and(|v| v.trim().is_empty() && !is_text_filter(&key, spec)) {
            continue;
        }
        if key == "q" {
            *filters_search = Some(search_text(&scalar_text(&key, value)?, spec)?);
            continue;
        }
        let values: Vec<String> = match value {
            Value::Array(items) => items.into_iter().map(|v| scalar_text(&key, v)).collect::<Result<_, _>>()?,
            other => vec![scalar_text(&key, other)?],
        };
        filters.push(parse_filter_param(&key, &values, spec)?);
    }
    Ok(())
}

fn scalar_text(key: &str, value: Value) -> Result<String, AppError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(AppError::bad_request(
            "invalid_filter",
            format!("`filter.{key}` must be a string, number, boolean or a list of them"),
        )),
    }
}

/// `?id=a&id=b` arrives as two filters on one field: fold them into one "any of".
fn merge_repeated_filters(filters: &mut Vec<Filter>) {
    let mut merged: Vec<Filter> = Vec::with_capacity(filters.len());
    for filter in filters.drain(..) {
        let same = merged.iter_mut().find(|m| {
            m.field == filter.field && m.op == filter.op && matches!(filter.op, FilterOp::Eq | FilterOp::Ne)
        });
        match same {
            Some(existing) => existing.values.extend(filter.values),
            None => merged.push(filter),
        }
    }
    *filters = merged;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{DEFAULT_LIMIT, FilterField, encode_cursor};

    const FILTERS: &[FilterField] = &[
        FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
        FilterField { name: "title", aliases: &[], ty: FieldType::Text },
        FilterField { name: "status", aliases: &[], ty: FieldType::Enum(&["draft", "published"]) },
        FilterField { name: "sector", aliases: &["sector_id"], ty: FieldType::Reference },
        FilterField { name: "published_at", aliases: &[], ty: FieldType::Timestamp },
    ];
    const SPEC: ResourceSpec = ResourceSpec {
        name: "essays",
        filters: &[FILTERS],
        sorts: &["title", "published_at", "status"],
        default_sort: &[Sort { field: "published_at", descending: true }],
        includes: &["authors"],
        fields: &["title", "slug"],
        searchable: true,
        list_omits: &[],
    };

    fn parse(qs: &str) -> Result<ListQuery, AppError> {
        parse_list(qs, None, &SPEC).map(|p| p.query)
    }

    #[test]
    fn dialects_agree_on_the_same_page() {
        let native = parse("limit=10&offset=20&sort=-title&status=published").unwrap();
        let json_server = parse("_start=20&_end=30&_sort=title&_order=DESC&status=published").unwrap();
        let simple_rest = parse("range=[20,29]&sort=[\"title\",\"DESC\"]&filter={\"status\":\"published\"}").unwrap();
        let header = parse_list("sort=-title&status=published", Some("essays=20-29"), &SPEC).unwrap().query;
        assert_eq!(native, json_server);
        assert_eq!(native, simple_rest);
        assert_eq!(native, header);
        assert_eq!((native.offset, native.limit), (20, 10));
    }

    #[test]
    fn defaults_apply() {
        let q = parse("").unwrap();
        assert_eq!((q.offset, q.limit), (0, DEFAULT_LIMIT));
        assert_eq!(q.sort, vec![Sort { field: "published_at", descending: true }]);
    }

    #[test]
    fn repeated_ids_become_one_filter() {
        let a = "0196f1c2-0000-7000-8000-000000000001";
        let b = "0196f1c2-0000-7000-8000-000000000002";
        let q = parse(&format!("id={a}&id={b}")).unwrap();
        assert_eq!(q.filters.len(), 1);
        assert_eq!(q.filters[0].values.len(), 2);
        let simple = parse(&format!("filter={{\"id\":[\"{a}\",\"{b}\"]}}")).unwrap();
        assert_eq!(q.filters, simple.filters);
    }

    #[test]
    fn operators_and_aliases() {
        let q = parse("title_like=power&sector_id=labor&published_at_gte=2026-01-01&published_before=2026-02-01").unwrap();
        assert_eq!(q.filters[0].op, FilterOp::Like);
        assert_eq!(q.filters[1].field, "sector");
        assert_eq!(q.filters[2].op, FilterOp::Gte);
        assert_eq!(q.filters[3].op, FilterOp::Lt);
    }

    #[test]
    fn multi_sort_json_server() {
        let q = parse("_sort=status,title&_order=asc,DESC&_start=0&_end=5").unwrap();
        assert_eq!(
            q.sort,
            vec![Sort { field: "status", descending: false }, Sort { field: "title", descending: true }]
        );
    }

    #[test]
    fn bad_input_is_refused() {
        for qs in [
            "limit=101",
            "limit=abc",
            "offset=-1",
            "offset=18446744073709551615",
            "_start=99999999999999999&_end=100000000000000000",
            "sort=password",
            "sort=title;drop table",
            "nope=1",
            "nope=",
            "status_like=",
            "status=deleted",
            "id=not-a-uuid",
            "sector=Not%20A%20Slug",
            "title_gte_like=x",
            "status_like=dr",
            "include=secrets",
            "fields=password_hash",
            "_start=0&_end=500",
            "range=[0]",
            "filter=[1]",
            "filter={\"nope\":1}",
            "cursor=zzz",
            "published_after=yesterday",
        ] {
            assert!(parse(qs).is_err(), "{qs} was accepted");
        }
    }

    #[test]
    fn lenient_where_clients_differ() {
        // Empty parameters are absent; one pagination style wins; reversed windows are empty.
        assert_eq!(parse("sort=&_sort=&fields=&range=&filter=&status=&cursor=").unwrap(), parse("").unwrap());
        let q = parse("limit=5&_start=10&_end=15").unwrap();
        assert_eq!((q.offset, q.limit), (10, 5));
        assert_eq!(parse("_start=10&_end=5").unwrap().limit, 0);
        assert_eq!(parse("range=[5,1]").unwrap().limit, 0);
        assert_eq!(parse("limit=0").unwrap().limit, 0);
        assert_eq!(parse("_order=desc").unwrap(), parse("").unwrap());
        let q = parse("_sort=title&_order=desc,asc").unwrap();
        assert_eq!(q.sort, vec![Sort { field: "title", descending: true }]);
        // An empty id list (getMany of nothing) matches nothing rather than everything.
        let none = parse("filter={\"id\":[]}").unwrap();
        assert_eq!(none.filters.len(), 1);
        assert!(none.filters[0].values.is_empty());
        // Free text keeps its empty value.
        assert_eq!(parse("title=").unwrap().filters.len(), 1);
    }

    #[test]
    fn limit_error_names_the_maximum() {
        let err = parse("limit=500").unwrap_err();
        assert!(err.to_string().contains("100"), "{err}");
    }

    #[test]
    fn many_by_id_returns_every_id() {
        let ids: Vec<String> = (1..=25).map(|i| format!("id=0196f1c2-0000-7000-8000-{i:012}")).collect();
        let q = parse(&ids.join("&")).unwrap();
        assert_eq!(q.limit, 25);
        let too_many: Vec<String> = (1..=101).map(|i| format!("id=0196f1c2-0000-7000-8000-{i:012}")).collect();
        assert!(parse(&too_many.join("&")).is_err());
    }

    #[test]
    fn empty_search_and_foreign_range_units_are_ignored() {
        assert_eq!(parse("q=").unwrap(), parse("").unwrap());
        assert_eq!(parse("filter={\"q\":\"\"}").unwrap(), parse("").unwrap());
        let q = parse_list("", Some("bytes=0-10"), &SPEC).unwrap().query;
        assert_eq!((q.offset, q.limit), (0, DEFAULT_LIMIT));
    }

    #[test]
    fn a_search_comes_by_relevance_unless_sorted() {
        let q = parse("q=union%20power").unwrap();
        assert_eq!(q.search.as_deref(), Some("union power"));
        assert!(q.sort.is_empty());
        let q = parse("filter={\"q\":\"strike\",\"status\":\"published\"}&sort=title").unwrap();
        assert_eq!(q.search.as_deref(), Some("strike"));
        assert_eq!(q.sort, vec![Sort { field: "title", descending: false }]);
        assert_eq!(q.filters.len(), 1);
    }

    #[test]
    fn cursors_round_trip() {
        let q = parse(&format!("cursor={}&limit=5", encode_cursor(40))).unwrap();
        assert_eq!((q.offset, q.limit), (40, 5));
    }
}

/// The list parameters every collection accepts (documentation of the parser above).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Page size, 0–100 (default 20); 0 returns only the count.
    #[param(minimum = 0, maximum = 100)]
    limit: Option<u64>,
    /// Items to skip.
    #[param(maximum = 1_000_000_000_000_u64)]
    offset: Option<u64>,
    /// Opaque cursor from a `Link` header (instead of `offset`).
    cursor: Option<String>,
    /// `-published_at,title` (native) or `["title","ASC"]` (simple-rest).
    sort: Option<String>,
    /// Relations to embed, comma-separated.
    include: Option<String>,
    /// Fields to return, comma-separated (`id` always).
    fields: Option<String>,
    /// json-server: first index (inclusive).
    #[param(maximum = 1_000_000_000_000_u64)]
    _start: Option<u64>,
    /// json-server: last index (exclusive); at most 100 past `_start`.
    #[param(maximum = 1_000_000_000_000_u64)]
    _end: Option<u64>,
    /// json-server: sort fields, comma-separated.
    _sort: Option<String>,
    /// json-server: `asc`/`desc` per sort field.
    _order: Option<String>,
    /// json-server: page number from 1.
    #[param(minimum = 1, maximum = 1_000_000_000_000_u64)]
    _page: Option<u64>,
    /// json-server: page size with `_page`.
    #[param(maximum = 100)]
    _limit: Option<u64>,
    /// simple-rest: `[first,last]`, both inclusive; at most 100 items.
    range: Option<String>,
    /// simple-rest: JSON object of filters, e.g. `{"status":"published","id":[…]}`.
    filter: Option<String>,
}
