//! sea-orm entities, one module per table; no logic, no web types.

pub mod api_key;
pub mod audit_log;
pub mod blog;
pub mod blog_blogger;
pub mod change;
pub mod change_log_mark;
pub mod content_author;
pub mod content_body;
pub mod content_item;
pub mod content_sector;
pub mod content_slug_redirect;
pub mod content_tag;
pub mod editor;
pub mod editor_sector;
pub mod key_question;
pub mod permission;
pub mod refresh_session;
pub mod revision;
pub mod role;
pub mod sector;
pub mod tag;
pub mod user;
pub mod user_sector;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
