//! The permission policy: who is calling, what they may do, and which rows they may read.
//!
//! Every read path (lists, single gets, embeds, relation filters, counts) takes its conditions
//! from here and every write asks [`authorize`], so a rule is written once and no path can
//! reveal or change more than another.

mod vocabulary;

use sea_orm::sea_query::{Condition, Query};
use sea_orm::ColumnTrait;
use uuid::Uuid;

use entity::{content_author, content_item, content_sector, editor, news_source, news_source_sector};

pub use vocabulary::{Action, Resource, Scope, default_roles};

use crate::auth::api_keys::ApiKeyScope;
use crate::domain::{ContentKind, ContentStatus};
use crate::error::AppError;

/// A signed-in user as the policy sees them, loaded fresh on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPrincipal {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    /// The role's grants.
    pub grants: Vec<(Resource, Action, Scope)>,
    /// Sectors a sector-scoped grant covers; empty means all.
    pub sector_ids: Vec<Uuid>,
    /// The user's public editor profile, if any.
    pub editor_id: Option<Uuid>,
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials: published content and public profiles only.
    Anonymous,
    /// A frontend API key.
    ApiKey { id: Uuid, scope: ApiKeyScope },
    /// A signed-in user.
    User(Box<UserPrincipal>),
    /// The server itself (background jobs, complete snapshots); never the result of a request.
    System,
}

/// What the policy needs to know about one content item to decide on a write.
#[derive(Debug, Clone)]
pub struct ItemFacts {
    pub created_by: Option<Uuid>,
    pub author_ids: Vec<Uuid>,
    pub sector_ids: Vec<Uuid>,
    pub status: ContentStatus,
}

impl Principal {
    /// Whether responses to this caller may be cached publicly (they see what everyone sees).
    pub fn is_public(&self) -> bool {
        matches!(self, Principal::Anonymous | Principal::ApiKey { scope: ApiKeyScope::Content, .. })
    }

    /// The user, when a user is calling.
    pub fn user(&self) -> Option<&UserPrincipal> {
        match self {
            Principal::User(user) => Some(user),
            _ => None,
        }
    }

    /// The broadest scope this caller holds for an action on a resource.
    pub fn scope(&self, resource: Resource, action: Action) -> Option<Scope> {
        if matches!(self, Principal::System) {
            return Some(Scope::All);
        }
        let user = self.user()?;
        user.grants
            .iter()
            .filter(|(r, a, _)| *r == resource && *a == action)
            .map(|(_, _, s)| *s)
            .max_by_key(|s| match s {
                Scope::Own => 0,
                Scope::Sector => 1,
                Scope::All => 2,
            })
    }
}

/// Refuses callers without credentials (401) and callers without the grant (403).
pub fn require(principal: &Principal, resource: Resource, action: Action) -> Result<Scope, AppError> {
    match principal {
        Principal::Anonymous => Err(AppError::Unauthenticated),
        Principal::ApiKey { .. } => Err(AppError::Forbidden),
        Principal::User(_) | Principal::System => principal.scope(resource, action).ok_or(AppError::Forbidden),
    }
}

/// Whether a scope covers an item for this user.
fn covers(user: &UserPrincipal, scope: Scope, item: &ItemFacts) -> bool {
    match scope {
        Scope::All => true,
        Scope::Sector => {
            user.sector_ids.is_empty()
                || item.sector_ids.is_empty()
                || item.sector_ids.iter().any(|s| user.sector_ids.contains(s))
        }
        Scope::Own => {
            item.created_by == Some(user.id) || user.editor_id.is_some_and(|e| item.author_ids.contains(&e))
        }
    }
}

/// Decides a write on a content item: 401 without credentials, 403 when not allowed.
///
/// An `own` grant covers only drafts for editing and deleting: authors hand their work over
/// when they submit it.
pub fn authorize(principal: &Principal, kind: ContentKind, action: Action, item: &ItemFacts) -> Result<(), AppError> {
    let resource = Resource::for_kind(kind);
    let scope = require(principal, resource, action)?;
    if matches!(principal, Principal::System) {
        return Ok(());
    }
    let Some(user) = principal.user() else {
        return Err(AppError::Forbidden);
    };
    let draft_only = scope == Scope::Own && matches!(action, Action::Update | Action::Delete);
    if covers(user, scope, item) && !(draft_only && item.status != ContentStatus::Draft) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Published and not trashed: what everyone may read. Publication is an action (or the
/// scheduler's, once an item is due) that stamps the time it happens, so no published item waits
/// for a later time: what the public sees changes only with a write, which appends to the change
/// log, and that is what lets caches be validated by the log alone.
fn public_content() -> Condition {
    Condition::all()
        .add(content_item::Column::Status.eq(ContentStatus::Published.as_str()))
        .add(content_item::Column::DeletedAt.is_null())
}

/// [`public_content`] for one loaded row: the same rule, read in Rust.
pub fn is_public_content(item: &content_item::Model) -> bool {
    item.status == ContentStatus::Published.as_str() && item.deleted_at.is_none()
}

/// Items in the user's sectors, or in no sector at all.
fn in_user_sectors(user: &UserPrincipal) -> Condition {
    if user.sector_ids.is_empty() {
        return Condition::all();
    }
    let linked = Query::select().column(content_sector::Column::ContentId).from(content_sector::Entity).take();
    Condition::any()
        .add(
            content_item::Column::Id.in_subquery(
                Query::select()
                    .column(content_sector::Column::ContentId)
                    .from(content_sector::Entity)
                    .and_where(content_sector::Column::SectorId.is_in(user.sector_ids.iter().copied()))
                    .take(),
            ),
        )
        .add(content_item::Column::Id.not_in_subquery(linked))
}

/// Which news sources a caller may see or act on with `action`: every one with an `all`
/// grant; with a `sector` grant those filed in one of the user's sectors and those in no
/// sector (every one when the user has no sectors); none otherwise.
pub fn news_source_visibility(principal: &Principal, action: Action) -> Condition {
    let nothing = Condition::any().add(news_source::Column::Id.is_null());
    match (principal, principal.scope(Resource::NewsSources, action)) {
        (_, Some(Scope::All)) => Condition::all(),
        (Principal::User(user), Some(Scope::Sector)) if user.sector_ids.is_empty() => Condition::all(),
        (Principal::User(user), Some(Scope::Sector)) => {
            let filed = Query::select().column(news_source_sector::Column::SourceId).from(news_source_sector::Entity).take();
            Condition::any()
                .add(
                    news_source::Column::Id.in_subquery(
                        Query::select()
                            .column(news_source_sector::Column::SourceId)
                            .from(news_source_sector::Entity)
                            .and_where(news_source_sector::Column::SectorId.is_in(user.sector_ids.iter().copied()))
                            .take(),
                    ),
                )
                .add(news_source::Column::Id.not_in_subquery(filed))
        }
        _ => nothing,
    }
}

/// Whether the caller may file a news source in `sector_ids` (with `action`): an `all` grant,
/// or a `sector` grant that covers every one of them.
pub fn may_file_source(principal: &Principal, action: Action, sector_ids: &[Uuid]) -> Result<(), AppError> {
    match (principal, require(principal, Resource::NewsSources, action)?) {
        (_, Scope::All) => Ok(()),
        (Principal::User(user), Scope::Sector) if user.sector_ids.is_empty() || sector_ids.iter().all(|s| user.sector_ids.contains(s)) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// Items the user created or is an author of.
fn owned_by(user: &UserPrincipal) -> Condition {
    let mut owned = Condition::any().add(content_item::Column::CreatedBy.eq(user.id));
    if let Some(editor_id) = user.editor_id {
        owned = owned.add(
            content_item::Column::Id.in_subquery(
                Query::select()
                    .column(content_author::Column::ContentId)
                    .from(content_author::Entity)
                    .and_where(content_author::Column::EditorId.eq(editor_id))
                    .take(),
            ),
        );
    }
    owned
}

/// Which content rows of one kind a caller may read, as a condition on `content_items`.
fn kind_visibility(principal: &Principal, kind: ContentKind) -> Condition {
    let not_trashed = || Condition::all().add(content_item::Column::DeletedAt.is_null());
    match principal {
        Principal::Anonymous | Principal::ApiKey { scope: ApiKeyScope::Content, .. } => public_content(),
        Principal::ApiKey { scope: ApiKeyScope::Preview, .. } | Principal::System => not_trashed(),
        Principal::User(user) => match principal.scope(Resource::for_kind(kind), Action::Read) {
            None => public_content(),
            Some(Scope::All) => not_trashed(),
            Some(Scope::Sector) => Condition::any()
                .add(public_content())
                .add(not_trashed().add(in_user_sectors(user))),
            Some(Scope::Own) => Condition::any().add(public_content()).add(not_trashed().add(owned_by(user))),
        },
    }
}

/// Which content rows a caller may read (of one kind, or of every kind).
pub fn content_visibility(principal: &Principal, kind: Option<ContentKind>) -> Condition {
    match kind {
        Some(kind) => Condition::all()
            .add(content_item::Column::Kind.eq(kind.as_str()))
            .add(kind_visibility(principal, kind)),
        None => {
            let rules: Vec<Condition> = ContentKind::ALL.iter().map(|kind| kind_visibility(principal, *kind)).collect();
            // One rule for every kind (the public's, an admin's) needs no condition on the kind,
            // so indexes without it serve the list.
            if rules.windows(2).all(|pair| pair[0] == pair[1]) {
                return rules.into_iter().next().unwrap_or_else(Condition::all);
            }
            ContentKind::ALL.iter().zip(rules).fold(Condition::any(), |any, (kind, rule)| {
                any.add(Condition::all().add(content_item::Column::Kind.eq(kind.as_str())).add(rule))
            })
        }
    }
}

/// Which trashed rows a caller may see: those they could restore.
pub fn trash_visibility(principal: &Principal, kind: Option<ContentKind>) -> Condition {
    let kinds: Vec<ContentKind> = kind.map_or_else(|| ContentKind::ALL.to_vec(), |k| vec![k]);
    // Starts false (ids are never null), so a caller with no grant sees nothing.
    let nothing = Condition::any().add(content_item::Column::Id.is_null());
    kinds.into_iter().fold(nothing, |any, kind| {
        let trashed = Condition::all()
            .add(content_item::Column::Kind.eq(kind.as_str()))
            .add(content_item::Column::DeletedAt.is_not_null());
        let scoped = match (principal, principal.scope(Resource::for_kind(kind), Action::Restore)) {
            (_, None) => return any,
            (_, Some(Scope::All)) => trashed,
            (Principal::User(user), Some(Scope::Sector)) => trashed.add(in_user_sectors(user)),
            (Principal::User(user), Some(Scope::Own)) => trashed.add(owned_by(user)),
            _ => return any,
        };
        any.add(scoped)
    })
}

/// Which editor profiles a caller may read, as a condition on `editors`.
pub fn editor_visibility(principal: &Principal) -> Condition {
    if principal.scope(Resource::Editors, Action::Update).is_some() {
        return Condition::all();
    }
    Condition::all().add(editor::Column::Visible.eq(true))
}
