//! How far behind the background work is: the oldest due item in each job's queue, for
//! `/metrics`.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

/// How far each job is behind: seconds since the oldest work it should have done was due
/// (0 when nothing is overdue), read from the database at scrape time.
pub async fn job_lag(db: &DatabaseConnection) -> Result<Vec<(&'static str, f64)>, sea_orm::DbErr> {
    use entity::{content_item, news_source, webhook_delivery};
    async fn oldest<E: EntityTrait>(db: &DatabaseConnection, query: sea_orm::Select<E>, column: impl ColumnTrait) -> Result<Option<chrono::DateTime<chrono::Utc>>, sea_orm::DbErr> {
        query.select_only().expr(sea_orm::sea_query::ExprTrait::min(column.into_expr())).into_tuple::<Option<chrono::DateTime<chrono::Utc>>>().one(db).await.map(Option::flatten)
    }
    let now = crate::clock::now();
    let lag = |due: Option<chrono::DateTime<chrono::Utc>>| due.map_or(0.0, |due| ((now - due).num_milliseconds().max(0) as f64) / 1000.0);
    Ok(vec![
        ("webhooks", lag(oldest(db, webhook_delivery::Entity::find().filter(webhook_delivery::Column::State.eq("pending")), webhook_delivery::Column::NextAttemptAt).await?)),
        ("news", lag(oldest(db, news_source::Entity::find().filter(news_source::Column::Active.eq(true)), news_source::Column::NextPollAt).await?)),
        ("scheduler", lag(oldest(db, content_item::Entity::find().filter(content_item::Column::Status.eq("scheduled")), content_item::Column::ScheduledAt).await?)),
    ])
}
