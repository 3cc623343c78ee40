//! The text of one content item as search sees it (the databases index it; see the migration).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "search_documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub doc_id: i32,
    #[sea_orm(unique)]
    pub content_id: Uuid,
    /// The title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Subtitle, summary, key takeaways and commentary.
    #[sea_orm(column_type = "Text")]
    pub lead: String,
    /// The body as plain text.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Author names, byline, source, sector and tag names.
    #[sea_orm(column_type = "Text")]
    pub people: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
