//! Settings: one struct with defaults, layered defaults → `ou.toml` → `OU_*` environment → flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every key a setting can have; `OU_<KEY>` in the environment, `key` in `ou.toml`.
const KEYS: &[&str] = &[
    "bind",
    "database_url",
    "data_dir",
    "public_url",
    "cors_origins",
    "cache_max_age",
    "response_cache_bytes",
    "log",
    "max_body_bytes",
    "workers",
    "jwt_secret",
    "jwt_issuer",
    "jwt_audience",
    "access_token_seconds",
    "refresh_token_days",
    "admin_email",
    "admin_password",
    "login_attempts_per_minute",
    "require_preconditions",
    "scheduler_interval_seconds",
    "graphql_introspection",
    "outbound_allow_private",
    "webhook_interval_seconds",
    "webhook_retry_schedule",
    "webhook_failure_limit",
    "webhook_secret_grace_hours",
    "change_log_retention_days",
    "news_poll_interval_seconds",
    "news_fetch_timeout_seconds",
    "news_failure_limit",
    "rate_limit_anonymous_reads_per_minute",
    "rate_limit_authenticated_reads_per_minute",
    "rate_limit_writes_per_minute",
    "rate_limit_logins_per_minute",
    "rate_limit_graphql_cost_per_minute",
    "trust_forwarded_for",
];

/// The server's configuration, validated once at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// `sqlite://…` or `postgres://…`; empty means the embedded SQLite database in `data_dir`.
    pub database_url: String,
    /// Directory for the embedded database and generated secrets.
    pub data_dir: PathBuf,
    /// Public base URL used in links; empty means `http://{bind}`.
    pub public_url: String,
    /// Comma-separated browser origins allowed by CORS; `*` allows any origin.
    pub cors_origins: String,
    /// `max-age` in seconds for public (anonymous) responses.
    pub cache_max_age: u32,
    /// Memory for the response cache of public reads, in bytes; `0` turns it off.
    pub response_cache_bytes: usize,
    /// Log filter (tracing `EnvFilter` syntax).
    pub log: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// HS256 signing secret (at least 32 bytes); empty means one generated and kept in `data_dir`.
    pub jwt_secret: String,
    /// `iss` of access tokens.
    pub jwt_issuer: String,
    /// `aud` of access tokens.
    pub jwt_audience: String,
    /// Lifetime of access tokens, in seconds.
    pub access_token_seconds: u32,
    /// Lifetime of refresh tokens, in days.
    pub refresh_token_days: u32,
    /// Email of the admin created on first start.
    pub admin_email: String,
    /// Password of that admin; empty means one is generated and printed once.
    pub admin_password: String,
    /// Failed logins allowed per minute, per account and per client address.
    pub login_attempts_per_minute: u32,
    /// Whether updates and workflow actions must carry `If-Match` or `version` (428 otherwise).
    pub require_preconditions: bool,
    /// How often the scheduler publishes due items, in seconds; 0 turns it off on this node.
    pub scheduler_interval_seconds: u32,
    /// Whether GraphQL answers introspection queries (GraphiQL and code generators need them).
    pub graphql_introspection: bool,
    /// Whether outbound requests (webhooks, news sources) may reach loopback and private
    /// addresses; for tests and local development only.
    pub outbound_allow_private: bool,
    /// How often this node looks for webhook deliveries to send, in seconds; 0 turns delivery
    /// off on this node.
    pub webhook_interval_seconds: u32,
    /// Seconds to wait before each retry of a failed delivery, comma-separated; the delivery
    /// fails for good after the last one.
    pub webhook_retry_schedule: String,
    /// Consecutive events that failed every attempt after which an endpoint is disabled.
    pub webhook_failure_limit: u32,
    /// Hours a rotated-out webhook secret still signs deliveries, beside the new one.
    pub webhook_secret_grace_hours: u32,
    /// Days the change log keeps changes; a sync token older than that must start over.
    pub change_log_retention_days: u32,
    /// How often this node looks for news sources due a poll, in seconds; 0 turns polling off
    /// on this node.
    pub news_poll_interval_seconds: u32,
    /// Longest a news source's answer may take, in seconds (connecting: at most 10).
    pub news_fetch_timeout_seconds: u32,
    /// Failed polls in a row after which a news source is paused.
    pub news_failure_limit: u32,
    /// Reads without credentials each client address may make per minute (0: no limit).
    pub rate_limit_anonymous_reads_per_minute: u32,
    /// Reads with a token or API key per minute, per credential and per address (0: no limit).
    pub rate_limit_authenticated_reads_per_minute: u32,
    /// Writes per minute, per credential and per address (0: no limit).
    pub rate_limit_writes_per_minute: u32,
    /// Login attempts each client address may make per minute (0: no limit; failed logins are
    /// also throttled per account by `login_attempts_per_minute`).
    pub rate_limit_logins_per_minute: u32,
    /// GraphQL cost (a query's complexity: one per field, lists by their page size) per minute,
    /// per credential and per address (0: no limit).
    pub rate_limit_graphql_cost_per_minute: u32,
    /// Whether the client address is the last one in `X-Forwarded-For` (set it behind a proxy or
    /// load balancer that adds it; otherwise a client could name any address).
    pub trust_forwarded_for: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8080".into(),
            database_url: String::new(),
            data_dir: PathBuf::from("data"),
            public_url: String::new(),
            cors_origins: "*".into(),
            cache_max_age: 60,
            response_cache_bytes: 8 * 1024 * 1024,
            log: "info".into(),
            max_body_bytes: 1024 * 1024,
            workers: 0,
            jwt_secret: String::new(),
            jwt_issuer: "organizing-upgrade".into(),
            jwt_audience: "organizing-upgrade-api".into(),
            access_token_seconds: 900,
            refresh_token_days: 30,
            admin_email: "admin@example.org".into(),
            admin_password: String::new(),
            login_attempts_per_minute: 10,
            require_preconditions: true,
            scheduler_interval_seconds: 5,
            graphql_introspection: true,
            outbound_allow_private: false,
            webhook_interval_seconds: 1,
            // Immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 28 hours.
            webhook_retry_schedule: "5,300,1800,7200,18000,36000,36000".into(),
            webhook_failure_limit: 5,
            webhook_secret_grace_hours: 24,
            change_log_retention_days: 90,
            news_poll_interval_seconds: 30,
            news_fetch_timeout_seconds: 20,
            news_failure_limit: 10,
            rate_limit_anonymous_reads_per_minute: 3000,
            rate_limit_authenticated_reads_per_minute: 6000,
            rate_limit_writes_per_minute: 600,
            rate_limit_logins_per_minute: 30,
            rate_limit_graphql_cost_per_minute: 300_000,
            trust_forwarded_for: false,
        }
    }
}

/// A configuration problem, naming the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value could not be read or has the wrong type.
    #[error("invalid configuration: {0}")]
    Load(String),
    /// A value was read but is not acceptable.
    #[error("invalid setting `{key}` (OU_{upper}): {message}", upper = key.to_uppercase())]
    Invalid { key: &'static str, message: String },
}

/// Values given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SettingsOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Loads the layers in order of precedence and validates the result.
    pub fn load(config_file: &Path, overrides: &SettingsOverrides) -> Result<Settings, SettingsError> {
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(config_file))
            .merge(Env::prefixed("OU_").only(KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| SettingsError::Load(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        self.bind_addr()?;
        if !(self.database_url.is_empty()
            || self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(SettingsError::Invalid {
                key: "database_url",
                message: "must start with sqlite:, postgres:// or postgresql://".into(),
            });
        }
        if !self.public_url.is_empty()
            && !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://"))
        {
            return Err(SettingsError::Invalid {
                key: "public_url",
                message: "must be an http:// or https:// URL".into(),
            });
        }
        if !self.jwt_secret.is_empty() && self.jwt_secret.len() < 32 {
            return Err(SettingsError::Invalid { key: "jwt_secret", message: "must be at least 32 bytes".into() });
        }
        if !(60..=86_400).contains(&self.access_token_seconds) {
            return Err(SettingsError::Invalid { key: "access_token_seconds", message: "must be between 60 and 86400".into() });
        }
        if !(1..=365).contains(&self.refresh_token_days) {
            return Err(SettingsError::Invalid { key: "refresh_token_days", message: "must be between 1 and 365".into() });
        }
        if self.login_attempts_per_minute == 0 {
            return Err(SettingsError::Invalid { key: "login_attempts_per_minute", message: "must be at least 1".into() });
        }
        if !crate::domain::is_email(&self.admin_email) {
            return Err(SettingsError::Invalid { key: "admin_email", message: "must be an email address like admin@example.org".into() });
        }
        if let Some(problem) = (!self.admin_password.is_empty()).then(|| crate::auth::password::weakness(&self.admin_password)).flatten() {
            return Err(SettingsError::Invalid { key: "admin_password", message: problem });
        }
        self.retry_schedule()?;
        if self.webhook_failure_limit == 0 {
            return Err(SettingsError::Invalid { key: "webhook_failure_limit", message: "must be at least 1".into() });
        }
        if !(1..=120).contains(&self.news_fetch_timeout_seconds) {
            return Err(SettingsError::Invalid { key: "news_fetch_timeout_seconds", message: "must be between 1 and 120".into() });
        }
        if self.news_failure_limit == 0 {
            return Err(SettingsError::Invalid { key: "news_failure_limit", message: "must be at least 1".into() });
        }
        if !(1..=3650).contains(&self.change_log_retention_days) {
            return Err(SettingsError::Invalid { key: "change_log_retention_days", message: "must be between 1 and 3650".into() });
        }
        if self.max_body_bytes < 1024 {
            return Err(SettingsError::Invalid {
                key: "max_body_bytes",
                message: "must be at least 1024".into(),
            });
        }
        Ok(())
    }

    /// The delays before each retry of a webhook delivery.
    pub fn retry_schedule(&self) -> Result<Vec<std::time::Duration>, SettingsError> {
        let invalid = || SettingsError::Invalid {
            key: "webhook_retry_schedule",
            message: "must be a comma-separated list of at most 20 delays in seconds, each at most 604800, like 5,300,1800".into(),
        };
        let delays: Vec<std::time::Duration> = self
            .webhook_retry_schedule
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u64>().ok().filter(|n| *n <= 604_800).map(std::time::Duration::from_secs).ok_or_else(invalid))
            .collect::<Result<_, _>>()?;
        if delays.len() > 20 {
            return Err(invalid());
        }
        Ok(delays)
    }

    /// The listen address, parsed.
    pub fn bind_addr(&self) -> Result<SocketAddr, SettingsError> {
        self.bind.parse().map_err(|_| SettingsError::Invalid {
            key: "bind",
            message: format!("`{}` is not an address like 127.0.0.1:8080", self.bind),
        })
    }

    /// The database URL in force: the configured one, or the embedded SQLite file.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("ou.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// Allowed CORS origins; an empty list means any origin.
    pub fn cors_origin_list(&self) -> Vec<String> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty() && *o != "*")
            .map(str::to_owned)
            .collect()
    }
}
