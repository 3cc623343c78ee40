//! The one write skeleton of the catalog aggregates (sectors, tags, key questions, blogs, editor
//! profiles): the permission, one transaction holding the row, the version check, merge patch,
//! read-only fields, validation, the slug, one versioned store, the audit entry, and the stored
//! record back. Each aggregate says only what is its own, beside its reads.

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::clock::now;
use crate::domain::IdOrSlug;
use crate::error::{AppError, FieldErrors};
use crate::policy::{Action, Principal, Resource, require};
use crate::services::audit::{self, AuditEntry};
use crate::services::changes::{self, Change, ChangeAction, RecordKind};
use crate::services::read_only::ReadOnly;
use crate::services::slug;
use crate::services::validate::finish;
use crate::services::write::{Precondition, Versioned, Written, json_map};

/// Read-only fields every catalog entry has.
const KEPT: &[ReadOnly] = &[
    ReadOnly::Computed { name: "id", how: "the server gives every entry its id" },
    ReadOnly::Computed { name: "created_at", how: "the server keeps it" },
    ReadOnly::Computed { name: "updated_at", how: "the server sets it on every save" },
];

/// The columns the skeleton reads and sets, alike in every catalog table.
macro_rules! catalog_columns {
    ($entity:ident) => {
        const ID: $entity::Column = $entity::Column::Id;
        const SLUG: $entity::Column = $entity::Column::Slug;
        const VERSION: $entity::Column = $entity::Column::Version;
        const CREATED_AT: $entity::Column = $entity::Column::CreatedAt;
        const UPDATED_AT: $entity::Column = $entity::Column::UpdatedAt;
    };
}
pub(crate) use catalog_columns;

/// What one catalog aggregate adds to the skeleton.
pub trait CatalogEntry {
    type Entity: EntityTrait<Model: IntoActiveModel<<Self::Entity as EntityTrait>::ActiveModel> + Sync>;
    /// What clients write.
    type Input: DeserializeOwned + Send + Sync;
    /// What clients read (and may send back).
    type Record: Serialize + Versioned + Send + Sync;

    const RESOURCE: Resource;
    /// The entry's kind in the change log, webhooks and sync.
    const KIND: RecordKind;
    /// The entry's name in messages ("tag").
    const NAME: &'static str;
    /// Relations the record embeds, which clients write through ids.
    const EMBEDS: &'static [ReadOnly] = &[];
    const ID: <Self::Entity as EntityTrait>::Column;
    const SLUG: <Self::Entity as EntityTrait>::Column;
    const VERSION: <Self::Entity as EntityTrait>::Column;
    const CREATED_AT: <Self::Entity as EntityTrait>::Column;
    const UPDATED_AT: <Self::Entity as EntityTrait>::Column;

    /// The entry as `principal` reads it.
    fn get(txn: &DatabaseTransaction, principal: &Principal, key: &IdOrSlug) -> impl Future<Output = Result<Self::Record, AppError>> + Send;
    /// Field rules and references, collected in `errors`; and the requested slug and the title
    /// a slug is made from.
    fn check<'a>(
        txn: &DatabaseTransaction,
        principal: &Principal,
        input: &'a Self::Input,
        errors: &mut FieldErrors,
    ) -> impl Future<Output = Result<(Option<&'a str>, &'a str), AppError>> + Send;
    /// The row's writable columns (the skeleton sets id, slug, version and timestamps).
    fn row(input: &Self::Input) -> Result<<Self::Entity as EntityTrait>::ActiveModel, AppError>;
    /// Replaces the entry's links to other records (bloggers, sectors).
    fn links(_txn: &DatabaseTransaction, _id: Uuid, _input: &Self::Input, _at: DateTime<Utc>) -> impl Future<Output = Result<(), AppError>> + Send {
        async { Ok(()) }
    }
    /// Whether everyone may read the entry (editor profiles can be hidden).
    fn is_public(_record: &Self::Record) -> bool {
        true
    }
    /// Which rows `principal` may read.
    fn readable(_principal: &Principal) -> Condition {
        Condition::all()
    }
    /// Records for rows, in the same order, as `principal` reads them.
    fn records(
        db: &DatabaseConnection,
        principal: &Principal,
        models: Vec<<Self::Entity as EntityTrait>::Model>,
    ) -> impl Future<Output = Result<Vec<Self::Record>, AppError>> + Send;
    /// Why the entry cannot be deleted now, if something still depends on it.
    fn in_use(txn: &DatabaseTransaction, id: Uuid) -> impl Future<Output = Result<Option<&'static str>, AppError>> + Send;
}

/// Creates an entry (`key` None) or stores a new version of the one `key` names.
pub async fn save<E: CatalogEntry>(
    db: &DatabaseConnection,
    principal: &Principal,
    key: Option<&IdOrSlug>,
    written: Written<E::Input>,
    precondition: Precondition,
) -> Result<E::Record, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let record = save_in::<E>(&txn, principal, key, written, precondition).await?;
    txn.commit().await?;
    Ok(record)
}

/// [`save`] inside the caller's transaction (the demo seed writes many entries in one).
pub async fn save_in<E: CatalogEntry>(
    txn: &DatabaseTransaction,
    principal: &Principal,
    key: Option<&IdOrSlug>,
    written: Written<E::Input>,
    precondition: Precondition,
) -> Result<E::Record, AppError> {
    require(principal, E::RESOURCE, if key.is_some() { Action::Update } else { Action::Create })?;
    let stored = match key {
        Some(key) => Some(hold::<E>(txn, principal, key).await?),
        None => None,
    };
    let input = written.read(stored.as_ref(), &[KEPT, E::EMBEDS], precondition)?;
    let mut errors = FieldErrors::new();
    let (requested, title) = E::check(txn, principal, &input, &mut errors).await?;
    let except = stored.as_ref().map(Versioned::id);
    let current_slug = match &stored {
        Some(stored) => json_map(stored)?.get("slug").and_then(Value::as_str).map(str::to_owned),
        None => None,
    };
    let slug = slug::pick(&mut errors, requested, title, current_slug.as_deref(), |candidate| {
        let mut taken = E::Entity::find().filter(E::SLUG.eq(candidate));
        if let Some(id) = except {
            taken = taken.filter(E::ID.ne(id));
        }
                async move { Ok(taken.count(txn).await? > 0) }
    })
    .await?;
    finish(errors)?;
    let slug = slug.ok_or_else(|| AppError::invalid_field("slug", "is required"))?;

    let at = now();
    let mut row = E::row(&input)?;
    row.set(E::SLUG, slug.as_str().into());
    row.set(E::UPDATED_AT, at.into());
    let (id, before, after) = match &stored {
        Some(stored) => {
            let (id, version) = (stored.id(), stored.version());
            row.set(E::VERSION, (version + 1).into());
            let updated = E::Entity::update_many()
                .set(row)
                .filter(E::ID.eq(id))
                .filter(E::VERSION.eq(version))
                .exec(txn)
                .await?;
            if updated.rows_affected != 1 {
                return Err(AppError::VersionConflict { expected: Some(version), current: version + 1 });
            }
            (id, Some(version), version + 1)
        }
        None => {
            let id = Uuid::now_v7();
            row.set(E::ID, id.into());
            row.set(E::VERSION, 1.into());
            row.set(E::CREATED_AT, at.into());
            E::Entity::insert(row).exec_without_returning(txn).await?;
            (id, None, 1)
        }
    };
    E::links(txn, id, &input, at).await?;
    let action = if stored.is_some() { ChangeAction::Updated } else { ChangeAction::Created };
    audit::record(txn, principal, AuditEntry { resource: E::RESOURCE.as_str(), resource_id: Some(id), action: action.audit(), version_before: before, version_after: Some(after), details: None }).await?;
    let record = E::get(txn, principal, &IdOrSlug::Id(id)).await?;
    if let Some(stored) = &stored {
        if found_by(stored)? != found_by(&record)? {
            crate::services::search::index::store_linked(txn, E::KIND, id).await?;
        }
    }
    changes::append(txn, change::<E>(&record, action, stored.as_ref().is_some_and(E::is_public), E::is_public(&record))?).await?;
    Ok(record)
}

/// What of an entry its items are found by in search: a sector's or tag's name, an author's
/// name and whether their profile is public.
fn found_by(record: &impl Serialize) -> Result<[Option<Value>; 3], AppError> {
    let map = json_map(record)?;
    Ok(["name", "display_name", "visible"].map(|field| map.get(field).cloned()))
}

/// The change a write of `record` appends.
fn change<E: CatalogEntry>(record: &E::Record, action: ChangeAction, public_before: bool, public_after: bool) -> Result<Change, AppError> {
    Ok(Change {
        kind: E::KIND,
        item_id: record.id(),
        action,
        version: Some(record.version()),
        public_before,
        public_after,
        summary: changes::summary(E::KIND, &json_map(record)?),
    })
}

/// Deletes an entry, refusing with 409 while something depends on it.
pub async fn delete<E: CatalogEntry>(db: &DatabaseConnection, principal: &Principal, key: &IdOrSlug, precondition: Precondition) -> Result<E::Record, AppError> {
    require(principal, E::RESOURCE, Action::Delete)?;
    let txn = crate::db::begin_write(db).await?;
    let stored = hold::<E>(&txn, principal, key).await?;
    precondition.check(stored.version(), &crate::etag::of_record(&stored))?;
    if let Some(reason) = E::in_use(&txn, stored.id()).await? {
        return Err(AppError::Conflict { code: "in_use", detail: reason.to_owned() });
    }
    E::Entity::delete_many().filter(E::ID.eq(stored.id())).exec(&txn).await?;
    changes::append(&txn, change::<E>(&stored, ChangeAction::Deleted, E::is_public(&stored), false)?).await?;
    audit::record(&txn, principal, AuditEntry { resource: E::RESOURCE.as_str(), resource_id: Some(stored.id()), action: ChangeAction::Deleted.audit(), version_before: Some(stored.version()), version_after: None, details: None }).await?;
    txn.commit().await?;
    Ok(stored)
}

/// The entries the caller may read as a plain GET shows them: the next `limit` after `after`
/// in id order, or (with `ids`) those among `ids`. Sync reads here.
pub async fn readable<E: CatalogEntry>(db: &DatabaseConnection, principal: &Principal, after: Option<Uuid>, ids: Option<&[Uuid]>, limit: u64) -> Result<Vec<E::Record>, AppError> {
    use sea_orm::QueryOrder;
    let mut select = E::Entity::find().filter(E::readable(principal)).order_by_asc(E::ID).limit(limit);
    if let Some(after) = after {
        select = select.filter(E::ID.gt(after));
    }
    if let Some(ids) = ids {
        select = select.filter(E::ID.is_in(ids.iter().copied()));
    }
    E::records(db, principal, select.all(db).await?).await
}

/// Whether any row of `E` has `column = id` (an entry still in use).
pub async fn referenced<E: EntityTrait>(txn: &DatabaseTransaction, column: E::Column, id: Uuid) -> Result<bool, AppError>
where
    E::Model: Sync,
{
    Ok(E::find().filter(column.eq(id)).count(txn).await? > 0)
}

/// Finds the entry and holds its row until the transaction ends (PostgreSQL locks it; SQLite's
/// write transaction already holds the whole database), so concurrent writes queue.
async fn hold<E: CatalogEntry>(txn: &DatabaseTransaction, principal: &Principal, key: &IdOrSlug) -> Result<E::Record, AppError> {
    let select = match key {
        IdOrSlug::Id(id) => E::Entity::find().filter(E::ID.eq(*id)),
        IdOrSlug::Slug(slug) => E::Entity::find().filter(E::SLUG.eq(slug.as_str())),
    };
    let id: Option<Uuid> = select.select_only().column(E::ID).lock_exclusive().into_tuple().one(txn).await?;
    let id = id.ok_or(AppError::NotFound { resource: E::NAME })?;
    E::get(txn, principal, &IdOrSlug::Id(id)).await
}
