//! Writing content: create, replace, merge-patch, revision restores, trash, restore and purge.
//! Every write checks the policy, runs in one transaction, bumps the version, stores a revision
//! and an audit entry, and refuses stale versions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use entity::{content_author, content_body, content_item, content_sector, content_slug_redirect, content_tag, revision};

use super::input::{ContentInput, READ_ONLY};
use super::insert::{NewContent, insert, insert_links, written_columns};
use super::validate::{Checked, check};
use super::{ContentRecord, records, visible};
use crate::clock::now;
use crate::domain::{ContentKind, ContentStatus};
use crate::error::AppError;
use crate::policy::{Action, ItemFacts, Principal, authorize, is_public_content};
use crate::rendering::render_markdown;
use crate::services::audit::{self, AuditEntry};
use crate::services::changes::{self, Change, ChangeAction, RecordKind};
use crate::services::read_only;
use crate::services::write::{Precondition, Written, json_map, versioned};

pub(super) fn facts(record: &ContentRecord, created_by: Option<Uuid>) -> Result<ItemFacts, AppError> {
    Ok(ItemFacts {
        created_by,
        author_ids: record.author_ids.clone(),
        sector_ids: record.sector_ids.clone(),
        status: record.status,
    })
}

/// Loads an item the caller may read, with its creator (for the `own` scope).
pub(super) async fn load(db: &impl ConnectionTrait, principal: &Principal, kind: ContentKind, id: Uuid) -> Result<(ContentRecord, content_item::Model), AppError> {
    let model = visible(principal, Some(kind))
        .filter(content_item::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "content item" })?;
    let record = records(db, principal, vec![model.clone()], true)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound { resource: "content item" })?;
    Ok((record, model))
}

versioned!(ContentRecord);

/// Refuses a write based on a version other than the stored one.
pub(super) fn check_precondition(record: &ContentRecord, precondition: &Precondition) -> Result<(), AppError> {
    precondition.check(record.version, &crate::etag::of_record(record))
}

async fn replace_links(db: &impl ConnectionTrait, id: Uuid, new: &NewContent, at: DateTime<Utc>) -> Result<(), AppError> {
    content_author::Entity::delete_many().filter(content_author::Column::ContentId.eq(id)).exec(db).await?;
    content_sector::Entity::delete_many().filter(content_sector::Column::ContentId.eq(id)).exec(db).await?;
    content_tag::Entity::delete_many().filter(content_tag::Column::ContentId.eq(id)).exec(db).await?;
    insert_links(db, id, &new.author_ids, &new.sector_ids, &new.tag_ids, at).await
}

/// Stores a revision of the item as it now is.
async fn snapshot(db: &impl ConnectionTrait, principal: &Principal, record: &ContentRecord, note: Option<&str>) -> Result<(), AppError> {
    let at = now();
    let (user, key) = match principal {
        Principal::User(u) => (Some(u.id), None),
        Principal::ApiKey { id, .. } => (None, Some(*id)),
        Principal::Anonymous | Principal::System => (None, None),
    };
    revision::Entity::insert(revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        content_id: Set(record.id),
        version: Set(record.version),
        snapshot: Set(serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))?),
        note: Set(note.map(str::to_owned)),
        author_user_id: Set(user),
        author_api_key_id: Set(key),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// What a write did to an item, for its revision, audit entry and change.
pub(super) struct Done {
    pub action: ChangeAction,
    /// The version the write started from (None for a creation).
    pub version_before: Option<i32>,
    /// Whether everyone could read the item before the write.
    pub was_public: bool,
    /// What the audit entry adds (the news source of a discovered story).
    pub details: Option<Value>,
}

/// Reloads a just-written item as the caller sees it, records its revision, the audit entry and
/// the change.
pub(super) async fn finish(db: &impl ConnectionTrait, principal: &Principal, kind: ContentKind, id: Uuid, done: Done) -> Result<ContentRecord, AppError> {
    let Done { action, version_before, was_public, details } = done;
    let model = content_item::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound { resource: "content item" })?;
    // The revision keeps everything (hidden profiles too); the caller gets what they may see.
    let complete = records(db, &Principal::System, vec![model.clone()], true).await?.into_iter().next().ok_or(AppError::NotFound { resource: "content item" })?;
    snapshot(db, principal, &complete, Some(action.audit())).await?;
    changes::append(
        db,
        Change {
            kind: RecordKind::content(kind),
            item_id: id,
            action,
            version: Some(complete.version),
            public_before: was_public,
            public_after: is_public_content(&model),
            summary: changes::summary(RecordKind::content(kind), &json_map(&complete)?),
        },
    )
    .await?;
    let record = records(db, principal, vec![model], true).await?.into_iter().next().ok_or(AppError::NotFound { resource: "content item" })?;
    audit::record(
        db,
        principal,
        AuditEntry {
            resource: crate::policy::Resource::for_kind(kind).as_str(),
            resource_id: Some(id),
            action: action.audit(),
            version_before,
            version_after: Some(record.version),
            details,
        },
    )
    .await?;
    Ok(record)
}

/// Creates an item (always a draft).
pub async fn create(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, written: Written<ContentInput>) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let record = create_in(&txn, principal, kind, written, None).await?;
    txn.commit().await?;
    Ok(record)
}

/// Where a news link the server drafted came from.
pub struct Discovery {
    pub news_source_id: Uuid,
    /// Recorded in the audit entry.
    pub details: Value,
}

/// [`create`] inside the caller's transaction; a `discovery` marks a news link a news source
/// found (its change is `discovered`).
pub async fn create_in(
    txn: &sea_orm::DatabaseTransaction,
    principal: &Principal,
    kind: ContentKind,
    written: Written<ContentInput>,
    discovery: Option<Discovery>,
) -> Result<ContentRecord, AppError> {
    let input = written.read(None::<&ContentRecord>, &[READ_ONLY], Precondition::default())?;
    let creator = principal.user().map(|u| u.id);
    let proposed = ItemFacts {
        created_by: creator,
        author_ids: input.author_ids.clone(),
        sector_ids: input.sector_ids.clone(),
        status: ContentStatus::Draft,
    };
    authorize(principal, kind, Action::Create, &proposed)?;
    let Checked { slug, input } = check(txn, principal, kind, input, None).await?;
    let news_source_id = discovery.as_ref().map(|d| d.news_source_id);
    let new = NewContent { created_by: creator, news_source_id, ..NewContent::from_input(kind, slug, input, now()) };
    let id = insert(txn, new).await?;
    let (action, details) = match discovery {
        Some(found) => (ChangeAction::Discovered, Some(found.details)),
        None => (ChangeAction::Created, None),
    };
    finish(txn, principal, kind, id, Done { action, version_before: None, was_public: false, details }).await
}

/// Replaces an item's content (PUT), or merges changes into it (PATCH), in one transaction.
pub async fn update(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    written: Written<ContentInput>,
    precondition: Precondition,
) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let record = save(&txn, principal, kind, id, written, precondition, ChangeAction::Updated).await?;
    txn.commit().await?;
    Ok(record)
}

/// Makes a new version of an item from one of its revisions (the workflow state is kept).
pub async fn restore_revision(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    revision_id: Uuid,
    precondition: Precondition,
) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, model) = load(&txn, principal, kind, id).await?;
    authorize(principal, kind, Action::Restore, &facts(&current, model.created_by)?)?;
    let revision = revision::Entity::find_by_id(revision_id)
        .one(&txn)
        .await?
        .filter(|r| r.content_id == id)
        .ok_or(AppError::NotFound { resource: "revision" })?;
    let Value::Object(mut snapshot) = revision.snapshot else {
        return Err(AppError::Internal(anyhow::anyhow!("revision {revision_id} has no object snapshot")));
    };
    // The snapshot's computed fields are history, not an echo to check.
    read_only::take(&mut snapshot, READ_ONLY);
    for kept in ["status", "version"] {
        snapshot.remove(kept);
    }
    let input = crate::error::decode_json(Value::Object(snapshot))?;
    let record = save(&txn, principal, kind, id, Written::Input(input), precondition, ChangeAction::RevisionRestored).await?;
    txn.commit().await?;
    Ok(record)
}

/// Stores new content for an item inside the caller's transaction.
async fn save(
    txn: &sea_orm::DatabaseTransaction,
    principal: &Principal,
    kind: ContentKind,
    id: Uuid,
    written: Written<ContentInput>,
    precondition: Precondition,
    action: ChangeAction,
) -> Result<ContentRecord, AppError> {
    let (current, model) = load(txn, principal, kind, id).await?;
    authorize(principal, kind, Action::Update, &facts(&current, model.created_by)?)?;
    let input = written.read(Some(&current), &[READ_ONLY], precondition)?;
    let proposed = ItemFacts {
        created_by: model.created_by,
        author_ids: input.author_ids.clone(),
        sector_ids: input.sector_ids.clone(),
        status: current.status,
    };
    authorize(principal, kind, Action::Update, &proposed)?;
    let Checked { slug, input } = check(txn, principal, kind, input, Some(&current)).await?;
    let at = now();
    let new = NewContent::from_input(kind, slug, input, at);
    let rendered = render_markdown(&new.body);
    apply(txn, id, current.version, written_columns(&new, &rendered)).await?;
    content_body::Entity::update_many()
        .col_expr(content_body::Column::Body, Expr::value(new.body.clone()))
        .col_expr(content_body::Column::BodyHtml, Expr::value(rendered.html))
        .col_expr(content_body::Column::UpdatedAt, Expr::value(at))
        .filter(content_body::Column::ContentId.eq(id))
        .exec(txn)
        .await?;
    if new.slug.as_str() != current.slug {
        // The old slug keeps answering, with a redirect to the new one.
        content_slug_redirect::Entity::delete_many()
            .filter(content_slug_redirect::Column::Kind.eq(kind.as_str()))
            .filter(content_slug_redirect::Column::Slug.eq(new.slug.as_str()))
            .exec(txn)
            .await?;
        content_slug_redirect::Entity::insert(content_slug_redirect::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(kind.as_str().to_owned()),
            slug: Set(current.slug.clone()),
            content_id: Set(id),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec(txn)
        .await?;
    }
    replace_links(txn, id, &new, at).await?;
    crate::services::search::index::store(txn, &[id]).await?;
    finish(txn, principal, kind, id, Done { action, version_before: Some(current.version), was_public: is_public_content(&model), details: None }).await
}

/// Sets `row`'s columns on one item if it is still at `version` (and meets `only_if`), bumping
/// the version: the one versioned update of content. Returns whether it applied.
pub(super) async fn try_apply(db: &impl ConnectionTrait, id: Uuid, version: i32, mut row: content_item::ActiveModel, only_if: Condition) -> Result<bool, AppError> {
    row.version = Set(version + 1);
    row.updated_at = Set(now());
    let result = content_item::Entity::update_many()
        .set(row)
        .filter(content_item::Column::Id.eq(id))
        .filter(content_item::Column::Version.eq(version))
        .filter(only_if)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// [`try_apply`], or a version conflict naming the version the item is at now.
pub(super) async fn apply(db: &impl ConnectionTrait, id: Uuid, version: i32, row: content_item::ActiveModel) -> Result<(), AppError> {
    if try_apply(db, id, version, row, Condition::all()).await? {
        return Ok(());
    }
    let latest = content_item::Entity::find_by_id(id).one(db).await?.map_or(version + 1, |m| m.version);
    Err(AppError::VersionConflict { expected: Some(version), current: latest })
}

/// Clears a news source that is being deleted from the stories it found, each a save of its
/// own (version, revision, audit entry and change), in the deletion's transaction: readers,
/// caches and sync clients learn of it like of any edit.
pub async fn detach_source(db: &impl ConnectionTrait, source: Uuid) -> Result<(), AppError> {
    let found = content_item::Entity::find().filter(content_item::Column::NewsSourceId.eq(source)).all(db).await?;
    for model in found {
        let kind = ContentKind::stored(&model.kind)?;
        apply(db, model.id, model.version, content_item::ActiveModel { news_source_id: Set(None), ..Default::default() }).await?;
        let done = Done { action: ChangeAction::Updated, version_before: Some(model.version), was_public: is_public_content(&model), details: None };
        finish(db, &Principal::System, kind, model.id, done).await?;
    }
    Ok(())
}

/// Moves an item to the trash (readers no longer see it; editors can restore it).
pub async fn trash(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, id: Uuid, precondition: Precondition) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, model) = load(&txn, principal, kind, id).await?;
    authorize(principal, kind, Action::Delete, &facts(&current, model.created_by)?)?;
    check_precondition(&current, &precondition)?;
    apply(&txn, id, current.version, content_item::ActiveModel { deleted_at: Set(Some(now())), ..Default::default() }).await?;
    let done = Done { action: ChangeAction::Trashed, version_before: Some(current.version), was_public: is_public_content(&model), details: None };
    let record = finish(&txn, principal, kind, id, done).await?;
    txn.commit().await?;
    Ok(record)
}

/// Loads a trashed item for someone allowed to restore or purge it.
async fn load_trashed(db: &impl ConnectionTrait, principal: &Principal, kind: ContentKind, id: Uuid, action: Action) -> Result<(ContentRecord, content_item::Model), AppError> {
    let model = content_item::Entity::find()
        .filter(content_item::Column::Id.eq(id))
        .filter(content_item::Column::Kind.eq(kind.as_str()))
        .filter(content_item::Column::DeletedAt.is_not_null())
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "trashed content item" })?;
    let record = records(db, principal, vec![model.clone()], true).await?.into_iter().next().ok_or(AppError::NotFound { resource: "content item" })?;
    let facts = facts(&record, model.created_by)?;
    // Someone who may not act on it learns nothing about it.
    authorize(principal, kind, action, &facts).map_err(|e| match e {
        AppError::Forbidden => AppError::NotFound { resource: "trashed content item" },
        other => other,
    })?;
    Ok((record, model))
}

/// Brings an item back from the trash.
pub async fn restore(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, id: Uuid) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, _) = load_trashed(&txn, principal, kind, id, Action::Restore).await?;
    apply(&txn, id, current.version, content_item::ActiveModel { deleted_at: Set(None), ..Default::default() }).await?;
    let record = finish(&txn, principal, kind, id, Done { action: ChangeAction::Restored, version_before: Some(current.version), was_public: false, details: None }).await?;
    txn.commit().await?;
    Ok(record)
}

/// Deletes a trashed item for good, with its revisions.
pub async fn purge(db: &DatabaseConnection, principal: &Principal, kind: ContentKind, id: Uuid) -> Result<ContentRecord, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (current, _) = load_trashed(&txn, principal, kind, id, Action::Purge).await?;
    content_item::Entity::delete_by_id(id).exec(&txn).await?;
    changes::append(
        &txn,
        Change {
            kind: RecordKind::content(kind),
            item_id: id,
            action: ChangeAction::Purged,
            version: Some(current.version),
            public_before: false,
            public_after: false,
            summary: changes::summary(RecordKind::content(kind), &json_map(&current)?),
        },
    )
    .await?;
    audit::record(
        &txn,
        principal,
        AuditEntry {
            resource: crate::policy::Resource::for_kind(kind).as_str(),
            resource_id: Some(id),
            action: ChangeAction::Purged.audit(),
            version_before: Some(current.version),
            version_after: None,
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(current)
}

