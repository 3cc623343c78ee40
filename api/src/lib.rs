//! Organizing Upgrade content API: configuration, HTTP app, REST adapter, policy and services.

pub mod auth;
pub mod clock;
pub mod db;
pub mod domain;
pub mod error;
pub mod etag;
#[cfg(feature = "adapters")]
pub mod graphql;
pub mod jobs;
pub mod listing;
pub mod metrics;
pub mod outbound;
pub mod policy;
pub mod rate_limit;
pub mod rendering;
pub mod response_cache;
#[cfg(feature = "adapters")]
pub mod rest;
pub mod services;
pub mod settings;
#[cfg(feature = "adapters")]
pub mod startup;
pub mod state;

#[cfg(feature = "adapters")]
pub use startup::{Application, build_app};
