//! The permission policy: who is calling, and which rows they may read.
//!
//! Every read path (lists, single gets, embeds, relation filters, counts) takes its conditions
//! from here, so a rule is written once and no path can reveal more than another.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::ColumnTrait;

use entity::{content_item, editor};

use crate::domain::ContentStatus;

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials: published content and public profiles only.
    Anonymous,
}

impl Principal {
    /// Whether responses to this caller may be cached publicly.
    pub fn is_public(&self) -> bool {
        matches!(self, Principal::Anonymous)
    }
}

/// Which content rows a caller may read, as a condition on `content_items`.
pub fn content_visibility(principal: &Principal, now: DateTime<Utc>) -> Condition {
    match principal {
        Principal::Anonymous => Condition::all()
            .add(content_item::Column::Status.eq(ContentStatus::Published.as_str()))
            .add(content_item::Column::DeletedAt.is_null())
            .add(content_item::Column::PublishedAt.lte(now)),
    }
}

/// Which editor profiles a caller may read, as a condition on `editors`.
pub fn editor_visibility(principal: &Principal) -> Condition {
    match principal {
        Principal::Anonymous => Condition::all().add(editor::Column::Visible.eq(true)),
    }
}
