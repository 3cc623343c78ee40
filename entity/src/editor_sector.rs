//! A sector an editor profile is rooted in.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "editor_sectors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub editor_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sector_id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
