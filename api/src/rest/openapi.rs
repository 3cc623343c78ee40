//! The OpenAPI document: the derived paths, completed with each collection's own parameters
//! (filters, sort fields, embeds, sparse fields) read from the same specs the parser uses.

use std::sync::OnceLock;

use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::listing::{FieldType, FilterField, ResourceSpec};
use crate::rest::ApiDoc;
use crate::services::{blogs, content, editors, news, search, taxonomy};

/// Each collection path and the spec its parser uses.
fn collections() -> [(&'static str, &'static ResourceSpec); 12] {
    [
        ("/api/v1/essays", &content::ESSAY_SPEC),
        ("/api/v1/analyses", &content::ANALYSIS_SPEC),
        ("/api/v1/blog-posts", &content::BLOG_POST_SPEC),
        ("/api/v1/news-links", &content::NEWS_LINK_SPEC),
        ("/api/v1/content", &content::ANY_CONTENT_SPEC),
        ("/api/v1/blogs", &blogs::BLOG_SPEC),
        ("/api/v1/editors", &editors::EDITOR_SPEC),
        ("/api/v1/sectors", &taxonomy::SECTOR_SPEC),
        ("/api/v1/tags", &taxonomy::TAG_SPEC),
        ("/api/v1/questions", &taxonomy::QUESTION_SPEC),
        ("/api/v1/search", &search::SEARCH_SPEC),
        ("/api/v1/news-sources", &news::NEWS_SOURCE_SPEC),
    ]
}

// Query parameters carry no `pattern`: Swagger UI generates an example value for every pattern
// of an operation when it is opened, which kept a browser busy for half a minute on a list's
// hundred parameters. The server checks the values, and the descriptions say what they may be.

// Lengths are bounded so that the longest query the document allows fits in a request line
// (about 64 KiB, past which the HTTP layer refuses a request before the application sees it):
// a list takes a hundred parameters and a `filter` object with as many members.

/// Longest text in a query parameter.
const TEXT_MAX: usize = 200;
/// Longest text, and most values, of one member of the `filter` object (`id`: a page of ids).
const MEMBER_TEXT_MAX: usize = 40;
const MEMBER_VALUES_MAX: usize = 5;
const IDS_MAX: usize = 100;

/// A string of at most `max` characters.
fn text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max})
}

/// The names, for a description.
fn listed(names: &[&str]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

fn value_schema(ty: FieldType, max: usize) -> Value {
    match ty {
        FieldType::Uuid => json!({"type": "string", "format": "uuid"}),
        FieldType::Text | FieldType::Reference => text(max),
        FieldType::Int => json!({"type": "integer", "format": "int64"}),
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::Timestamp => json!({"type": "string", "format": "date-time"}),
        FieldType::Enum(values) => json!({"type": "string", "enum": values}),
    }
}

fn operators(ty: FieldType) -> &'static [&'static str] {
    match ty {
        FieldType::Text => &["ne", "like", "gte", "lte", "gt", "lt"],
        FieldType::Int | FieldType::Timestamp => &["ne", "gte", "lte", "gt", "lt"],
        _ => &["ne"],
    }
}

fn query_param(name: &str, description: String, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// A query value schema that also admits the empty string, which the parser reads as "absent".
fn or_empty(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "string", "maxLength": 0}]})
}

fn filter_params(field: &FilterField) -> Vec<Value> {
    let how = match field.ty {
        FieldType::Reference => " by id or slug; comma-separate for any of",
        FieldType::Uuid | FieldType::Enum(_) => "; repeat for any of",
        _ => "",
    };
    let mut params = Vec::new();
    for name in std::iter::once(&field.name).chain(field.aliases) {
        let schema = |op: &str| match field.ty {
            FieldType::Text => text(TEXT_MAX),
            _ if op == "like" => text(TEXT_MAX),
            ty => or_empty(value_schema(ty, TEXT_MAX)),
        };
        params.push(query_param(name, format!("`{}` equals{how}.", field.name), schema("eq")));
        for op in operators(field.ty) {
            params.push(query_param(&format!("{name}_{op}"), format!("`{}` {op}.", field.name), schema(op)));
        }
    }
    params
}

/// The simple-rest `filter` object: the same filters as query parameters, as JSON.
fn filter_object_schema(spec: &ResourceSpec) -> Value {
    let mut properties = serde_json::Map::new();
    for field in spec.filters.iter().flat_map(|group| group.iter()) {
        let schema = value_schema(field.ty, MEMBER_TEXT_MAX);
        let most = if field.name == "id" { IDS_MAX } else { MEMBER_VALUES_MAX };
        let any_of = json!({"anyOf": [schema.clone(), {"type": "array", "items": schema, "maxItems": most}, {"type": "null"}]});
        for name in std::iter::once(&field.name).chain(field.aliases) {
            properties.insert((*name).to_owned(), any_of.clone());
            for op in operators(field.ty) {
                let op_schema = if *op == "like" { text(MEMBER_TEXT_MAX) } else { value_schema(field.ty, MEMBER_TEXT_MAX) };
                properties.insert(format!("{name}_{op}"), op_schema);
            }
        }
    }
    json!({"type": "object", "properties": properties, "additionalProperties": false})
}

/// A comma list of names, with the names allowed in the description.
fn names_param(param: &mut Value, what: &str, names: &[&str]) {
    param["schema"] = text(500);
    param["description"] = json!(format!("{what}, comma-separated: {}.", listed(names)));
}

fn complete_list_operation(operation: &mut Value, spec: &ResourceSpec) {
    let Some(params) = operation.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for param in params.iter_mut() {
        match param["name"].as_str() {
            Some("sort") => {
                param["schema"] = text(500);
                param["description"] = json!(format!(
                    "Sort fields, comma-separated, `-` for descending (`-published_at,title`), or simple-rest's `[\"title\",\"ASC\"]`. Sortable: {}.",
                    listed(spec.sorts)
                ));
            }
            Some("_sort") => names_param(param, "json-server sort fields", spec.sorts),
            Some("include") => names_param(param, "Relations to embed", spec.includes),
            Some("fields") => {
                names_param(param, "Fields to return (`id` always comes)", spec.fields);
                if !spec.list_omits.is_empty() {
                    let described = param["description"].as_str().unwrap_or_default().to_owned();
                    param["description"] = json!(format!("{described} Without `fields`, a list leaves out {}.", listed(spec.list_omits)));
                }
            }
            Some("filter") => {
                param.as_object_mut().map(|p| p.remove("schema"));
                // A small example: without one, Swagger UI fills the field with a sample of every
                // filter, a URL too long to send.
                param["content"] = json!({"application/json": {"schema": filter_object_schema(spec), "example": {}}});
            }
            _ => {}
        }
    }
    if spec.includes.is_empty() {
        params.retain(|p| p["name"] != "include");
    }
    if spec.fields.is_empty() {
        params.retain(|p| p["name"] != "fields");
    }
    if !spec.searchable {
        params.retain(|p| p["name"] != "q");
    }
    for field in spec.filters.iter().flat_map(|group| group.iter()) {
        params.extend(filter_params(field));
    }
    if spec.filter_field("published_at").is_some() {
        for (name, relation) in [("published_after", "after"), ("published_before", "before")] {
            params.push(query_param(name, format!("Published {relation} this instant."), or_empty(value_schema(FieldType::Timestamp, TEXT_MAX))));
        }
    }
    let omitted = if spec.list_omits.is_empty() {
        String::new()
    } else {
        format!(" Items leave out {} unless `fields` names them; a single-item GET returns them.", spec.list_omits.join(" and "))
    };
    operation["description"] = json!(format!(
        "Sortable by: {}. Embeddable with `include`: {}. Selectable with `fields`: {}.{omitted} An empty parameter counts as absent.",
        spec.sorts.join(", "),
        if spec.includes.is_empty() { "nothing".to_owned() } else { spec.includes.join(", ") },
        spec.fields.join(", ")
    ));
}

fn complete_item_operation(operation: &mut Value, spec: &ResourceSpec) {
    let Some(params) = operation.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for param in params.iter_mut() {
        match param["name"].as_str() {
            Some("include") => names_param(param, "Relations to embed", spec.includes),
            Some("fields") => names_param(param, "Fields to return (`id` always comes)", spec.fields),
            _ => {}
        }
    }
}

/// Reads with `fields=` return only some fields, so their responses point at a sparse copy of
/// the record schema in which only `id` is required (`ContentRecord` → `SparseContentRecord`).
fn document_sparse_responses(doc: &mut Value) {
    let mut sparse = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(operation) = item.get_mut("get") else { continue };
            let takes_fields = operation["parameters"].as_array().is_some_and(|params| params.iter().any(|p| p["name"] == "fields"));
            let Some(schema) = operation.pointer_mut("/responses/200/content/application~1json/schema").filter(|_| takes_fields) else { continue };
            let reference = if schema["type"] == "array" { &mut schema["items"]["$ref"] } else { &mut schema["$ref"] };
            if let Some(name) = reference.as_str().and_then(|r| r.strip_prefix("#/components/schemas/")).map(str::to_owned) {
                *reference = json!(format!("#/components/schemas/Sparse{name}"));
                sparse.push(name);
            }
        }
    }
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    for name in sparse {
        let Some(mut copy) = schemas.get(&name).cloned() else { continue };
        only_id_required(&mut copy);
        copy["required"] = json!(["id"]);
        copy["description"] = json!(format!("{name} as read: every field, or with `fields=` only those named (and `id`)."));
        schemas.insert(format!("Sparse{name}"), copy);
    }
}

/// Drops every requirement but `id` from a schema and the schemas it is composed of (a record
/// with kind-specific fields is an `allOf` of the common part and a `oneOf` of the kinds).
fn only_id_required(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else { return };
    if let Some(required) = object.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|name| name == "id");
        if required.is_empty() {
            object.remove("required");
        }
    }
    for composed in ["allOf", "anyOf", "oneOf"] {
        if let Some(parts) = object.get_mut(composed).and_then(Value::as_array_mut) {
            for part in parts.iter_mut() {
                // A referenced part (the kinds' own fields, one of which must match) is required
                // whole; in a sparse record none of it need be there.
                if part.get("$ref").is_some() {
                    *part = json!({"description": "Fields that only this kind has, those that were selected."});
                }
                only_id_required(part);
            }
        }
    }
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// Whether `path` is a content item or one of its sub-resources, whose writes carry a version.
fn is_content_item(path: &str) -> bool {
    ["essays", "analyses", "blog-posts", "news-links"].iter().any(|collection| path.starts_with(&format!("/api/v1/{collection}/{{id}}")))
}

/// Whether a write to `path` checks the version it is based on (`If-Match` or `version`):
/// every replace and patch, deletes of content and catalog entries, and the workflow actions
/// and revision restores of content.
fn checks_version(path: &str, method: &str) -> bool {
    let catalog = ["blogs", "editors", "sectors", "tags", "questions"].iter().any(|c| path.starts_with(&format!("/api/v1/{c}/{{")));
    path.contains('{')
        && (matches!(method, "put" | "patch") || (method == "delete" && (catalog || is_content_item(path))) || (method == "post" && is_content_item(path)))
}

/// Adds the answers every operation can give but that are tedious to repeat on each: a query
/// parameter that is unknown or malformed (400) and credentials that are not valid (401) on every
/// path, refusals (403) and conflicts with the stored state (409: in use, taken, not allowed now)
/// on writes, missing items on item paths, stale versions on versioned writes (412; 428 when
/// content writes name none), an unavailable database (503), and body problems where there is a
/// body.
fn document_common_answers(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            let has_body = operation.get("requestBody").is_some();
            let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            if path.starts_with("/api/v1") && method == "get" {
                responses.entry("304".to_owned()).or_insert_with(|| json!({"description": "Not modified: `If-None-Match` names the current `ETag`"}));
            }
            let mut add = |status: &str, description: &str| {
                responses.entry(status.to_owned()).or_insert_with(|| problem(description));
            };
            let api = path.starts_with("/api/v1");
            let write = api && method != "get" && !path.starts_with("/api/v1/auth");
            if api {
                add("400", "A query parameter, header or path segment that is unknown or not valid");
                add("401", "Credentials that are not (or no longer) valid, or none where they are needed");
                add("429", "Over this client's rate limit; retry after `Retry-After` seconds (`RateLimit` and `RateLimit-Policy` tell the budget)");
                add("503", "The database is unavailable; retry after `Retry-After` seconds");
            }
            if write {
                add("403", "Not allowed");
                add("409", "Conflicts with what is stored (in use, already taken, or not allowed in its state)");
            }
            if path.contains('{') {
                add("404", "Not found");
            }
            if write && checks_version(path, method) {
                add("412", "`version` or `If-Match` names a version that is no longer current");
            }
            if write && is_content_item(path) && method != "delete" {
                add("428", "Neither `version` nor `If-Match` says which version the change is based on");
            }
            if has_body {
                add("400", "Malformed JSON");
                add("413", "Body over the size limit");
                add("415", "Not application/json");
                add("422", "Invalid fields (see `errors`)");
            }
        }
    }
}

/// Gives every text query parameter that has no bound yet (paging, `_order`, `cursor`…) the
/// bound of [`TEXT_MAX`].
fn bound_query_texts(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
        for param in operation.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
            let in_query = param["in"] == "query";
            // `filter` has a `content` instead of a `schema`.
            let Some(schema) = param.get_mut("schema") else { continue };
            let is_text = schema["type"] == "string" || schema["type"].as_array().is_some_and(|types| types.contains(&json!("string")));
            if in_query && is_text && schema.get("maxLength").is_none() && schema.get("format").is_none() && schema.get("enum").is_none() {
                schema["maxLength"] = json!(TEXT_MAX);
            }
        }
    }
}

/// The complete OpenAPI document.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    document_common_answers(&mut doc);
    for (path, spec) in collections() {
        if let Some(operation) = doc.pointer_mut(&format!("/paths/{}/get", path.replace('/', "~1"))) {
            complete_list_operation(operation, spec);
        }
        let item = format!("{path}/{{id_or_slug}}");
        if let Some(operation) = doc.pointer_mut(&format!("/paths/{}/get", item.replace('/', "~1"))) {
            complete_item_operation(operation, spec);
        }
    }
    document_sparse_responses(&mut doc);
    bound_query_texts(&mut doc);
    doc
}

/// The document as pretty JSON, built once: what `/openapi.json` serves and `docs/openapi.json` holds.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_string_pretty(&document()).unwrap_or_default())
}
