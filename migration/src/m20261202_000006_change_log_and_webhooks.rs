//! The change log every visible write appends to, and the webhook endpoints, deliveries and
//! attempts derived from it.

use crate::columns::{create_indexes, drop_tables, entity_table, fk, one_of};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `seq` is assigned by the appender under a lock (never a sequence), so it has no gaps
        // and follows commit order on both databases.
        manager
            .create_table(
                Table::create()
                    .table("changes")
                    .col(big_integer("seq").primary_key())
                    .col(uuid("event_id").unique_key())
                    .col(text("kind"))
                    .col(uuid("item_id"))
                    .col(text("action"))
                    .col(integer_null("version"))
                    .col(boolean("public_before"))
                    .col(boolean("public_after"))
                    .col(json("summary"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .take(),
            )
            .await?;
        // Named positions in the log: how far webhook fan-out got, and up to where old changes
        // were pruned (a sync token from before that must start over).
        manager
            .create_table(
                Table::create()
                    .table("change_log_marks")
                    .col(text("name").primary_key())
                    .col(big_integer("seq"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("webhooks")
                    .col(text("url"))
                    .col(text("description"))
                    .col(json("events"))
                    .col(json("kinds"))
                    .col(json("sector_ids"))
                    .col(boolean("active"))
                    .col(text("secret"))
                    .col(text_null("previous_secret"))
                    .col(timestamp_with_time_zone_null("previous_secret_expires_at"))
                    .col(integer("consecutive_failures").default(0))
                    .col(text_null("disabled_reason"))
                    .col(timestamp_with_time_zone_null("disabled_at"))
                    .col(big_integer("after_seq"))
                    .col(integer("version").default(1))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("webhook_deliveries")
                    .col(uuid("webhook_id"))
                    .col(uuid("event_id"))
                    .col(big_integer_null("change_seq"))
                    .col(text("event_type"))
                    .col(text("payload"))
                    .col(text("state").check(one_of("state", &["pending", "succeeded", "failed"])))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(uuid_null("lease_token"))
                    .col(integer_null("last_status"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .foreign_key(&mut fk("webhook_deliveries", "webhook_id", "webhooks", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("webhook_attempts")
                    .col(uuid("delivery_id"))
                    .col(uuid("webhook_id"))
                    .col(integer("attempt"))
                    .col(integer_null("status_code"))
                    .col(integer("duration_ms"))
                    .col(text_null("response_excerpt"))
                    .col(text_null("error"))
                    .col(boolean("succeeded"))
                    .foreign_key(&mut fk("webhook_attempts", "delivery_id", "webhook_deliveries", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            &[
                ("idx_changes_occurred_at", "changes", &["occurred_at"], false),
                ("idx_changes_item", "changes", &["item_id", "seq"], false),
                ("uq_webhook_deliveries_event", "webhook_deliveries", &["webhook_id", "event_id"], true),
                ("idx_webhook_deliveries_due", "webhook_deliveries", &["state", "next_attempt_at"], false),
                ("idx_webhook_attempts_delivery", "webhook_attempts", &["delivery_id", "attempt"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["webhook_attempts", "webhook_deliveries", "webhooks", "change_log_marks", "changes"]).await
    }
}
