//! Sectors, key questions and tags: the public vocabulary content is filed under.

use crate::columns::{create_indexes, drop_tables, entity_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table("sectors")
                    .col(string_len("slug", 120).unique_key())
                    .col(string_len("name", 200))
                    .col(text("description").default(""))
                    .col(integer("position").default(0))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("key_questions")
                    .col(string_len("slug", 120).unique_key())
                    .col(string_len("title", 200))
                    .col(text("prompt").default(""))
                    .col(integer("position").default(0))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("tags")
                    .col(string_len("slug", 120).unique_key())
                    .col(string_len("name", 200))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            &[
                ("idx_sectors_position", "sectors", &["position"], false),
                ("idx_key_questions_position", "key_questions", &["position"], false),
                ("idx_tags_name", "tags", &["name"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["tags", "key_questions", "sectors"]).await
    }
}
