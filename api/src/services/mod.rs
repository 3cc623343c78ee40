//! Domain services, one module per aggregate: queries, visibility, validation, transactions.

pub mod api_keys;
pub mod audit;
pub mod backlog;
pub mod blogs;
pub mod catalog;
pub mod changes;
pub mod content;
pub mod counts;
pub mod editors;
pub mod feeds;
pub mod lease;
pub mod news;
pub mod positions;
pub mod query;
pub mod read_only;
pub mod revisions;
pub mod roles;
pub mod search;
pub mod seed;
pub mod slug;
pub mod sessions;
pub mod sync;
pub mod taxonomy;
pub mod transfer;
pub mod users;
pub mod validate;
pub mod webhooks;
pub mod write;

use std::collections::HashMap;

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::error::AppError;

/// Loads a many-to-many link table for many owners in one statement:
/// owner id → target ids, in `order` when given, restricted by `extra`.
pub async fn link_map<E>(
    db: &impl ConnectionTrait,
    owner: E::Column,
    target: E::Column,
    order: Option<E::Column>,
    owners: &[Uuid],
    extra: Condition,
) -> Result<HashMap<Uuid, Vec<Uuid>>, AppError>
where
    E: EntityTrait,
{
    let mut map: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut select = E::find()
        .select_only()
        .column(owner)
        .column(target)
        .filter(owner.is_in(owners.iter().copied()))
        .filter(extra);
    if let Some(order) = order {
        select = select.order_by_asc(order);
    }
    let rows: Vec<(Uuid, Uuid)> = select.into_tuple().all(db).await?;
    for (owner_id, target_id) in rows {
        map.entry(owner_id).or_default().push(target_id);
    }
    Ok(map)
}

/// Collects the distinct ids referenced by many owners.
pub fn distinct_ids<'a>(lists: impl IntoIterator<Item = &'a Vec<Uuid>>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = lists.into_iter().flatten().copied().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
