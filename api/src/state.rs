//! Shared application state handed to every handler: cheap to clone.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::db::DbStats;
use crate::settings::Settings;

/// What every request can reach: the database pool, settings and counters.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// SQL statement counters.
    pub db_stats: Arc<DbStats>,
    /// When this process started serving, for `/metrics`.
    pub started_at: std::time::Instant,
}
