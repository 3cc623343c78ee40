//! Column and constraint shorthands shared by the migrations, so every table is declared alike.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

/// A new table with a UUID primary key `id` and `created_at`/`updated_at` timestamps.
pub fn entity_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(schema::pk_uuid("id"))
        .col(schema::timestamp_with_time_zone("created_at"))
        .col(schema::timestamp_with_time_zone("updated_at"))
        .take()
}

/// A join table with `created_at`/`updated_at` and a composite primary key.
pub fn link_table(name: &'static str, left: &'static str, right: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(schema::uuid(left))
        .col(schema::uuid(right))
        .col(schema::timestamp_with_time_zone("created_at"))
        .col(schema::timestamp_with_time_zone("updated_at"))
        .primary_key(Index::create().col(left).col(right))
        .take()
}

/// A foreign key from `table.column` to `target.id`.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .take()
}

/// A `CHECK (column IN (...))` over a fixed vocabulary.
pub fn one_of(column: &str, values: &[&str]) -> Expr {
    let list = values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Expr::cust(format!("{column} IN ({list})"))
}

/// Creates the given indexes (name, table, columns, unique).
pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: &[(&'static str, &'static str, &[&'static str], bool)],
) -> Result<(), DbErr> {
    for (name, table, cols, unique) in indexes {
        let mut index = Index::create().name(*name).table(*table).take();
        for col in *cols {
            index.col(*col);
        }
        if *unique {
            index.unique();
        }
        manager.create_index(index).await?;
    }
    Ok(())
}

/// Drops tables in the given order (children first).
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).if_exists().take())
            .await?;
    }
    Ok(())
}
