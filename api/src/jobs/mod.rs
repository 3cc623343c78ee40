//! Background jobs that every node runs; each is safe when several nodes run it at once.

pub mod news;
pub mod retention;
pub mod scheduler;
pub mod webhooks;
