//! Content as clients write it: the input and the fields they read but cannot write.

use serde::Deserialize;
use uuid::Uuid;

use crate::domain::ContentStatus;
use crate::services::read_only::ReadOnly;

/// Fields the API computes or embeds. Clients may send them back as they read them (admin UIs
/// do); `version` is read apart, as the version the client last saw.
pub(super) const READ_ONLY: &[ReadOnly] = &[
    ReadOnly::Computed { name: "id", how: "the server gives every item its id" },
    ReadOnly::Computed { name: "kind", how: "the collection written to sets it" },
    ReadOnly::Computed { name: "body_html", how: "write `body` (Markdown); the server renders it" },
    ReadOnly::Computed { name: "published_at", how: "the `publish` action sets it" },
    ReadOnly::Computed { name: "scheduled_at", how: "the `schedule` action sets it" },
    ReadOnly::Computed { name: "reading_time_minutes", how: "the server computes it from `body`" },
    ReadOnly::Computed { name: "word_count", how: "the server computes it from `body`" },
    ReadOnly::Computed { name: "created_at", how: "the server keeps it" },
    ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
    ReadOnly::Computed { name: "news_source_id", how: "the news source that found the story keeps it" },
    ReadOnly::Embed { name: "authors", ids: "author_ids", many: true },
    ReadOnly::Embed { name: "sectors", ids: "sector_ids", many: true },
    ReadOnly::Embed { name: "tags", ids: "tag_ids", many: true },
    ReadOnly::Embed { name: "blog", ids: "blog_id", many: false },
    ReadOnly::Embed { name: "question", ids: "question_id", many: false },
];

/// A content item as clients write it. Kind-specific fields are refused on other kinds.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ContentInput {
    /// Generated from the title when absent.
    #[serde(default)]
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub body: Option<String>,
    /// Only `draft` on creation; changes go through the workflow actions.
    #[serde(default)]
    pub status: Option<ContentStatus>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub author_ids: Vec<Uuid>,
    #[serde(default)]
    pub byline: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub sector_ids: Vec<Uuid>,
    #[serde(default)]
    #[cfg_attr(feature = "adapters", graphql(default))]
    pub tag_ids: Vec<Uuid>,
    #[serde(default)]
    pub featured_image_url: Option<String>,
    #[serde(default)]
    pub seo_title: Option<String>,
    #[serde(default)]
    pub seo_description: Option<String>,
    /// Essays and strategy analyses.
    #[serde(default)]
    pub question_id: Option<Uuid>,
    /// Essays.
    #[serde(default)]
    pub featured: Option<bool>,
    /// Strategy analyses.
    #[serde(default)]
    pub key_takeaways: Option<Vec<String>>,
    /// Blog posts (required).
    #[serde(default)]
    pub blog_id: Option<Uuid>,
    /// News links (required, unique).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub source_name: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
    #[serde(default)]
    pub commentary: Option<String>,
}

