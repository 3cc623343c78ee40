//! The full-text search index: one document per content item, the text the API searches, and
//! each database's own index over it (SQLite FTS5, PostgreSQL a weighted `tsvector` with GIN).
//!
//! The API writes a document in the same transaction as every content write; the database only
//! keeps its index in step with the documents.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// FTS5 keeps its own copy of nothing (`content=`): it indexes `search_documents` by its integer
/// key, which `VACUUM` never renumbers. Triggers keep the index in step with the documents.
const SQLITE_INDEX: &[&str] = &[
    "CREATE VIRTUAL TABLE search_index USING fts5(title, lead, body, people, content='search_documents', content_rowid='doc_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER search_documents_inserted AFTER INSERT ON search_documents BEGIN
       INSERT INTO search_index(rowid, title, lead, body, people) VALUES (new.doc_id, new.title, new.lead, new.body, new.people);
     END",
    "CREATE TRIGGER search_documents_deleted AFTER DELETE ON search_documents BEGIN
       INSERT INTO search_index(search_index, rowid, title, lead, body, people) VALUES ('delete', old.doc_id, old.title, old.lead, old.body, old.people);
     END",
    "CREATE TRIGGER search_documents_updated AFTER UPDATE ON search_documents BEGIN
       INSERT INTO search_index(search_index, rowid, title, lead, body, people) VALUES ('delete', old.doc_id, old.title, old.lead, old.body, old.people);
       INSERT INTO search_index(rowid, title, lead, body, people) VALUES (new.doc_id, new.title, new.lead, new.body, new.people);
     END",
    // The indexed words and how many documents hold each: the source of spelling suggestions.
    "CREATE VIRTUAL TABLE search_vocabulary USING fts5vocab(search_index, row)",
];

/// The API computes the vector from folded text (lowercase, no diacritics), as it folds queries.
const POSTGRES_INDEX: &[&str] = &[
    "ALTER TABLE search_documents ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX search_documents_vector ON search_documents USING GIN (search_vector)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("search_documents")
                    .col(pk_auto("doc_id"))
                    .col(uuid("content_id").unique_key())
                    .col(text("title"))
                    .col(text("lead"))
                    .col(text("body"))
                    .col(text("people"))
                    .foreign_key(&mut fk("search_documents", "content_id", "content_items", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => SQLITE_INDEX,
            _ => POSTGRES_INDEX,
        };
        for statement in statements {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            for statement in ["DROP TABLE search_vocabulary", "DROP TABLE search_index"] {
                manager.get_connection().execute_unprepared(statement).await?;
            }
        }
        drop_tables(manager, &["search_documents"]).await
    }
}
