//! Content under many parents at once (a sector's, tag's, author's, blog's or question's items):
//! one windowed query for every parent's page and one for their counts, whatever the number of
//! parents, under the caller's visibility.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult, IdenStatic, Iterable};
use uuid::Uuid;

use entity::content_item;

use super::{ContentRecord, records};
use crate::domain::ContentKind;
use crate::error::AppError;
use crate::listing::Page;
use crate::policy::{Principal, content_visibility};

/// How content hangs from a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parent {
    /// Items filed under a sector.
    Sector,
    /// Items with a tag.
    Tag,
    /// Items an editor is an author of.
    Author,
    /// Posts of a blog.
    Blog,
    /// Items answering a key question.
    Question,
}

/// The parent column as quoted SQL, for the window clause (constants of this module only).
fn parent_sql(parent: Parent) -> &'static str {
    match parent {
        Parent::Sector => "\"content_sectors\".\"sector_id\"",
        Parent::Tag => "\"content_tags\".\"tag_id\"",
        Parent::Author => "\"content_authors\".\"editor_id\"",
        Parent::Blog => "\"content_items\".\"blog_id\"",
        Parent::Question => "\"content_items\".\"question_id\"",
    }
}

/// `(table, parent column)` the parent id lives in, joined to `content_items` when it is a link table.
fn parent_column(parent: Parent) -> (Option<(Alias, Alias)>, Expr) {
    let linked = |table: &str, column: &str| {
        (Some((Alias::new(table), Alias::new(column))), Expr::col((Alias::new(table), Alias::new(column))))
    };
    match parent {
        Parent::Sector => linked("content_sectors", "sector_id"),
        Parent::Tag => linked("content_tags", "tag_id"),
        Parent::Author => linked("content_authors", "editor_id"),
        Parent::Blog => (None, Expr::col((content_item::Entity, content_item::Column::BlogId))),
        Parent::Question => (None, Expr::col((content_item::Entity, content_item::Column::QuestionId))),
    }
}

/// The visible rows of `kind` under `parents`, with the parent id as `parent_id`.
fn base(principal: &Principal, kind: Option<ContentKind>, parent: Parent, parents: &[Uuid]) -> (SelectStatement, Expr) {
    let (link, parent_expr) = parent_column(parent);
    let mut select = Query::select();
    select.from(content_item::Entity);
    if let Some((table, _)) = &link {
        select.inner_join(
            table.clone(),
            Expr::col((table.clone(), Alias::new("content_id"))).equals((content_item::Entity, content_item::Column::Id)),
        );
    }
    select
        .cond_where(content_visibility(principal, kind))
        .and_where(parent_expr.clone().is_in(parents.iter().copied()));
    (select, parent_expr)
}

/// A page of each parent's items, newest first (`offset`/`limit` apply per parent). With
/// `from_end`, the window counts from the oldest item instead (Relay's `last` without `before`),
/// and each page still comes newest first.
#[allow(clippy::too_many_arguments)]
pub async fn pages_by_parent(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kind: Option<ContentKind>,
    parent: Parent,
    parents: &[Uuid],
    offset: u64,
    limit: u64,
    from_end: bool,
) -> Result<HashMap<Uuid, Page<ContentRecord>>, AppError> {
    let mut pages: HashMap<Uuid, Page<ContentRecord>> = parents.iter().map(|p| (*p, Page { items: Vec::new(), total: 0 })).collect();
    if parents.is_empty() {
        return Ok(pages);
    }
    // Counts, one row per parent.
    let (mut count, parent_expr) = base(principal, kind, parent, parents);
    count
        .expr_as(parent_expr.clone(), Alias::new("parent_id"))
        .expr_as(Func::count(Expr::col((content_item::Entity, content_item::Column::Id))), Alias::new("total"))
        .add_group_by([parent_expr.clone()]);
    for row in db.query_all(&count).await? {
        let id: Uuid = row.try_get("", "parent_id")?;
        let total: i64 = row.try_get("", "total")?;
        if let Some(page) = pages.get_mut(&id) {
            page.total = u64::try_from(total).unwrap_or(0);
        }
    }
    // Each parent's window, numbered per parent.
    let (mut ranked, parent_expr) = base(principal, kind, parent, parents);
    for column in content_item::Column::iter() {
        ranked.expr_as(Expr::col((content_item::Entity, column)), Alias::new(column.as_str()));
    }
    // Same order as content lists by default: newest first, then id (reversed when counting from the end).
    // Undated drafts last, as in lists (first when counting from the end).
    let (direction, nulls) = if from_end { ("ASC", "FIRST") } else { ("DESC", "LAST") };
    ranked.expr_as(parent_expr, Alias::new("parent_id")).expr_as(
        Expr::cust(format!(
            "ROW_NUMBER() OVER (PARTITION BY {} ORDER BY \"content_items\".\"published_at\" {direction} NULLS {nulls}, \"content_items\".\"id\" {direction})",
            parent_sql(parent)
        )),
        Alias::new("row_number"),
    );
    let window = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("row_number")).gt(offset as i64))
        .and_where(Expr::col(Alias::new("row_number")).lte((offset + limit) as i64))
        .order_by(Alias::new("parent_id"), sea_orm::Order::Asc)
        .order_by(Alias::new("row_number"), sea_orm::Order::Asc)
        .take();
    let rows = db.query_all(&window).await?;
    let mut models = Vec::with_capacity(rows.len());
    let mut owners = Vec::with_capacity(rows.len());
    for row in &rows {
        owners.push(row.try_get::<Uuid>("", "parent_id")?);
        models.push(content_item::Model::from_query_result(row, "")?);
    }
    // An item under two parents appears twice; its relations load once.
    let items = records(db, principal, models, false).await?;
    for (owner, item) in owners.into_iter().zip(items) {
        if let Some(page) = pages.get_mut(&owner) {
            page.items.push(item);
        }
    }
    if from_end {
        for page in pages.values_mut() {
            page.items.reverse();
        }
    }
    Ok(pages)
}
