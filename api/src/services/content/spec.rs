//! List parameters (filters, sorts, embeds, fields) of each content collection.

use crate::domain::ContentKind;
use crate::listing::{FieldType, FilterField, ResourceSpec, Sort};

/// Statuses a list may filter on; `trashed` lists the trash (for those who may restore from it).
const STATUSES: &[&str] = &["draft", "in_review", "scheduled", "published", "archived", "trashed"];
const KINDS: &[&str] = ContentKind::NAMES;

const COMMON_FILTERS: &[FilterField] = &[
    FilterField { name: "id", aliases: &[], ty: FieldType::Uuid },
    FilterField { name: "slug", aliases: &[], ty: FieldType::Text },
    FilterField { name: "title", aliases: &[], ty: FieldType::Text },
    FilterField { name: "status", aliases: &[], ty: FieldType::Enum(STATUSES) },
    FilterField { name: "sector", aliases: &["sector_id"], ty: FieldType::Reference },
    FilterField { name: "tag", aliases: &["tag_id"], ty: FieldType::Reference },
    FilterField { name: "author", aliases: &["author_id"], ty: FieldType::Reference },
    FilterField { name: "published_at", aliases: &[], ty: FieldType::Timestamp },
    FilterField { name: "scheduled_at", aliases: &[], ty: FieldType::Timestamp },
    FilterField { name: "created_at", aliases: &[], ty: FieldType::Timestamp },
    FilterField { name: "updated_at", aliases: &[], ty: FieldType::Timestamp },
    FilterField { name: "reading_time_minutes", aliases: &[], ty: FieldType::Int },
    FilterField { name: "word_count", aliases: &[], ty: FieldType::Int },
];
const QUESTION_FILTER: &[FilterField] = &[FilterField { name: "question", aliases: &["question_id"], ty: FieldType::Reference }];
const FEATURED_FILTER: &[FilterField] = &[FilterField { name: "featured", aliases: &[], ty: FieldType::Bool }];
const BLOG_FILTER: &[FilterField] = &[FilterField { name: "blog", aliases: &["blog_id"], ty: FieldType::Reference }];
const NEWS_FILTERS: &[FilterField] = &[
    FilterField { name: "source", aliases: &["news_source_id"], ty: FieldType::Uuid },
    FilterField { name: "source_name", aliases: &[], ty: FieldType::Text },
    FilterField { name: "url", aliases: &[], ty: FieldType::Text },
];
const KIND_FILTER: &[FilterField] = &[FilterField { name: "kind", aliases: &[], ty: FieldType::Enum(KINDS) }];

const SORTS: &[&str] = &[
    "published_at", "created_at", "updated_at", "title", "slug", "status", "scheduled_at",
    "reading_time_minutes", "word_count", "version", "id",
];
const DEFAULT_SORT: &[Sort] = &[Sort { field: "published_at", descending: true }];

/// The large fields lists leave out unless `fields=` names them: list views rarely show a body,
/// and the two bodies are most of an item's bytes.
const BODY_FIELDS: &[&str] = &["body", "body_html"];

macro_rules! content_fields {
    ($($extra:literal),*) => {
        &["kind", "slug", "title", "subtitle", "summary", "body", "body_html", "status", "published_at",
          "scheduled_at", "version", "author_ids", "byline", "sector_ids", "tag_ids", "featured_image_url",
          "seo_title", "seo_description", "reading_time_minutes", "word_count", "created_at", "updated_at"
          $(, $extra)*]
    };
}

/// List parameters for `/essays`.
pub static ESSAY_SPEC: ResourceSpec = ResourceSpec {
    name: "essays",
    filters: &[COMMON_FILTERS, QUESTION_FILTER, FEATURED_FILTER],
    sorts: SORTS,
    default_sort: DEFAULT_SORT,
    includes: &["authors", "sectors", "tags", "question"],
    fields: content_fields!("question_id", "featured"),
    searchable: true,
    list_omits: BODY_FIELDS,
};

/// List parameters for `/analyses`.
pub static ANALYSIS_SPEC: ResourceSpec = ResourceSpec {
    name: "analyses",
    filters: &[COMMON_FILTERS, QUESTION_FILTER],
    sorts: SORTS,
    default_sort: DEFAULT_SORT,
    includes: &["authors", "sectors", "tags", "question"],
    fields: content_fields!("question_id", "key_takeaways"),
    searchable: true,
    list_omits: BODY_FIELDS,
};

/// List parameters for `/blog-posts`.
pub static BLOG_POST_SPEC: ResourceSpec = ResourceSpec {
    name: "blog-posts",
    filters: &[COMMON_FILTERS, BLOG_FILTER],
    sorts: SORTS,
    default_sort: DEFAULT_SORT,
    includes: &["authors", "sectors", "tags", "blog"],
    fields: content_fields!("blog_id"),
    searchable: true,
    list_omits: BODY_FIELDS,
};

/// List parameters for `/news-links`.
pub static NEWS_LINK_SPEC: ResourceSpec = ResourceSpec {
    name: "news-links",
    filters: &[COMMON_FILTERS, NEWS_FILTERS],
    sorts: SORTS,
    default_sort: DEFAULT_SORT,
    includes: &["authors", "sectors", "tags"],
    fields: content_fields!("url", "source_name", "source_url", "commentary", "news_source_id"),
    searchable: true,
    list_omits: BODY_FIELDS,
};

/// The filters of content of every kind (`/content`, and search).
pub const ALL_KIND_FILTERS: &[&[FilterField]] = &[COMMON_FILTERS, KIND_FILTER, QUESTION_FILTER, FEATURED_FILTER, BLOG_FILTER, NEWS_FILTERS];

/// List parameters for `/content` (all kinds).
pub static ANY_CONTENT_SPEC: ResourceSpec = ResourceSpec {
    name: "content",
    filters: ALL_KIND_FILTERS,
    sorts: &[
        "published_at", "created_at", "updated_at", "title", "slug", "status", "scheduled_at",
        "reading_time_minutes", "word_count", "version", "kind", "id",
    ],
    default_sort: DEFAULT_SORT,
    includes: &["authors", "sectors", "tags", "blog", "question"],
    fields: content_fields!("question_id", "featured", "key_takeaways", "blog_id", "url", "source_name", "source_url", "commentary", "news_source_id"),
    searchable: true,
    list_omits: BODY_FIELDS,
};

/// The list parameters of one kind, or of all kinds.
pub fn spec(kind: Option<ContentKind>) -> &'static ResourceSpec {
    match kind {
        Some(ContentKind::Essay) => &ESSAY_SPEC,
        Some(ContentKind::StrategyAnalysis) => &ANALYSIS_SPEC,
        Some(ContentKind::BlogPost) => &BLOG_POST_SPEC,
        Some(ContentKind::NewsLink) => &NEWS_LINK_SPEC,
        None => &ANY_CONTENT_SPEC,
    }
}

#[cfg(test)]
mod tests {
    use super::STATUSES;
    use crate::domain::ContentStatus;

    #[test]
    fn status_filters_are_the_statuses_and_the_trash() {
        assert_eq!(&STATUSES[..STATUSES.len() - 1], ContentStatus::NAMES);
        assert_eq!(STATUSES.last(), Some(&"trashed"));
    }
}
