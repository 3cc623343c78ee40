//! Test data beyond the demo publication, written through the same service the seed uses.

use api::clock::now;
use api::domain::{ContentKind, ContentStatus, Slug};
use api::services::content::{NewContent, insert};
use chrono::Duration;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;


/// All (slug, id) pairs of visible editors, sectors and tags in the demo publication.
pub struct DemoRefs {
    pub editors: Vec<Uuid>,
    pub sectors: Vec<Uuid>,
    pub tags: Vec<Uuid>,
}

pub async fn demo_refs(db: &DatabaseConnection) -> DemoRefs {
    let editors = entity::editor::Entity::find()
        .filter(entity::editor::Column::Visible.eq(true))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let sectors = entity::sector::Entity::find().all(db).await.unwrap().into_iter().map(|s| s.id).collect();
    let tags = entity::tag::Entity::find().all(db).await.unwrap().into_iter().map(|t| t.id).collect();
    DemoRefs { editors, sectors, tags }
}

/// Inserts `count` published essays, each with two authors, two sectors and two tags.
pub async fn published_essays(db: &DatabaseConnection, count: usize) -> Vec<Uuid> {
    let refs = demo_refs(db).await;
    let mut ids = Vec::new();
    for i in 0..count {
        let at = now() - Duration::hours(i64::try_from(i).unwrap() + 1);
        let pick = |list: &Vec<Uuid>, n: usize| vec![list[n % list.len()], list[(n + 1) % list.len()]];
        let new = NewContent {
            status: ContentStatus::Published,
            published_at: Some(at),
            body: format!("## Part {i}\n\nOrganizing is the work of building power, {i} times over."),
            author_ids: pick(&refs.editors, i),
            sector_ids: pick(&refs.sectors, i),
            tag_ids: pick(&refs.tags, i),
            ..NewContent::draft(
                ContentKind::Essay,
                Slug::parse(&format!("generated-essay-{i}")).unwrap(),
                format!("Generated essay {i}"),
                at,
            )
        };
        ids.push(insert(db, new).await.unwrap());
    }
    ids
}
