//! Black-box integration tests: the real server on a real database (SQLite and PostgreSQL).

mod helpers;

mod auth;
mod boundary;
mod change_log;
mod caching;
mod cli;
mod database_errors;
mod errors;
mod feeds;
mod fixtures;
mod graphql;
mod guides;
mod kept_counts;
mod limits;
mod metrics;
mod list_dialects;
mod news;
mod permissions;
mod processes;
mod product_roles;
mod public_reads;
mod query_plans;
mod rate_limits;
mod read_only;
mod response_cache;
mod search;
mod statements;
mod sync;
mod versions;
mod webhooks;
mod system;
mod transfer;
mod workflow;
mod writes;
