//! Operational tables: API keys, refresh sessions, audit log, webhooks, news sources, job leases.

use crate::columns::{create_indexes, drop_tables, entity_table, fk, one_of};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table("api_keys")
                    .col(string_len("name", 200))
                    .col(string_len("prefix", 16))
                    .col(string_len("key_hash", 128).unique_key())
                    .col(string_len("scope", 20).check(one_of("scope", &["content", "preview"])))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("api_keys", "created_by", "users", ForeignKeyAction::SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("refresh_sessions")
                    .col(uuid("user_id"))
                    .col(uuid("family_id"))
                    .col(string_len("token_hash", 128).unique_key())
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(uuid_null("replaced_by"))
                    .col(string_len_null("user_agent", 500))
                    .col(string_len_null("ip", 64))
                    .foreign_key(&mut fk("refresh_sessions", "user_id", "users", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        // No foreign keys: the audit trail outlives the users, keys and items it names.
        manager
            .create_table(
                entity_table("audit_log")
                    .col(uuid_null("actor_user_id"))
                    .col(uuid_null("actor_api_key_id"))
                    .col(string_len("resource", 60))
                    .col(uuid_null("resource_id"))
                    .col(string_len("action", 60))
                    .col(integer_null("version_before"))
                    .col(integer_null("version_after"))
                    .col(json_null("details"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("webhooks")
                    .col(string_len("name", 200))
                    .col(string_len("url", 2048))
                    .col(string_len("secret", 200))
                    .col(json("events"))
                    .col(boolean("active").default(true))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("webhook_deliveries")
                    .col(uuid("webhook_id"))
                    .col(string_len("event", 100))
                    .col(json("payload"))
                    .col(string_len("status", 20).check(one_of("status", &["pending", "delivered", "failed"])))
                    .col(integer("attempts").default(0))
                    .col(integer_null("response_status"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(string_len_null("lease_owner", 100))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .foreign_key(&mut fk("webhook_deliveries", "webhook_id", "webhooks", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("news_sources")
                    .col(string_len("slug", 120).unique_key())
                    .col(string_len("name", 200))
                    .col(string_len("url", 2048))
                    .col(string_len_null("feed_url", 2048))
                    .col(uuid_null("sector_id"))
                    .col(boolean("active").default(true))
                    .col(timestamp_with_time_zone_null("last_fetched_at"))
                    .foreign_key(&mut fk("news_sources", "sector_id", "sectors", ForeignKeyAction::SetNull))
                    .take(),
            )
            .await?;
        // One row per background job; a node runs a job only while it holds the row's lease.
        manager
            .create_table(
                entity_table("job_leases")
                    .col(string_len("name", 100).unique_key())
                    .col(string_len_null("owner", 100))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            &[
                ("idx_refresh_sessions_family_id", "refresh_sessions", &["family_id"], false),
                ("idx_refresh_sessions_user_id", "refresh_sessions", &["user_id"], false),
                ("idx_audit_log_created_at", "audit_log", &["created_at"], false),
                ("idx_audit_log_resource", "audit_log", &["resource", "resource_id"], false),
                ("idx_webhook_deliveries_status_next", "webhook_deliveries", &["status", "next_attempt_at"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "job_leases",
                "news_sources",
                "webhook_deliveries",
                "webhooks",
                "audit_log",
                "refresh_sessions",
                "api_keys",
            ],
        )
        .await
    }
}
