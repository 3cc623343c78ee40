//! Batched relation loading: one statement per relation per query, whatever the page size.
//! Loaders are made per request, with the caller's principal, so nothing is cached across callers.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::policy::Principal;
use crate::services::blogs::{self, BlogRecord};
use crate::services::editors::{self, EditorRecord};
use crate::services::taxonomy::{self, QuestionRecord, SectorRecord, TagRecord};

/// A loader failure, shareable between the fields that waited on it.
pub type LoadError = Arc<crate::error::AppError>;

macro_rules! by_id_loader {
    ($record:ty, |$db:ident, $principal:ident, $ids:ident| $load:expr) => {
        impl Loader<Uuid> for ById<$record> {
            type Value = $record;
            type Error = LoadError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $record>, LoadError> {
                let ($db, $principal, $ids) = (&self.inner.db, &self.inner.principal, keys);
                let _ = $principal;
                $load.await.map_err(Arc::new)
            }
        }
    };
}

/// One loader per record type (the type parameter only tells them apart).
pub struct ById<T> {
    inner: Arc<Source>,
    _record: std::marker::PhantomData<fn() -> T>,
}

/// What every loader reads with.
pub struct Source {
    db: DatabaseConnection,
    principal: Principal,
}

by_id_loader!(EditorRecord, |db, principal, ids| editors::by_ids(db, principal, ids));
by_id_loader!(SectorRecord, |db, principal, ids| taxonomy::sectors_by_ids(db, ids));
by_id_loader!(TagRecord, |db, principal, ids| taxonomy::tags_by_ids(db, ids));
by_id_loader!(QuestionRecord, |db, principal, ids| taxonomy::questions_by_ids(db, ids));
by_id_loader!(BlogRecord, |db, principal, ids| blogs::by_ids(db, principal, ids));

/// A per-request, caching loader: what one field loaded, every other field reuses.
pub type Cached<T> = DataLoader<ById<T>, HashMapCache>;

/// A page of content under one parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChildrenKey {
    pub parent: crate::services::content::Parent,
    pub id: Uuid,
    pub kind: Option<crate::domain::ContentKind>,
    pub offset: u64,
    pub limit: u64,
    /// Count the window from the oldest item (Relay `last` without `before`).
    pub from_end: bool,
}

/// Loads pages of content under many parents, one windowed query per relation and window.
pub struct Children {
    inner: Arc<Source>,
}

impl Loader<ChildrenKey> for Children {
    type Value = crate::listing::Page<crate::services::content::ContentRecord>;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildrenKey]) -> Result<HashMap<ChildrenKey, Self::Value>, LoadError> {
        type Group = (crate::services::content::Parent, Option<crate::domain::ContentKind>, u64, u64, bool);
        let mut groups: HashMap<Group, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups.entry((key.parent, key.kind, key.offset, key.limit, key.from_end)).or_default().push(key.id);
        }
        let mut out = HashMap::new();
        for ((parent, kind, offset, limit, from_end), ids) in groups {
            let pages = crate::services::content::pages_by_parent(&self.inner.db, &self.inner.principal, kind, parent, &ids, offset, limit, from_end)
                .await
                .map_err(Arc::new)?;
            for (id, page) in pages {
                out.insert(ChildrenKey { parent, id, kind, offset, limit, from_end }, page);
            }
        }
        Ok(out)
    }
}

/// Loads the revisions of many items (those whose history the caller may read).
pub struct Revisions {
    inner: Arc<Source>,
}

impl Loader<Uuid> for Revisions {
    type Value = Vec<crate::services::revisions::RevisionRecord>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        crate::services::revisions::for_items(&self.inner.db, &self.inner.principal, keys).await.map_err(Arc::new)
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub revisions: DataLoader<Revisions, HashMapCache>,
    pub children: DataLoader<Children, HashMapCache>,
    pub editors: Cached<EditorRecord>,
    pub sectors: Cached<SectorRecord>,
    pub tags: Cached<TagRecord>,
    pub questions: Cached<QuestionRecord>,
    pub blogs: Cached<BlogRecord>,
}

impl Loaders {
    /// Fresh loaders reading as `principal`.
    pub fn new(db: DatabaseConnection, principal: Principal) -> Loaders {
        let source = Arc::new(Source { db, principal });
        fn make<T>(source: &Arc<Source>) -> Cached<T>
        where
            ById<T>: Loader<Uuid>,
        {
            DataLoader::with_cache(ById { inner: source.clone(), _record: std::marker::PhantomData }, tokio::spawn, HashMapCache::default())
        }
        Loaders {
            revisions: DataLoader::with_cache(Revisions { inner: source.clone() }, tokio::spawn, HashMapCache::default()),
            children: DataLoader::with_cache(Children { inner: source.clone() }, tokio::spawn, HashMapCache::default()),
            editors: make(&source),
            sectors: make(&source),
            tags: make(&source),
            questions: make(&source),
            blogs: make(&source),
        }
    }
}

/// Loads `ids` at once and keeps them in `loader`'s cache for the field resolvers. A prefetch is
/// already one batch, so it skips the loader's batching window (a timer and a spawned task,
/// and a millisecond of waiting, per relation).
async fn prefetch<T>(loader: &Cached<T>, ids: Vec<Uuid>) -> Result<HashMap<Uuid, T>, LoadError>
where
    T: Clone + Send + Sync + 'static,
    ById<T>: Loader<Uuid, Value = T, Error = LoadError>,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let loaded = loader.loader().load(&ids).await?;
    loader.feed_many(loaded.clone()).await;
    Ok(loaded)
}

/// Distinct ids, for one batched load.
fn distinct(ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl Loaders {
    /// Loads, in one statement per relation, what the selected fields of a page of content will
    /// ask for, so the field resolvers find it cached: the statement count stays the same
    /// whatever the page size.
    pub async fn prefetch_content(&self, items: &[crate::services::content::ContentRecord], wants: &ContentSelection) -> Result<(), LoadError> {
        let mut sector_ids: Vec<Uuid> = Vec::new();
        let mut editor_ids: Vec<Uuid> = Vec::new();
        if wants.authors {
            editor_ids.extend(items.iter().flat_map(|i| i.author_ids.iter().copied()));
        }
        if wants.sectors {
            sector_ids.extend(items.iter().flat_map(|i| i.sector_ids.iter().copied()));
        }
        if wants.blog {
            let blogs = prefetch(&self.blogs, distinct(items.iter().filter_map(|i| i.blog_id()))).await?;
            if wants.blog_bloggers {
                editor_ids.extend(blogs.values().flat_map(|b| b.blogger_ids.iter().copied()));
            }
            if wants.blog_sector {
                sector_ids.extend(blogs.values().filter_map(|b| b.sector_id));
            }
        }
        if !editor_ids.is_empty() || wants.authors {
            let editors = prefetch(&self.editors, distinct(editor_ids)).await?;
            if wants.editor_sectors {
                sector_ids.extend(editors.values().flat_map(|e| e.sector_ids.iter().copied()));
            }
        }
        if !sector_ids.is_empty() || wants.sectors {
            prefetch(&self.sectors, distinct(sector_ids)).await?;
        }
        if wants.tags {
            prefetch(&self.tags, distinct(items.iter().flat_map(|i| i.tag_ids.iter().copied()))).await?;
        }
        if wants.question {
            prefetch(&self.questions, distinct(items.iter().filter_map(|i| i.question_id()))).await?;
        }
        Ok(())
    }
}

/// Which relations a query selects on content nodes.
#[derive(Debug, Default, Clone, Copy)]
pub struct ContentSelection {
    pub authors: bool,
    pub editor_sectors: bool,
    pub sectors: bool,
    pub tags: bool,
    pub question: bool,
    pub blog: bool,
    pub blog_bloggers: bool,
    pub blog_sector: bool,
}
