//! Search documents: the searchable text of each content item, stored in the caller's
//! transaction by every write that changes it, and rebuilt on demand.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use entity::{content_author, content_body, content_item, content_sector, content_tag, editor, sector, search_document, tag};

use super::grammar::folded_words;
use crate::error::AppError;
use crate::policy::Principal;
use crate::rendering::plain_text;
use crate::services::changes::RecordKind;
use crate::services::editors::visible_editor_ids;

/// Items stored per statement.
const BATCH: usize = 100;
/// The part of a body that is searched, in characters: enough for any essay, and it keeps a
/// PostgreSQL vector of distinct words far below its 1 MB limit.
const BODY_CHARS: usize = 100_000;

/// One item's text, field by field, from the most to the least telling.
struct Document {
    content_id: Uuid,
    title: String,
    lead: String,
    body: String,
    people: String,
}

/// Stores (or replaces) the documents of these items.
pub async fn store(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), AppError> {
    for chunk in ids.chunks(BATCH) {
        let documents = documents(db, chunk).await?;
        write(db, &documents).await?;
    }
    Ok(())
}

/// Stores the documents of every item that names `record` (a renamed sector, tag or author
/// changes what their items are found by).
pub async fn store_linked(db: &impl ConnectionTrait, kind: RecordKind, record: Uuid) -> Result<(), AppError> {
    let ids: Vec<Uuid> = match kind {
        RecordKind::Sector => linked::<content_sector::Entity>(db, content_sector::Column::SectorId, content_sector::Column::ContentId, record).await?,
        RecordKind::Tag => linked::<content_tag::Entity>(db, content_tag::Column::TagId, content_tag::Column::ContentId, record).await?,
        RecordKind::Editor => linked::<content_author::Entity>(db, content_author::Column::EditorId, content_author::Column::ContentId, record).await?,
        _ => return Ok(()),
    };
    store(db, &ids).await
}

async fn linked<L: EntityTrait>(db: &impl ConnectionTrait, by: L::Column, content: L::Column, record: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(L::find().select_only().column(content).filter(by.eq(record)).into_tuple().all(db).await?)
}

/// Rebuilds every document in one transaction; returns how many items were indexed.
pub async fn rebuild(db: &DatabaseConnection) -> Result<u64, AppError> {
    let txn = crate::db::begin_write(db).await?;
    search_document::Entity::delete_many().exec(&txn).await?;
    let mut stored = 0;
    while let Some(batch) = missing(&txn).await? {
        store(&txn, &batch).await?;
        stored += batch.len() as u64;
    }
    txn.commit().await?;
    Ok(stored)
}

/// Stores the documents of items that have none (content written before the index existed),
/// a batch per transaction; returns how many.
pub async fn store_missing(db: &DatabaseConnection) -> Result<u64, AppError> {
    let mut stored = 0;
    loop {
        let txn = crate::db::begin_write(db).await?;
        let Some(batch) = missing(&txn).await? else {
            return Ok(stored);
        };
        store(&txn, &batch).await?;
        txn.commit().await?;
        stored += batch.len() as u64;
    }
}

/// A batch of items without a document, if any are left.
async fn missing(db: &impl ConnectionTrait) -> Result<Option<Vec<Uuid>>, AppError> {
    let ids: Vec<Uuid> = content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Id)
        .filter(content_item::Column::Id.not_in_subquery(Query::select().column(search_document::Column::ContentId).from(search_document::Entity).take()))
        .limit(BATCH as u64)
        .into_tuple()
        .all(db)
        .await?;
    Ok((!ids.is_empty()).then_some(ids))
}

/// Reads the text of these items: items, bodies and three kinds of names, five statements.
async fn documents(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Document>, AppError> {
    let items = content_item::Entity::find().filter(content_item::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    let mut bodies: HashMap<Uuid, String> = content_body::Entity::find()
        .filter(content_body::Column::ContentId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.content_id, plain_text(&b.body_html)))
        .collect();
    // Only profiles everyone may see: a hidden author's name must not find their items.
    let mut authors = names(db, names_of(content_author::Entity, content_author::Column::ContentId, content_author::Column::EditorId, editor::Entity, editor::Column::Id, editor::Column::DisplayName, ids)
        .and_where(Expr::col((content_author::Entity, content_author::Column::EditorId)).in_subquery(visible_editor_ids(&Principal::Anonymous)))
        .take()).await?;
    let mut sectors = names(db, names_of(content_sector::Entity, content_sector::Column::ContentId, content_sector::Column::SectorId, sector::Entity, sector::Column::Id, sector::Column::Name, ids)).await?;
    let mut tags = names(db, names_of(content_tag::Entity, content_tag::Column::ContentId, content_tag::Column::TagId, tag::Entity, tag::Column::Id, tag::Column::Name, ids)).await?;
    Ok(items
        .into_iter()
        .map(|item| {
            let takeaways: Vec<String> = serde_json::from_value(item.key_takeaways.clone()).unwrap_or_default();
            let lead = [item.subtitle.clone(), Some(item.summary.clone()), Some(takeaways.join(" ")), item.commentary.clone()];
            let mut people = authors.remove(&item.id).unwrap_or_default();
            people.extend(item.byline.clone());
            people.extend(item.source_name.clone());
            people.extend(sectors.remove(&item.id).unwrap_or_default());
            people.extend(tags.remove(&item.id).unwrap_or_default());
            Document {
                content_id: item.id,
                title: item.title,
                lead: lead.into_iter().flatten().filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n"),
                body: bodies.remove(&item.id).map(|b| searched_part(b, BODY_CHARS)).unwrap_or_default(),
                people: people.join("\n"),
            }
        })
        .collect())
}

/// The first `limit` characters of `text`, cut after a whole word.
fn searched_part(mut text: String, limit: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(limit) {
        let end = text[..cut].rfind(char::is_whitespace).unwrap_or(cut);
        text.truncate(end);
    }
    text
}

/// `SELECT link.content_id, target.name FROM link JOIN target ON … WHERE link.content_id IN ids`.
#[allow(clippy::too_many_arguments)]
fn names_of<L, T>(link: L, content: L::Column, link_target: L::Column, target: T, target_id: T::Column, name: T::Column, ids: &[Uuid]) -> SelectStatement
where
    L: EntityTrait,
    T: EntityTrait,
{
    Query::select()
        .expr_as(Expr::col((link, content)), Alias::new("content_id"))
        .expr_as(Expr::col((target, name)), Alias::new("name"))
        .from(link)
        .inner_join(target, Expr::col((target, target_id)).equals((link, link_target)))
        .and_where(Expr::col((link, content)).is_in(ids.iter().copied()))
        .take()
}

async fn names(db: &impl ConnectionTrait, select: SelectStatement) -> Result<HashMap<Uuid, Vec<String>>, AppError> {
    let mut by_item: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in db.query_all(&select).await? {
        by_item.entry(row.try_get("", "content_id")?).or_default().push(row.try_get("", "name")?);
    }
    Ok(by_item)
}

/// One upsert for all documents; on PostgreSQL with the weighted vector of their folded words.
async fn write(db: &impl ConnectionTrait, documents: &[Document]) -> Result<(), AppError> {
    if documents.is_empty() {
        return Ok(());
    }
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let mut columns = vec!["content_id", "title", "lead", "body", "people"];
    if postgres {
        columns.push("search_vector");
    }
    let mut insert = Query::insert();
    insert.into_table(search_document::Entity).columns(columns.iter().map(|c| Alias::new(*c)));
    for d in documents {
        let mut row: Vec<Expr> = vec![d.content_id.into(), d.title.clone().into(), d.lead.clone().into(), d.body.clone().into(), d.people.clone().into()];
        if postgres {
            row.push(Expr::cust_with_values(
                "setweight(to_tsvector('simple', $1), 'A') || setweight(to_tsvector('simple', $2), 'B') || setweight(to_tsvector('simple', $3), 'C') || setweight(to_tsvector('simple', $4), 'D')",
                [folded_words(&d.title), folded_words(&d.lead), folded_words(&d.body), folded_words(&d.people)],
            ));
        }
        insert.values(row).map_err(|e| AppError::Internal(e.into()))?;
    }
    insert.on_conflict(OnConflict::column(search_document::Column::ContentId).update_columns(columns[1..].iter().map(|c| Alias::new(*c))).to_owned());
    db.execute(&insert).await?;
    Ok(())
}
