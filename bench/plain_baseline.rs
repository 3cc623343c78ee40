//! The plain baseline the benchmark measures against: actix-web and rusqlite, no ORM, no
//! middleware, one query per request, over the same SQLite file `ou` serves. It answers the
//! questions the workloads ask (the 20 newest published essays with author and sector names; one
//! essay by slug) and serves a fixed answer from memory (`/static`, "static bytes").
//!
//! `plain_baseline <database file> <address>`

use std::cell::RefCell;
use std::sync::OnceLock;

use actix_web::{App, HttpResponse, HttpServer, web};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

static DATABASE: OnceLock<String> = OnceLock::new();

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

const NEWEST: &str = "
    SELECT json_group_array(json_object(
        'id', lower(hex(c.id)), 'slug', c.slug, 'title', c.title, 'subtitle', c.subtitle, 'summary', c.summary,
        'status', c.status, 'published_at', c.published_at, 'version', c.version,
        'reading_time_minutes', c.reading_time_minutes, 'word_count', c.word_count,
        'authors', json((SELECT json_group_array(json_object('id', lower(hex(e.id)), 'slug', e.slug, 'display_name', e.display_name))
                         FROM content_authors ca JOIN editors e ON e.id = ca.editor_id WHERE ca.content_id = c.id)),
        'sectors', json((SELECT json_group_array(json_object('id', lower(hex(s.id)), 'slug', s.slug, 'name', s.name))
                         FROM content_sectors cs JOIN sectors s ON s.id = cs.sector_id WHERE cs.content_id = c.id))))
    FROM (SELECT * FROM content_items
          WHERE kind = 'essay' AND status = 'published' AND deleted_at IS NULL
          ORDER BY published_at DESC, id DESC LIMIT 20) c";

const BY_SLUG: &str = "
    SELECT json_object(
        'id', lower(hex(c.id)), 'slug', c.slug, 'title', c.title, 'summary', c.summary, 'body', b.body,
        'body_html', b.body_html, 'published_at', c.published_at, 'version', c.version)
    FROM content_items c JOIN content_bodies b ON b.content_id = c.id
    WHERE c.kind = 'essay' AND c.slug = ?1 AND c.status = 'published' AND c.deleted_at IS NULL";

fn query(sql: &str, parameter: Option<&str>) -> Option<String> {
    CONNECTION.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let path = DATABASE.get()?;
            *slot = Some(Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?);
        }
        let connection = slot.as_ref()?;
        let mut statement = connection.prepare_cached(sql).ok()?;
        let row = match parameter {
            Some(value) => statement.query_row([value], |row| row.get::<_, String>(0)),
            None => statement.query_row([], |row| row.get::<_, String>(0)),
        };
        row.optional().ok().flatten()
    })
}

fn json(body: Option<String>) -> HttpResponse {
    match body {
        Some(body) => HttpResponse::Ok().content_type("application/json").body(body),
        None => HttpResponse::NotFound().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(database), Some(address)) = (args.next(), args.next()) else {
        eprintln!("usage: plain_baseline <database file> <address>");
        std::process::exit(2);
    };
    let _ = DATABASE.set(database);
    let fixed = web::Bytes::from(query(NEWEST, None).unwrap_or_default());
    HttpServer::new(move || {
        let fixed = fixed.clone();
        App::new()
            .route("/essays", web::get().to(|| async { json(query(NEWEST, None)) }))
            .route("/essays/{slug}", web::get().to(|slug: web::Path<String>| async move { json(query(BY_SLUG, Some(&slug))) }))
            .route("/static", web::get().to(move || {
                let fixed = fixed.clone();
                async move { HttpResponse::Ok().content_type("application/json").body(fixed) }
            }))
    })
    .workers(2)
    .bind(address)?
    .run()
    .await
}
