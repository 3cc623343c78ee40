//! Roles, permissions, users and the public editor profiles linked to them.

use crate::columns::{create_indexes, drop_tables, entity_table, fk, link_table, one_of};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table("roles")
                    .col(string_len("name", 60).unique_key())
                    .col(text("description").default(""))
                    .col(boolean("builtin").default(false))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("permissions")
                    .col(uuid("role_id"))
                    .col(string_len("resource", 60))
                    .col(string_len("action", 60))
                    .col(string_len("scope", 20).check(one_of("scope", &["own", "sector", "all"])))
                    .foreign_key(&mut fk("permissions", "role_id", "roles", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("users")
                    .col(string_len("email", 320))
                    // Lower-cased copy of `email`: one portable unique index for case-insensitive emails.
                    .col(string_len("email_normalized", 320).unique_key())
                    .col(text("password_hash"))
                    .col(uuid("role_id"))
                    .col(boolean("disabled").default(false))
                    .col(timestamp_with_time_zone_null("last_login_at"))
                    // Access tokens issued before this instant are refused (logout-all, password change).
                    .col(timestamp_with_time_zone_null("tokens_valid_after"))
                    .foreign_key(&mut fk("users", "role_id", "roles", ForeignKeyAction::Restrict))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                link_table("user_sectors", "user_id", "sector_id")
                    .foreign_key(&mut fk("user_sectors", "user_id", "users", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("user_sectors", "sector_id", "sectors", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("editors")
                    .col(string_len("slug", 120).unique_key())
                    .col(string_len("display_name", 200))
                    .col(text("bio").default(""))
                    .col(string_len("team_role", 30).check(one_of(
                        "team_role",
                        &["editor", "blogger", "news_collector", "contributor"],
                    )))
                    .col(string_len_null("avatar_url", 2048))
                    .col(json("links"))
                    .col(boolean("visible").default(true))
                    .col(uuid_null("user_id").unique_key())
                    .foreign_key(&mut fk("editors", "user_id", "users", ForeignKeyAction::SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                link_table("editor_sectors", "editor_id", "sector_id")
                    .foreign_key(&mut fk("editor_sectors", "editor_id", "editors", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("editor_sectors", "sector_id", "sectors", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            &[
                ("uq_permissions_role_resource_action", "permissions", &["role_id", "resource", "action"], true),
                ("idx_users_role_id", "users", &["role_id"], false),
                ("idx_user_sectors_sector_id", "user_sectors", &["sector_id"], false),
                ("idx_editors_visible_display_name", "editors", &["visible", "display_name"], false),
                ("idx_editor_sectors_sector_id", "editor_sectors", &["sector_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["editor_sectors", "editors", "user_sectors", "users", "permissions", "roles"],
        )
        .await
    }
}
