//! Schema migrations: every schema change is one migration that runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261125_000001_create_taxonomy;
mod m20261125_000002_create_accounts;
mod m20261125_000003_create_content;
mod m20261125_000004_create_operations;
mod m20261202_000005_versions_and_text;
mod m20261202_000006_change_log_and_webhooks;
mod m20261202_000007_search_index;
mod m20261202_000008_news_sources;

/// The ordered list of migrations the `ou` binary applies.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_taxonomy::Migration),
            Box::new(m20261125_000002_create_accounts::Migration),
            Box::new(m20261125_000003_create_content::Migration),
            Box::new(m20261125_000004_create_operations::Migration),
            Box::new(m20261202_000005_versions_and_text::Migration),
            Box::new(m20261202_000006_change_log_and_webhooks::Migration),
            Box::new(m20261202_000007_search_index::Migration),
            Box::new(m20261202_000008_news_sources::Migration),
        ]
    }
}
