//! What a page of items refers to and holds beside its row: authors, sectors and tags (and, when
//! wanted, the bodies), read in one statement.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, SimpleExpr, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoSimpleExpr};
use uuid::Uuid;

use entity::{content_author, content_body, content_sector, content_tag};

use crate::error::AppError;
use crate::policy::Principal;
use crate::services::editors::linked_editor_visible;

/// A page's relation ids, each list in order, and its bodies (Markdown, HTML).
#[derive(Default)]
pub(super) struct Links {
    pub authors: HashMap<Uuid, Vec<Uuid>>,
    pub sectors: HashMap<Uuid, Vec<Uuid>>,
    pub tags: HashMap<Uuid, Vec<Uuid>>,
    pub bodies: HashMap<Uuid, (String, String)>,
}

/// Which part of the union a row comes from.
const AUTHOR: i32 = 0;
const SECTOR: i32 = 1;
const TAG: i32 = 2;
const BODY: i32 = 3;

/// One part of the union: `content_id, target, position, relation, body, body_html`.
fn part<E: EntityTrait>(owner: E::Column, target: SimpleExpr, position: SimpleExpr, relation: i32, texts: [SimpleExpr; 2], items: &[Uuid]) -> SelectStatement {
    let [body, body_html] = texts;
    Query::select()
        .expr_as(owner.into_simple_expr(), Alias::new("content_id"))
        .expr_as(target, Alias::new("target"))
        .expr_as(position, Alias::new("position"))
        .expr_as(Expr::cust(relation.to_string()), Alias::new("relation"))
        .expr_as(body, Alias::new("body"))
        .expr_as(body_html, Alias::new("body_html"))
        .from(E::default())
        .and_where(owner.is_in(items.iter().copied()))
        .take()
}

/// Reads the links of `items` (authors only where the caller may see the profile) and, with
/// `with_bodies`, their bodies.
pub(super) async fn links(db: &impl ConnectionTrait, principal: &Principal, items: &[Uuid], with_bodies: bool) -> Result<Links, AppError> {
    let mut links = Links::default();
    if items.is_empty() {
        return Ok(links);
    }
    let none = || Expr::cust("NULL");
    let zero = || Expr::cust("0");
    let mut select = part::<content_author::Entity>(
        content_author::Column::ContentId,
        content_author::Column::EditorId.into_simple_expr(),
        content_author::Column::Position.into_simple_expr(),
        AUTHOR,
        [none(), none()],
        items,
    )
    .and_where(linked_editor_visible(principal, (content_author::Entity, content_author::Column::EditorId)))
    .take();
    select.union(
        UnionType::All,
        part::<content_sector::Entity>(content_sector::Column::ContentId, content_sector::Column::SectorId.into_simple_expr(), zero(), SECTOR, [none(), none()], items),
    );
    select.union(
        UnionType::All,
        part::<content_tag::Entity>(content_tag::Column::ContentId, content_tag::Column::TagId.into_simple_expr(), zero(), TAG, [none(), none()], items),
    );
    if with_bodies {
        let texts = [content_body::Column::Body.into_simple_expr(), content_body::Column::BodyHtml.into_simple_expr()];
        select.union(UnionType::All, part::<content_body::Entity>(content_body::Column::ContentId, none(), zero(), BODY, texts, items));
    }
    let mut ordered: Vec<(i32, i32, Uuid, Uuid)> = Vec::new();
    for row in db.query_all(&select).await? {
        let content_id: Uuid = row.try_get_by_index(0)?;
        let relation: i32 = row.try_get_by_index(3)?;
        if relation == BODY {
            links.bodies.insert(content_id, (row.try_get_by_index(4)?, row.try_get_by_index(5)?));
        } else {
            ordered.push((relation, row.try_get_by_index(2)?, row.try_get_by_index(1)?, content_id));
        }
    }
    // Authors in byline order; sectors and tags in id order, so every read lists them alike.
    ordered.sort_unstable();
    for (relation, _, target, content_id) in ordered {
        let lists = match relation {
            AUTHOR => &mut links.authors,
            SECTOR => &mut links.sectors,
            _ => &mut links.tags,
        };
        lists.entry(content_id).or_default().push(target);
    }
    Ok(links)
}
