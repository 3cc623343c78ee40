//! A feed collectors follow: where it is, how often it is polled, and how polling went.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "news_sources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    pub name: String,
    /// The title the feed gives itself.
    pub feed_title: Option<String>,
    /// The site the feed belongs to, as the feed says.
    pub site_url: Option<String>,
    pub active: bool,
    pub poll_interval_minutes: i32,
    pub version: i32,
    pub last_polled_at: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    pub next_poll_at: DateTimeUtc,
    pub items_seen: i64,
    pub drafts_created: i64,
    /// Why polling stopped, when the server paused the source.
    pub paused_reason: Option<String>,
    /// Validators of the last answer, sent back on the next poll.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Until when one node holds the source for a poll.
    pub lease_until: Option<DateTimeUtc>,
    /// Which claim holds the lease.
    pub lease_token: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
