//! Leases: rows a node holds for a while (a webhook delivery to send, a news source to poll).
//! A claim takes due rows whose lease is free under a token of its own, so two nodes never hold
//! the same row, and the rows of a node that died come free when its lease runs out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use crate::clock::now;
use crate::error::AppError;

/// The columns a leased table has.
pub struct Columns<C> {
    pub id: C,
    /// Until when the lease holds (null: free).
    pub until: C,
    /// Which claim holds it.
    pub token: C,
    /// The order in which due rows are taken.
    pub order: C,
}

/// Rows claimed by one claim, and the transaction holding them: read what goes with them, then
/// commit.
pub struct Claim<M> {
    pub txn: DatabaseTransaction,
    pub token: Uuid,
    pub at: DateTime<Utc>,
    pub rows: Vec<M>,
}

/// Claims up to `limit` rows of `due(at)` whose lease is free, for `length`; `None` when none.
/// On PostgreSQL rows another node is claiming are skipped (`FOR UPDATE SKIP LOCKED`); on
/// SQLite the write transaction makes the claim atomic.
pub async fn claim<E>(db: &DatabaseConnection, columns: &Columns<E::Column>, due: impl Fn(DateTime<Utc>) -> Select<E>, limit: u64, length: Duration) -> Result<Option<Claim<E::Model>>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let free = |at: DateTime<Utc>| due(at).filter(Condition::any().add(columns.until.is_null()).add(columns.until.lt(at)));
    // The common case, nothing due, needs no write transaction.
    let any: Option<Uuid> = free(now()).select_only().column(columns.id).limit(1).into_tuple().one(db).await?;
    if any.is_none() {
        return Ok(None);
    }
    let txn = crate::db::begin_write(db).await?;
    let at = now();
    let ids: Vec<Uuid> = free(at)
        .select_only()
        .column(columns.id)
        .order_by_asc(columns.order)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(None);
    }
    let token = Uuid::now_v7();
    E::update_many()
        .col_expr(columns.until, Expr::value(at + length))
        .col_expr(columns.token, Expr::value(token))
        .filter(columns.id.is_in(ids))
        .exec(&txn)
        .await?;
    let rows = E::find().filter(columns.token.eq(token)).all(&txn).await?;
    Ok(Some(Claim { txn, token, at, rows }))
}
