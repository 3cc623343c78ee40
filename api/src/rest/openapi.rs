//! The OpenAPI document: the derived paths, plus each collection's own filters read from its spec.

use utoipa::OpenApi;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{OpenApi as Document, Required};

use crate::listing::{FieldType, FilterField, ResourceSpec};
use crate::rest::ApiDoc;
use crate::services::{blogs, content, editors, taxonomy};

/// Each list path and the spec its parser uses.
fn collections() -> [(&'static str, &'static ResourceSpec); 10] {
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
    ]
}

fn schema_for(ty: FieldType) -> ObjectBuilder {
    let object = ObjectBuilder::new();
    match ty {
        FieldType::Uuid => object.schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        FieldType::Text | FieldType::Reference => object.schema_type(Type::String),
        FieldType::Int => object.schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        FieldType::Bool => object.schema_type(Type::Boolean),
        FieldType::Timestamp => object.schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        FieldType::Enum(values) => object.schema_type(Type::String).enum_values(Some(values.iter().copied())),
    }
}

fn operators(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "`_ne`, `_like` (contains, any case), `_gte`, `_lte`, `_gt`, `_lt`",
        FieldType::Int | FieldType::Timestamp => "`_ne`, `_gte`, `_lte`, `_gt`, `_lt`",
        _ => "`_ne`",
    }
}

fn filter_parameter(name: &str, field: &FilterField) -> Parameter {
    let what = match field.ty {
        FieldType::Reference => "by id or slug; repeat or comma-separate for any of",
        FieldType::Uuid | FieldType::Enum(_) => "repeat or comma-separate for any of",
        _ => "exact match",
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(format!(
            "Filter on `{}` ({what}). Operators as suffixes: {}.",
            field.name,
            operators(field.ty)
        )))
        .schema(Some(schema_for(field.ty)))
        .build()
}

/// The complete OpenAPI document served at `/openapi.json`.
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    for (path, spec) in collections() {
        let Some(operation) = doc.paths.paths.get_mut(path).and_then(|item| item.get.as_mut()) else {
            continue;
        };
        let parameters = operation.parameters.get_or_insert_with(Vec::new);
        for field in spec.filters.iter().flat_map(|group| group.iter()) {
            parameters.push(filter_parameter(field.name, field));
            for alias in field.aliases {
                parameters.push(filter_parameter(alias, field));
            }
        }
        if spec.filter_field("published_at").is_some() {
            for (name, field) in [("published_after", "published_at >"), ("published_before", "published_at <")] {
                parameters.push(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Query)
                        .required(Required::False)
                        .description(Some(format!("Only items with {field} this instant (RFC 3339 or YYYY-MM-DD).")))
                        .schema(Some(schema_for(FieldType::Timestamp)))
                        .build(),
                );
            }
        }
        let includes = if spec.includes.is_empty() { "none".to_owned() } else { spec.includes.join(", ") };
        operation.description = Some(format!(
            "Sortable by: {}. Embeddable with `include`: {includes}. Selectable with `fields`: {}.",
            spec.sorts.join(", "),
            spec.fields.join(", ")
        ));
    }
    doc
}

/// The OpenAPI document as pretty JSON, as served and as kept in `docs/openapi.json`.
pub fn document_json() -> String {
    document().to_pretty_json().unwrap_or_default()
}
