//! Versions for every editable catalog entry and account, text columns without a length of their
//! own, and no tables that nothing uses yet.
//!
//! Lengths are a rule of the validation (one limit per field, in the API's services); PostgreSQL
//! enforced a second, different one through `varchar(n)` and answered overflows with an error
//! the API could only report as a fault. SQLite never enforced them, so it needs no change.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::drop_tables;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows clients edit with optimistic concurrency.
const VERSIONED: &[&str] = &["sectors", "key_questions", "tags", "blogs", "editors", "users", "roles"];

/// Created for features that were designed later and differently; they never held rows.
const UNUSED: &[&str] = &["job_leases", "news_sources", "webhook_deliveries", "webhooks"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in VERSIONED {
            manager
                .alter_table(Table::alter().table(*table).add_column(integer("version").default(1)).take())
                .await?;
        }
        drop_tables(manager, UNUSED).await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            // varchar → text is binary-compatible: no table is rewritten, indexes stay valid.
            manager
                .get_connection()
                .execute_unprepared(
                    "DO $$ DECLARE c record; BEGIN
                       FOR c IN SELECT table_name, column_name FROM information_schema.columns
                                WHERE table_schema = current_schema() AND data_type = 'character varying'
                                  AND table_name <> 'seaql_migrations'
                       LOOP
                         EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE text', c.table_name, c.column_name);
                       END LOOP;
                     END $$",
                )
                .await?;
        }
        Ok(())
    }

    /// Takes the versions away again; the columns stay `text` and the unused tables stay gone
    /// (both lose nothing).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in VERSIONED {
            manager.alter_table(Table::alter().table(*table).drop_column("version").take()).await?;
        }
        Ok(())
    }
}
