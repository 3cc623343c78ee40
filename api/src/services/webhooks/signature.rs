//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with a
//! `whsec_` secret, several space-separated while a rotated-out secret is still honoured.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::AppError;

/// The prefix of every secret.
const PREFIX: &str = "whsec_";

/// A new random secret: 32 bytes, base64, with the prefix.
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness available: {e}")))?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

/// One signature of `body` sent as message `id` at unix second `timestamp`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, AppError> {
    let key = STANDARD
        .decode(secret.strip_prefix(PREFIX).unwrap_or(secret))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a stored webhook secret is not base64: {e}")))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` header: a signature per secret in force, space-separated.
pub fn header(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> Result<String, AppError> {
    Ok(secrets.iter().map(|secret| sign(secret, id, timestamp, body)).collect::<Result<Vec<_>, _>>()?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the Standard Webhooks reference library.
    #[test]
    fn signs_the_published_test_vector() {
        let signature = sign(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }

    #[test]
    fn rotation_signs_with_every_secret() {
        let (old, new) = (new_secret().unwrap(), new_secret().unwrap());
        let both = header(&[&new, &old], "msg_1", 1, "{}").unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts, [sign(&new, "msg_1", 1, "{}").unwrap(), sign(&old, "msg_1", 1, "{}").unwrap()]);
        assert!(new.starts_with("whsec_") && new != old);
    }
}
