//! Indexes that serve every public content list without a scan or a sort: over the rows not in
//! the trash (partial indexes, `WHERE deleted_at IS NULL`, the same on both databases: PostgreSQL
//! cannot order by a column that follows an `IS NULL` one), each sortable column after `status`,
//! then `id` (the tiebreaker), `kind` and `deleted_at` (SQLite counts from the index alone only
//! when it holds every column the statement names, the partial index's own too), so a list of one
//! kind, or of all kinds, reads its page in order and counts its rows from the index alone. One
//! more leads with `kind` for the newest items of a kind (the most asked-for list, with `featured`
//! for the home page's), so a kind with few items is not looked for among all of them.

use sea_orm_migration::prelude::*;

use crate::columns::create_indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The sortable columns of content lists, each with its index.
const SORTED: &[(&str, &[&str])] = &[
    ("idx_content_items_listed_published_at", &["status", "published_at", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_created_at", &["status", "created_at", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_updated_at", &["status", "updated_at", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_title", &["status", "title", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_slug", &["status", "slug", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_scheduled_at", &["status", "scheduled_at", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_reading_time", &["status", "reading_time_minutes", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_word_count", &["status", "word_count", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_version", &["status", "version", "id", "kind", "deleted_at"]),
    ("idx_content_items_listed_kind", &["status", "kind", "id", "deleted_at"]),
    ("idx_content_items_listed_id", &["status", "id", "kind", "deleted_at"]),
    ("idx_content_items_kind_listed", &["kind", "status", "published_at", "id", "deleted_at", "featured"]),
];

/// Indexes these replace.
const REPLACED: &[(&str, &[&str])] = &[
    ("idx_content_items_kind_status_published_at", &["kind", "status", "published_at", "id"]),
    ("idx_content_items_status_published_at", &["status", "published_at", "id"]),
    ("idx_content_items_status_scheduled_at", &["status", "scheduled_at"]),
];

/// The scheduler's index, now ending in `id` too, so it also serves a sort by schedule.
const SCHEDULED: (&str, &str, &[&str], bool) = ("idx_content_items_scheduled", "content_items", &["status", "scheduled_at", "id"], false);

async fn drop_all(manager: &SchemaManager<'_>, indexes: &[(&str, &[&str])]) -> Result<(), DbErr> {
    for (name, _) in indexes {
        manager.drop_index(Index::drop().name(*name).table("content_items").to_owned()).await?;
    }
    Ok(())
}

async fn create_listed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    for (name, columns) in SORTED {
        let sql = format!("CREATE INDEX {name} ON content_items ({}) WHERE deleted_at IS NULL", columns.join(", "));
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, REPLACED).await?;
        create_indexes(manager, &[SCHEDULED]).await?;
        create_listed(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, SORTED).await?;
        drop_all(manager, &[(SCHEDULED.0, SCHEDULED.2)]).await?;
        let replaced: Vec<_> = REPLACED.iter().map(|(name, columns)| (*name, "content_items", *columns, false)).collect();
        create_indexes(manager, &replaced).await
    }
}
