//! News aggregation: the feeds collectors follow (with their sectors, polling health and a
//! lease so one node polls a source at a time), the entries each source has shown, the stories
//! known by canonical URL (kept when a draft is dismissed, so it never comes back), and the
//! source of each news link.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_indexes, drop_tables, entity_table, fk, link_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table("news_sources")
                    .col(text("url"))
                    .col(text("name"))
                    .col(text_null("feed_title"))
                    .col(text_null("site_url"))
                    .col(boolean("active"))
                    .col(integer("poll_interval_minutes"))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone_null("last_polled_at"))
                    .col(timestamp_with_time_zone_null("last_success_at"))
                    .col(text_null("last_status"))
                    .col(text_null("last_error"))
                    .col(integer("consecutive_failures").default(0))
                    .col(timestamp_with_time_zone("next_poll_at"))
                    .col(big_integer("items_seen").default(0))
                    .col(big_integer("drafts_created").default(0))
                    .col(text_null("paused_reason"))
                    .col(text_null("etag"))
                    .col(text_null("last_modified"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(uuid_null("lease_token"))
                    .col(uuid_null("created_by"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                link_table("news_source_sectors", "source_id", "sector_id")
                    .foreign_key(&mut fk("news_source_sectors", "source_id", "news_sources", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("news_source_sectors", "sector_id", "sectors", ForeignKeyAction::Restrict))
                    .take(),
            )
            .await?;
        // What each source has shown, by our own identity of an entry (its GUID, else its
        // canonical URL), so a poll passes over what it saw before.
        manager
            .create_table(
                Table::create()
                    .table("news_source_entries")
                    .col(uuid("source_id"))
                    .col(text("entry_key"))
                    .col(timestamp_with_time_zone("seen_at"))
                    .primary_key(Index::create().col("source_id").col("entry_key"))
                    .foreign_key(&mut fk("news_source_entries", "source_id", "news_sources", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        // Every story ever drafted, by canonical URL, whatever became of its news link.
        manager
            .create_table(
                entity_table("news_stories")
                    .col(text("canonical_url").unique_key())
                    .col(uuid_null("source_id"))
                    .col(uuid_null("content_id"))
                    .foreign_key(&mut fk("news_stories", "source_id", "news_sources", ForeignKeyAction::SetNull))
                    .foreign_key(&mut fk("news_stories", "content_id", "content_items", ForeignKeyAction::SetNull))
                    .take(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("content_items").add_column(uuid_null("news_source_id")).take())
            .await?;
        create_indexes(
            manager,
            &[
                ("idx_news_sources_next_poll_at", "news_sources", &["active", "next_poll_at"], false),
                ("idx_news_source_sectors_sector_id", "news_source_sectors", &["sector_id"], false),
                ("idx_content_items_news_source_id", "content_items", &["news_source_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_content_items_news_source_id").table("content_items").to_owned()).await?;
        manager.alter_table(Table::alter().table("content_items").drop_column("news_source_id").take()).await?;
        drop_tables(manager, &["news_stories", "news_source_entries", "news_source_sectors", "news_sources"]).await
    }
}
