//! Export and import of the whole publication as one versioned dump (JSON lines), the way to move
//! between databases (SQLite ⇄ PostgreSQL) and to keep a copy that any version can read back.
//!
//! The dump is a header line, one line per row (`{"table": …, "row": {…}}`) in an order that
//! satisfies every foreign key, and an end line with the row count, so a cut-off file is refused.
//! Rows are the stored values as they are; the search index is derived and is rebuilt on import.

use std::io::{BufRead, Write};

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel, Iterable,
    PaginatorTrait, PrimaryKeyToColumn, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the first line of every dump says it is.
pub const FORMAT: &str = "organizing-upgrade-dump";
/// The dump version this build writes and reads.
pub const VERSION: u32 = 1;

/// Rows read and written per statement.
const BATCH: u64 = 200;

/// The first line of a dump.
#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The dump version ([`VERSION`] when written by this build).
    pub version: u32,
    /// The server version that wrote it.
    pub app_version: String,
    /// When it was written.
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// Whether password hashes, API key digests, webhook secrets and sessions are in it.
    pub secrets: bool,
    /// The change log's position when it was written; sync tokens and webhooks go on from there.
    pub change_log_position: i64,
}

/// The last line of a dump.
#[derive(Debug, Serialize, Deserialize)]
struct End {
    end: bool,
    rows: u64,
}

/// A row line.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    table: String,
    row: Value,
}

/// Columns that hold secrets, written as `null` without secrets. On import a missing hash becomes
/// one that matches nothing (the account or key must get a new one), a missing webhook secret a
/// new random one.
const SECRET_COLUMNS: &[(&str, &str)] = &[
    ("users", "password_hash"),
    ("api_keys", "key_hash"),
    ("webhooks", "secret"),
    ("webhooks", "previous_secret"),
];

/// Tables left out whole without secrets: a session is nothing but its token.
const SECRET_TABLES: &[&str] = &["refresh_sessions"];

/// A stored hash no password or key ever matches.
const NO_HASH: &str = "!";

/// Why an export or import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The file is not a dump this build can read.
    #[error("{0}")]
    Format(String),
    /// The target database already holds a publication.
    #[error("the database is not empty ({0}); import into an empty database, or pass --replace to delete everything in it first")]
    NotEmpty(String),
    /// Reading or writing the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The database refused.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A row did not fit its table.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// A service the import calls refused.
    #[error("{0}")]
    Service(#[from] crate::error::AppError),
}

/// Invokes `$action!(table name, entity)` for every table, parents before children.
macro_rules! every_table {
    ($action:ident) => {
        $action! {
            "sectors" => entity::sector,
            "tags" => entity::tag,
            "key_questions" => entity::key_question,
            "roles" => entity::role,
            "permissions" => entity::permission,
            "users" => entity::user,
            "user_sectors" => entity::user_sector,
            "editors" => entity::editor,
            "editor_sectors" => entity::editor_sector,
            "blogs" => entity::blog,
            "blog_bloggers" => entity::blog_blogger,
            "news_sources" => entity::news_source,
            "news_source_sectors" => entity::news_source_sector,
            "news_source_entries" => entity::news_source_entry,
            "content_items" => entity::content_item,
            "content_bodies" => entity::content_body,
            "content_authors" => entity::content_author,
            "content_sectors" => entity::content_sector,
            "content_tags" => entity::content_tag,
            "content_slug_redirects" => entity::content_slug_redirect,
            "revisions" => entity::revision,
            "news_stories" => entity::news_story,
            "api_keys" => entity::api_key,
            "refresh_sessions" => entity::refresh_session,
            "audit_log" => entity::audit_log,
            "changes" => entity::change,
            "change_log_marks" => entity::change_log_mark,
            "webhooks" => entity::webhook,
            "webhook_deliveries" => entity::webhook_delivery,
            "webhook_attempts" => entity::webhook_attempt,
        }
    };
}

macro_rules! table_names {
    ($($name:literal => $module:path),* $(,)?) => { &[$($name),*] };
}

/// Every table a dump holds, parents before children.
pub const TABLES: &[&str] = every_table!(table_names);

/// Writes a dump of everything in `db` to `out`, read in one transaction so it is consistent
/// while writes go on. Returns the number of rows.
pub async fn export(db: &DatabaseConnection, out: &mut impl Write, secrets: bool) -> Result<u64, TransferError> {
    use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
    // A SQLite read transaction is a snapshot already; PostgreSQL needs to be asked for one.
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?,
        _ => db.begin().await?,
    };
    // Reading the position also makes SQLite take its snapshot here, before the first table.
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        app_version: env!("CARGO_PKG_VERSION").into(),
        exported_at: crate::clock::now(),
        secrets,
        change_log_position: crate::services::changes::position(&txn).await?,
    };
    writeln!(out, "{}", serde_json::to_string(&header)?)?;
    let mut rows = 0;
    macro_rules! export_tables {
        ($($name:literal => $module:path),* $(,)?) => {
            $(
                {
                    use $module as table;
                    if secrets || !SECRET_TABLES.contains(&$name) {
                        rows += export_table::<table::Entity>(&txn, out, $name, secrets).await?;
                    }
                }
            )*
        };
    }
    every_table!(export_tables);
    writeln!(out, "{}", serde_json::to_string(&End { end: true, rows })?)?;
    out.flush()?;
    txn.commit().await?;
    Ok(rows)
}

async fn export_table<E>(txn: &impl ConnectionTrait, out: &mut impl Write, table: &str, secrets: bool) -> Result<u64, TransferError>
where
    E: EntityTrait,
    E::Model: Serialize + Sync,
{
    let mut query = E::find();
    for key in E::PrimaryKey::iter() {
        query = query.order_by_asc(key.into_column());
    }
    let mut pages = query.paginate(txn, BATCH);
    let mut rows = 0;
    while let Some(models) = pages.fetch_and_next().await? {
        for model in models {
            let mut row = serde_json::to_value(&model)?;
            if !secrets {
                for (_, column) in SECRET_COLUMNS.iter().filter(|(t, _)| *t == table) {
                    row[*column] = Value::Null;
                }
            }
            serde_json::to_writer(&mut *out, &Line { table: table.to_owned(), row })?;
            out.write_all(b"\n")?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    /// The dump's header.
    pub header: Header,
    /// Rows written.
    pub rows: u64,
}

/// Reads a dump into `db` in one transaction: all of it or nothing. An empty database is
/// required unless `replace`, which deletes everything first (in the same transaction).
pub async fn import(db: &DatabaseConnection, input: impl BufRead, replace: bool) -> Result<Imported, TransferError> {
    let mut lines = input.lines();
    let first = lines.next().transpose()?.ok_or_else(|| TransferError::Format("the dump is empty".into()))?;
    let header = read_header(&first)?;
    let txn = crate::db::begin_write(db).await?;
    let held = rows_held(&txn).await?;
    if !held.is_empty() {
        if !replace {
            return Err(TransferError::NotEmpty(held.join(", ")));
        }
        for table in TABLES.iter().rev() {
            txn.execute_unprepared(&format!("DELETE FROM {table}")).await?;
        }
        entity::search_document::Entity::delete_many().exec(&txn).await?;
    }
    let mut batch: Vec<Value> = Vec::new();
    let mut current: Option<String> = None;
    let mut rows = 0;
    let mut end = None;
    for (number, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if end.is_some() {
            return Err(TransferError::Format(format!("line {}: there is more after the end of the dump", number + 2)));
        }
        if let Ok(last) = serde_json::from_str::<End>(&line) {
            end = Some(last.rows);
            continue;
        }
        let Line { table, row } = serde_json::from_str(&line)
            .map_err(|e| TransferError::Format(format!("line {}: not a row of a dump ({e})", number + 2)))?;
        if current.as_deref() != Some(table.as_str()) || batch.len() as u64 >= BATCH {
            if let Some(previous) = current.take() {
                insert_rows(&txn, &previous, std::mem::take(&mut batch)).await?;
            }
            if !TABLES.contains(&table.as_str()) {
                return Err(TransferError::Format(format!("line {}: unknown table `{table}`", number + 2)));
            }
            current = Some(table);
        }
        batch.push(fill_secrets(current.as_deref().unwrap_or_default(), row)?);
        rows += 1;
    }
    if let Some(table) = current {
        insert_rows(&txn, &table, batch).await?;
    }
    match end {
        Some(expected) if expected == rows => {}
        Some(expected) => return Err(TransferError::Format(format!("the dump says it holds {expected} rows but has {rows}"))),
        None => return Err(TransferError::Format("the dump ends before its end line: it was cut off".into())),
    }
    txn.commit().await?;
    crate::services::search::index::rebuild(db).await?;
    Ok(Imported { header, rows })
}

/// The header of a dump this build can read.
fn read_header(line: &str) -> Result<Header, TransferError> {
    let value: Value = serde_json::from_str(line).map_err(|_| TransferError::Format("this is not an Organizing Upgrade dump (its first line is not JSON)".into()))?;
    if value["format"] != FORMAT {
        return Err(TransferError::Format("this is not an Organizing Upgrade dump (its first line names no such format)".into()));
    }
    if value["version"] != VERSION {
        return Err(TransferError::Format(format!(
            "this dump has version {}, and this build of ou reads version {VERSION} only: import it with the version that wrote it ({})",
            value["version"], value["app_version"].as_str().unwrap_or("unknown"),
        )));
    }
    Ok(serde_json::from_value(value)?)
}

/// The tables that hold rows, with their counts.
async fn rows_held(txn: &impl ConnectionTrait) -> Result<Vec<String>, TransferError> {
    let mut held = Vec::new();
    macro_rules! count_tables {
        ($($name:literal => $module:path),* $(,)?) => {
            $(
                {
                    use $module as table;
                    let count = table::Entity::find().count(txn).await?;
                    if count > 0 {
                        held.push(format!("{count} {}", $name));
                    }
                }
            )*
        };
    }
    every_table!(count_tables);
    Ok(held)
}

/// A row's secrets as the import stores them when the dump was written without them.
fn fill_secrets(table: &str, mut row: Value) -> Result<Value, TransferError> {
    for (_, column) in SECRET_COLUMNS.iter().filter(|(t, _)| *t == table) {
        if row[*column].is_null() {
            row[*column] = match *column {
                "previous_secret" => Value::Null,
                "secret" => Value::String(crate::services::webhooks::signature::new_secret()?),
                _ => Value::String(NO_HASH.into()),
            };
        }
    }
    Ok(row)
}

async fn insert_rows(txn: &impl ConnectionTrait, table: &str, rows: Vec<Value>) -> Result<(), TransferError> {
    macro_rules! insert_into {
        ($($name:literal => $module:path),* $(,)?) => {
            match table {
                $($name => {
                    use $module as table;
                    insert_batch::<table::Entity, table::ActiveModel>(txn, $name, rows).await
                })*
                other => Err(TransferError::Format(format!("unknown table `{other}`"))),
            }
        };
    }
    every_table!(insert_into)
}

async fn insert_batch<E, A>(txn: &impl ConnectionTrait, table: &str, rows: Vec<Value>) -> Result<(), TransferError>
where
    E: EntityTrait<ActiveModel = A>,
    A: ActiveModelTrait<Entity = E> + sea_orm::TryIntoModel<E::Model> + Send,
    E::Model: IntoActiveModel<A> + Serialize + for<'de> Deserialize<'de>,
{
    if rows.is_empty() {
        return Ok(());
    }
    let models = rows
        .into_iter()
        .map(|row| A::from_json(row).map_err(|e| TransferError::Format(format!("a row of `{table}` does not fit it: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    E::insert_many(models).exec(txn).await?;
    Ok(())
}
