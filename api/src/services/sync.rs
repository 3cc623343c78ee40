//! Sync for mobile apps and other replicas: an initial download in pages, then only what
//! changed since, read from the change log, with a removal for everything the caller may no
//! longer see. Items are read through the same visibility as lists and GETs, and tokens are
//! sealed and bound to the caller's scope.

use std::collections::HashMap;

use sea_orm::{DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use entity::{blog_blogger, change, content_author, content_item};

use crate::auth::tokens::Sealer;
use crate::domain::vocabulary;
use crate::error::AppError;
use crate::policy::{Principal, is_public_content};
use crate::services::blogs::Blogs;
use crate::services::catalog::{self, CatalogEntry};
use crate::services::changes::{self, PRUNED_MARK, RecordKind};
use crate::services::content;
use crate::services::editors::Editors;
use crate::services::taxonomy::{Questions, Sectors, Tags};
use crate::services::write::Versioned;

/// Most items in one page.
pub const MAX_LIMIT: u64 = 1000;
/// Items in a page when the client does not say.
pub const DEFAULT_LIMIT: u64 = 100;
/// The token layout; a token of another layout must start over.
const TOKEN_VERSION: u8 = 1;

vocabulary!(
    /// Why an item is gone for this caller.
    Removal {
        /// Deleted, trashed or purged.
        Deleted = "deleted",
        /// No longer published (and the caller sees published items only).
        Unpublished = "unpublished",
        /// Still there, but no longer visible to this caller.
        NotVisible = "not_visible",
    }
);

/// One item of a sync page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SyncItem {
    /// Store or replace the item; `data` is what a plain GET of it returns.
    Upsert { kind: RecordKind, id: Uuid, version: i32, data: Value },
    /// Drop the item.
    Remove { kind: RecordKind, id: Uuid, reason: Removal },
}

/// A page of sync items with the token to go on with: `next_page_token` while there is more,
/// `next_sync_token` (to keep for next time) once the client is current.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "adapters", derive(utoipa::ToSchema))]
pub struct SyncPage {
    pub items: Vec<SyncItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_sync_token: Option<String>,
}

/// What a client asks for.
#[derive(Debug, Clone)]
pub enum SyncRequest {
    /// A first download of these kinds (all when empty).
    Initial { kinds: Vec<RecordKind>, limit: u64 },
    /// The page a token names.
    Continue { token: String },
}

/// What a token holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    v: u8,
    /// Whose view the token follows (see [`scope_of`]).
    scope: String,
    /// The change log position the client is current up to.
    position: i64,
    kinds: Vec<RecordKind>,
    limit: u64,
    /// Where an initial download stands, while it lasts.
    initial: Option<InitialAt>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct InitialAt {
    /// Index into the cursor's kinds.
    kind: usize,
    after: Option<Uuid>,
}

/// The view a caller has: everyone's for anonymous callers and content keys, the key's or the
/// user's own otherwise. A user's role, grants and sectors are part of it, so a changed role
/// starts the sync over rather than leave items the user may no longer see.
fn scope_of(principal: &Principal) -> String {
    use sha2::{Digest, Sha256};
    let view = match principal {
        Principal::Anonymous | Principal::ApiKey { scope: crate::auth::api_keys::ApiKeyScope::Content, .. } => return "public".to_owned(),
        Principal::ApiKey { id, .. } => format!("key:{id}"),
        Principal::User(user) => format!("user:{}:{}:{:?}:{:?}:{:?}", user.id, user.role, user.grants, user.sector_ids, user.editor_id),
        Principal::System => return "system".to_owned(),
    };
    Sha256::digest(view.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn resync(detail: &str) -> AppError {
    AppError::Gone { code: "resync_required", detail: format!("{detail}; start over with ?initial=true") }
}

/// Answers one sync request.
pub async fn sync(db: &DatabaseConnection, sealer: &Sealer, principal: &Principal, request: SyncRequest) -> Result<SyncPage, AppError> {
    let scope = scope_of(principal);
    let cursor = match request {
        SyncRequest::Initial { kinds, limit } => Cursor {
            v: TOKEN_VERSION,
            scope,
            // Taken before anything is read: what changes during the download comes again after.
            position: changes::position(db).await?,
            kinds: if kinds.is_empty() { RecordKind::ALL.to_vec() } else { kinds },
            limit,
            initial: Some(InitialAt { kind: 0, after: None }),
        },
        SyncRequest::Continue { token } => {
            let cursor: Cursor = sealer
                .open(&token)
                .and_then(|payload| serde_json::from_slice(&payload).ok())
                .filter(|c: &Cursor| c.v == TOKEN_VERSION)
                .ok_or_else(|| resync("the sync token is not one this server issued"))?;
            if cursor.scope != scope {
                return Err(resync("the sync token belongs to other credentials"));
            }
            cursor
        }
    };
    match cursor.initial.clone() {
        Some(at) => initial_page(db, sealer, principal, cursor, at).await,
        None => delta_page(db, sealer, principal, cursor).await,
    }
}

fn seal(sealer: &Sealer, cursor: &Cursor) -> Result<String, AppError> {
    let payload = serde_json::to_vec(cursor).map_err(|e| AppError::Internal(e.into()))?;
    Ok(sealer.seal(&payload)?)
}

/// A page of the initial download: every readable item of each kind in turn, in id order.
async fn initial_page(db: &DatabaseConnection, sealer: &Sealer, principal: &Principal, mut cursor: Cursor, mut at: InitialAt) -> Result<SyncPage, AppError> {
    let mut items = Vec::new();
    while let Some(kind) = cursor.kinds.get(at.kind).copied() {
        let room = cursor.limit - items.len() as u64;
        let entries = read(db, principal, kind, Read::Page { after: at.after, limit: room }).await?;
        let full = entries.len() as u64 == room;
        if let Some(last) = entries.last() {
            at.after = Some(last.id);
        }
        items.extend(entries.into_iter().map(|e| SyncItem::Upsert { kind, id: e.id, version: e.version, data: e.data }));
        if full {
            cursor.initial = Some(at);
            return Ok(SyncPage { items, next_page_token: Some(seal(sealer, &cursor)?), next_sync_token: None });
        }
        at = InitialAt { kind: at.kind + 1, after: None };
    }
    cursor.initial = None;
    Ok(SyncPage { items, next_page_token: None, next_sync_token: Some(seal(sealer, &cursor)?) })
}

/// What changed after the cursor's position, one item per changed record, as it is now.
async fn delta_page(db: &DatabaseConnection, sealer: &Sealer, principal: &Principal, mut cursor: Cursor) -> Result<SyncPage, AppError> {
    if cursor.position < changes::mark(db, PRUNED_MARK).await? {
        return Err(resync("the sync token is older than the change log keeps"));
    }
    let batch = changes::since(db, cursor.position, cursor.limit).await?;
    let Some(last) = batch.last().map(|c| c.seq) else {
        return Ok(SyncPage { items: Vec::new(), next_page_token: None, next_sync_token: Some(seal(sealer, &cursor)?) });
    };
    let more = batch.len() as u64 == cursor.limit;
    let touched = touched(principal, &cursor.kinds, &batch);
    let mut by_kind: HashMap<RecordKind, Vec<Uuid>> = HashMap::new();
    for (kind, id) in &touched {
        by_kind.entry(*kind).or_default().push(*id);
    }
    let mut current: HashMap<Uuid, Entry> = HashMap::new();
    let mut gone: HashMap<Uuid, Removal> = HashMap::new();
    for (kind, ids) in &by_kind {
        current.extend(read(db, principal, *kind, Read::Ids { ids }).await?.into_iter().map(|e| (e.id, e)));
        let missing: Vec<Uuid> = ids.iter().copied().filter(|id| !current.contains_key(id)).collect();
        gone.extend(removals(db, *kind, &missing).await?);
    }
    let mut items = Vec::with_capacity(touched.len());
    for (kind, id) in &touched {
        let (kind, id) = (*kind, *id);
        items.push(match current.remove(&id) {
            Some(e) => SyncItem::Upsert { kind, id, version: e.version, data: e.data },
            None => SyncItem::Remove { kind, id, reason: gone.get(&id).copied().unwrap_or(Removal::Deleted) },
        });
    }
    // Records that show a profile which was hidden or shown changed for some callers without a
    // write of their own: send again those this caller can read.
    let mut showing: HashMap<RecordKind, Vec<Uuid>> = HashMap::new();
    for (kind, id) in showing_flipped_profiles(db, &batch).await? {
        if cursor.kinds.contains(&kind) && !touched.iter().any(|(_, seen)| *seen == id) {
            showing.entry(kind).or_default().push(id);
        }
    }
    for (kind, ids) in &showing {
        let entries = read(db, principal, *kind, Read::Ids { ids }).await?;
        items.extend(entries.into_iter().map(|e| SyncItem::Upsert { kind: *kind, id: e.id, version: e.version, data: e.data }));
    }
    cursor.position = last;
    let token = seal(sealer, &cursor)?;
    Ok(if more {
        SyncPage { items, next_page_token: Some(token), next_sync_token: None }
    } else {
        SyncPage { items, next_page_token: None, next_sync_token: Some(token) }
    })
}

/// The records a batch of changes touched that this caller may care about, each once, in the
/// order of their last change. Callers with the public view hear only of changes to what was
/// or became public, so they never learn that a draft exists.
fn touched(principal: &Principal, kinds: &[RecordKind], batch: &[change::Model]) -> Vec<(RecordKind, Uuid)> {
    let public_view = principal.is_public();
    let mut last_seen: Vec<(RecordKind, Uuid)> = Vec::new();
    for change in batch {
        if public_view && !(change.public_before || change.public_after) {
            continue;
        }
        let Some(kind) = RecordKind::parse(&change.kind).filter(|k| kinds.contains(k)) else { continue };
        last_seen.retain(|(_, id)| *id != change.item_id);
        last_seen.push((kind, change.item_id));
    }
    last_seen
}

/// The content items and blogs that credit an editor profile whose visibility a batch flipped.
async fn showing_flipped_profiles(db: &DatabaseConnection, batch: &[change::Model]) -> Result<Vec<(RecordKind, Uuid)>, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let flipped: Vec<Uuid> = batch.iter().filter(|c| c.kind == RecordKind::Editor.as_str() && c.public_before != c.public_after).map(|c| c.item_id).collect();
    if flipped.is_empty() {
        return Ok(Vec::new());
    }
    let credited: Vec<Uuid> = content_author::Entity::find()
        .select_only()
        .column(content_author::Column::ContentId)
        .filter(content_author::Column::EditorId.is_in(flipped.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let kinds: Vec<(Uuid, String)> = content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Id)
        .column(content_item::Column::Kind)
        .filter(content_item::Column::Id.is_in(credited))
        .into_tuple()
        .all(db)
        .await?;
    let blogs: Vec<Uuid> = blog_blogger::Entity::find()
        .select_only()
        .column(blog_blogger::Column::BlogId)
        .filter(blog_blogger::Column::EditorId.is_in(flipped))
        .into_tuple()
        .all(db)
        .await?;
    let mut records: Vec<(RecordKind, Uuid)> = kinds.into_iter().filter_map(|(id, kind)| RecordKind::parse(&kind).map(|k| (k, id))).collect();
    records.extend(blogs.into_iter().map(|id| (RecordKind::Blog, id)));
    records.sort_by_key(|(_, id)| *id);
    records.dedup();
    Ok(records)
}

/// Why records of `kind` the caller cannot read now are gone for them, in one read.
async fn removals(db: &DatabaseConnection, kind: RecordKind, ids: &[Uuid]) -> Result<HashMap<Uuid, Removal>, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    if kind.content_kind().is_none() {
        // A catalog entry is either deleted or (an editor profile) hidden.
        let existing = read(db, &Principal::System, kind, Read::Ids { ids }).await?;
        return Ok(ids.iter().map(|id| (*id, if existing.iter().any(|e| e.id == *id) { Removal::NotVisible } else { Removal::Deleted })).collect());
    }
    let rows = content_item::Entity::find().filter(content_item::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let reason = match rows.iter().find(|row| row.id == *id) {
                None => Removal::Deleted,
                Some(row) if row.deleted_at.is_some() => Removal::Deleted,
                Some(row) if !is_public_content(row) => Removal::Unpublished,
                Some(_) => Removal::NotVisible,
            };
            (*id, reason)
        })
        .collect())
}

/// A record as sync sends it.
struct Entry {
    id: Uuid,
    version: i32,
    data: Value,
}

/// What sync reads of one kind: the next page in id order, or the records among some ids.
#[derive(Clone, Copy)]
enum Read<'a> {
    Page { after: Option<Uuid>, limit: u64 },
    Ids { ids: &'a [Uuid] },
}

impl<'a> Read<'a> {
    /// The services' arguments: after, ids, limit.
    fn parts(self) -> (Option<Uuid>, Option<&'a [Uuid]>, u64) {
        match self {
            Read::Page { after, limit } => (after, None, limit),
            Read::Ids { ids } => (None, Some(ids), ids.len() as u64),
        }
    }
}

fn entry(record: &(impl Serialize + Versioned)) -> Result<Entry, AppError> {
    Ok(Entry { id: record.id(), version: record.version(), data: serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))? })
}

/// Reads records of one kind through its own service, as `principal` may see them.
async fn read(db: &DatabaseConnection, principal: &Principal, kind: RecordKind, what: Read<'_>) -> Result<Vec<Entry>, AppError> {
    let (after, ids, limit) = what.parts();
    if let Some(content_kind) = kind.content_kind() {
        return content::readable(db, principal, content_kind, after, ids, limit).await?.iter().map(entry).collect();
    }
    match kind {
        RecordKind::Sector => read_catalog::<Sectors>(db, principal, what).await,
        RecordKind::Tag => read_catalog::<Tags>(db, principal, what).await,
        RecordKind::Question => read_catalog::<Questions>(db, principal, what).await,
        RecordKind::Blog => read_catalog::<Blogs>(db, principal, what).await,
        RecordKind::Editor => read_catalog::<Editors>(db, principal, what).await,
        content => Err(AppError::Internal(anyhow::anyhow!("{content} is not a catalog kind"))),
    }
}

async fn read_catalog<E: CatalogEntry>(db: &DatabaseConnection, principal: &Principal, what: Read<'_>) -> Result<Vec<Entry>, AppError> {
    let (after, ids, limit) = what.parts();
    catalog::readable::<E>(db, principal, after, ids, limit).await?.iter().map(entry).collect()
}
