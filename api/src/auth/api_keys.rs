//! API keys for frontends: `ou_<prefix>_<secret>`, stored as a digest, scoped and revocable.

use crate::auth::secrets::{digest, random_token};
use crate::domain::vocabulary;

vocabulary!(
    /// What an API key may read.
    ApiKeyScope {
        /// Published content, read-only.
        Content = "content",
        /// Drafts and scheduled items too, read-only (for preview builds).
        Preview = "preview",
    }
);

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
