//! API keys for frontends: `ou_<prefix>_<secret>`, stored as a digest, scoped and revocable.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::secrets::{digest, random_token};

/// What an API key may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyScope {
    /// Published content, read-only.
    Content,
    /// Drafts and scheduled items too, read-only (for preview builds).
    Preview,
}

impl ApiKeyScope {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyScope::Content => "content",
            ApiKeyScope::Preview => "preview",
        }
    }

    /// Parses the stored form.
    pub fn parse(value: &str) -> Option<ApiKeyScope> {
        match value {
            "content" => Some(ApiKeyScope::Content),
            "preview" => Some(ApiKeyScope::Preview),
            _ => None,
        }
    }
}

/// A freshly generated key: the full secret is shown once, only the digest is stored.
pub struct GeneratedKey {
    /// The whole key, for the client.
    pub secret: String,
    /// A short public prefix that identifies the key in lists.
    pub prefix: String,
    /// The digest to store.
    pub hash: String,
}

/// Generates a new key.
pub fn generate() -> anyhow::Result<GeneratedKey> {
    let prefix: String = random_token(6)?.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    let secret = format!("ou_{prefix}_{}", random_token(32)?);
    Ok(GeneratedKey { hash: digest(&secret), prefix, secret })
}

/// Whether a bearer credential looks like an API key rather than a JWT.
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with("ou_")
}
