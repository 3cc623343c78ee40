//! Shared application state handed to every handler: cheap to clone.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::db::DbStats;
use crate::settings::Settings;

/// What every request can reach: the database pool, settings, keys and counters.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// Access-token signing keys.
    pub keys: TokenKeys,
    /// Failed-login counters, shared by all workers of this process.
    pub throttle: Arc<LoginThrottle>,
    /// Request rate limits, shared by all workers of this process.
    pub rate_limits: Arc<crate::rate_limit::RateLimits>,
    /// Answers to public reads, valid while the change log stands still.
    pub response_cache: Arc<crate::response_cache::ResponseCache>,
    /// Reads of the change log's position, shared by the requests waiting at the same time.
    pub positions: Arc<crate::services::positions::PositionReads>,
    /// Totals of public lists, valid while the change log stands still.
    pub counts: Arc<crate::services::counts::CountCache>,
    /// SQL statement counters.
    pub db_stats: Arc<DbStats>,
    /// When this process started serving, for `/metrics`.
    pub started_at: std::time::Instant,
    /// Polls news sources (the job, and `POST …/poll`) through the guarded client.
    pub news: crate::services::news::poll::Poller,
}

impl AppState {
    /// What the session operations (login, refresh, password change) work with.
    pub fn sessions(&self) -> crate::services::sessions::SessionContext<'_> {
        crate::services::sessions::SessionContext {
            db: &self.db,
            keys: &self.keys,
            throttle: &self.throttle,
            refresh_ttl: chrono::Duration::days(i64::from(self.settings.refresh_token_days)),
        }
    }
}
