//! Blogs and the content items of all four kinds, with their relations, bodies, redirects and revisions.

use crate::columns::{create_indexes, drop_tables, entity_table, fk, link_table, one_of};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table("blogs")
                    .col(string_len("slug", 120).unique_key())
                    .col(string_len("title", 200))
                    .col(text("description").default(""))
                    .col(uuid_null("sector_id"))
                    .foreign_key(&mut fk("blogs", "sector_id", "sectors", ForeignKeyAction::SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                link_table("blog_bloggers", "blog_id", "editor_id")
                    .col(integer("position").default(0))
                    .foreign_key(&mut fk("blog_bloggers", "blog_id", "blogs", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("blog_bloggers", "editor_id", "editors", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        // Bodies live in `content_bodies`, so list queries never read large text they do not need.
        manager
            .create_table(
                entity_table("content_items")
                    .col(string_len("kind", 30).check(one_of(
                        "kind",
                        &["essay", "strategy_analysis", "blog_post", "news_link"],
                    )))
                    .col(string_len("slug", 200))
                    .col(string_len("title", 300))
                    .col(string_len_null("subtitle", 300))
                    .col(text("summary").default(""))
                    .col(string_len("status", 20).check(one_of(
                        "status",
                        &["draft", "in_review", "scheduled", "published", "archived"],
                    )))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone_null("scheduled_at"))
                    .col(integer("version").default(1).check(Expr::cust("version >= 1")))
                    .col(string_len_null("byline", 300))
                    .col(boolean("featured").default(false))
                    .col(uuid_null("question_id"))
                    .col(uuid_null("blog_id"))
                    .col(json("key_takeaways"))
                    .col(string_len_null("url", 2048).unique_key())
                    .col(string_len_null("source_name", 200))
                    .col(string_len_null("source_url", 2048))
                    .col(text_null("commentary"))
                    .col(string_len_null("featured_image_url", 2048))
                    .col(string_len_null("seo_title", 300))
                    .col(string_len_null("seo_description", 500))
                    .col(integer("reading_time_minutes").default(0))
                    .col(integer("word_count").default(0))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .col(uuid_null("created_by"))
                    .check(Expr::cust("kind <> 'news_link' OR url IS NOT NULL"))
                    .check(Expr::cust("(kind = 'blog_post') = (blog_id IS NOT NULL)"))
                    .check(Expr::cust(
                        "question_id IS NULL OR kind IN ('essay', 'strategy_analysis')",
                    ))
                    .check(Expr::cust("featured = false OR kind = 'essay'"))
                    .check(Expr::cust("status <> 'scheduled' OR scheduled_at IS NOT NULL"))
                    .foreign_key(&mut fk("content_items", "question_id", "key_questions", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("content_items", "blog_id", "blogs", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("content_items", "created_by", "users", ForeignKeyAction::SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("content_bodies")
                    .col(pk_uuid("content_id"))
                    .col(text("body"))
                    .col(text("body_html"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut ForeignKey::create()
                        .name("fk_content_bodies_content_id")
                        .from("content_bodies", "content_id")
                        .to("content_items", "id")
                        .on_delete(ForeignKeyAction::Cascade)
                        .take())
                    .take(),
            )
            .await?;
        manager
            .create_table(
                link_table("content_authors", "content_id", "editor_id")
                    .col(integer("position").default(0))
                    .foreign_key(&mut fk("content_authors", "content_id", "content_items", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("content_authors", "editor_id", "editors", ForeignKeyAction::Restrict))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                link_table("content_sectors", "content_id", "sector_id")
                    .foreign_key(&mut fk("content_sectors", "content_id", "content_items", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("content_sectors", "sector_id", "sectors", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                link_table("content_tags", "content_id", "tag_id")
                    .foreign_key(&mut fk("content_tags", "content_id", "content_items", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("content_tags", "tag_id", "tags", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("content_slug_redirects")
                    .col(string_len("kind", 30))
                    .col(string_len("slug", 200))
                    .col(uuid("content_id"))
                    .foreign_key(&mut fk("content_slug_redirects", "content_id", "content_items", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                entity_table("revisions")
                    .col(uuid("content_id"))
                    .col(integer("version"))
                    .col(json("snapshot"))
                    .col(text_null("note"))
                    .col(uuid_null("author_user_id"))
                    .col(uuid_null("author_api_key_id"))
                    .foreign_key(&mut fk("revisions", "content_id", "content_items", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("revisions", "author_user_id", "users", ForeignKeyAction::SetNull))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            &[
                ("idx_blog_bloggers_editor_id", "blog_bloggers", &["editor_id"], false),
                ("uq_content_items_kind_slug", "content_items", &["kind", "slug"], true),
                // Serves every list: one kind, one status, newest first.
                ("idx_content_items_kind_status_published_at", "content_items", &["kind", "status", "published_at", "id"], false),
                ("idx_content_items_status_published_at", "content_items", &["status", "published_at", "id"], false),
                ("idx_content_items_status_scheduled_at", "content_items", &["status", "scheduled_at"], false),
                ("idx_content_items_blog_id", "content_items", &["blog_id", "status", "published_at"], false),
                ("idx_content_items_question_id", "content_items", &["question_id"], false),
                ("idx_content_authors_editor_id", "content_authors", &["editor_id"], false),
                ("idx_content_sectors_sector_id", "content_sectors", &["sector_id"], false),
                ("idx_content_tags_tag_id", "content_tags", &["tag_id"], false),
                ("uq_content_slug_redirects_kind_slug", "content_slug_redirects", &["kind", "slug"], true),
                ("uq_revisions_content_id_version", "revisions", &["content_id", "version"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "revisions",
                "content_slug_redirects",
                "content_tags",
                "content_sectors",
                "content_authors",
                "content_bodies",
                "content_items",
                "blog_bloggers",
                "blogs",
            ],
        )
        .await
    }
}
