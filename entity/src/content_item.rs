//! A content item of any kind; kind-specific columns are null for other kinds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "content_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub status: String,
    pub published_at: Option<DateTimeUtc>,
    pub scheduled_at: Option<DateTimeUtc>,
    pub version: i32,
    pub byline: Option<String>,
    pub featured: bool,
    pub question_id: Option<Uuid>,
    pub blog_id: Option<Uuid>,
    pub key_takeaways: Json,
    pub url: Option<String>,
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub commentary: Option<String>,
    /// The news source a news link was drafted from.
    pub news_source_id: Option<Uuid>,
    pub featured_image_url: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub reading_time_minutes: i32,
    pub word_count: i32,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
