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
mod m20261203_000009_list_indexes;

/// Applies every pending migration in one transaction together with their records, so a process
/// killed midway leaves the schema as it was and the next start begins again. sea-orm wraps
/// migrations in transactions on PostgreSQL only, though SQLite's DDL is transactional as well.
/// Nodes starting at once queue on the lock (SQLite's write lock, a PostgreSQL advisory lock) and
/// the later ones find nothing left to do.
pub async fn apply(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    let txn = begin_locked(db).await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Rolls back the last `steps` migrations, all in one transaction, like [`apply`].
pub async fn roll_back(db: &sea_orm::DatabaseConnection, steps: u32) -> Result<(), DbErr> {
    let txn = begin_locked(db).await?;
    Migrator::down(&txn, Some(steps)).await?;
    txn.commit().await
}

/// A transaction that holds the schema lock until it ends.
async fn begin_locked(db: &sea_orm::DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Any constant both nodes agree on; the lock ends with the transaction.
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7470001)").await?;
    }
    Ok(txn)
}

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
            Box::new(m20261203_000009_list_indexes::Migration),
        ]
    }
}
