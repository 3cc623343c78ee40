//! JWT access tokens (HS256, pinned) and opaque refresh tokens.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The claims of an access token; every one is required.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    /// Unique token id.
    pub jti: String,
    /// The refresh-session family this token belongs to.
    pub sid: String,
}

/// Signs and checks access tokens with one configured secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Lifetime of access tokens.
    pub access_ttl: Duration,
    /// Seals the opaque tokens the server hands out and takes back (sync positions).
    pub sealer: Sealer,
}

/// Signs opaque tokens with a key of their own, derived from the signing secret, so they can
/// never pass for access tokens (or the other way round).
#[derive(Clone)]
pub struct Sealer {
    key: std::sync::Arc<[u8; 32]>,
}

impl Sealer {
    /// A sealer whose key is derived from `secret`.
    pub fn new(secret: &[u8]) -> Sealer {
        use sha2::{Digest, Sha256};
        let key: [u8; 32] = Sha256::new().chain_update(b"organizing-upgrade opaque tokens\0").chain_update(secret).finalize().into();
        Sealer { key: std::sync::Arc::new(key) }
    }

    fn mac(&self) -> anyhow::Result<hmac::Hmac<sha2::Sha256>> {
        use hmac::Mac;
        <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(self.key.as_slice()).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// `payload` and its signature, URL-safe.
    pub fn seal(&self, payload: &[u8]) -> anyhow::Result<String> {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::Mac;
        let body = URL_SAFE_NO_PAD.encode(payload);
        let mut mac = self.mac()?;
        mac.update(body.as_bytes());
        Ok(format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())))
    }

    /// The payload of a token this server sealed, or `None` for anything else.
    pub fn open(&self, token: &str) -> Option<Vec<u8>> {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::Mac;
        let (body, signature) = token.split_once('.')?;
        let mut mac = self.mac().ok()?;
        mac.update(body.as_bytes());
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?).ok()?;
        URL_SAFE_NO_PAD.decode(body).ok()
    }
}

impl TokenKeys {
    /// Keys for HS256 with the given secret, issuer and audience.
    pub fn new(secret: &[u8], issuer: &str, audience: &str, access_ttl: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            access_ttl,
            sealer: Sealer::new(secret),
        }
    }

    /// A signed access token for `user` in session family `family`.
    pub fn issue(&self, user: Uuid, family: Uuid, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = AccessClaims {
            sub: user.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: (now + self.access_ttl).timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            jti: Uuid::now_v7().to_string(),
            sid: family.to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| anyhow::anyhow!("signing failed: {e}"))
    }

    /// The claims of a valid token, or `None` for any forged, expired, early or foreign token.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        decode::<AccessClaims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef", "ou", "ou-api", Duration::minutes(15))
    }

    #[test]
    fn round_trip_and_rejections() {
        let user = Uuid::now_v7();
        let token = keys().issue(user, Uuid::now_v7(), Utc::now()).unwrap();
        assert_eq!(keys().verify(&token).unwrap().sub, user.to_string());
        let other = TokenKeys::new(b"another secret of enough length!", "ou", "ou-api", Duration::minutes(15));
        assert!(other.verify(&token).is_none(), "other secret");
        let expired = keys().issue(user, Uuid::now_v7(), Utc::now() - Duration::hours(1)).unwrap();
        assert!(keys().verify(&expired).is_none(), "expired");
        let early = keys().issue(user, Uuid::now_v7(), Utc::now() + Duration::hours(1)).unwrap();
        assert!(keys().verify(&early).is_none(), "not yet valid");
        let foreign = TokenKeys::new(b"0123456789abcdef0123456789abcdef", "else", "ou-api", Duration::minutes(15));
        assert!(keys().verify(&foreign.issue(user, Uuid::now_v7(), Utc::now()).unwrap()).is_none(), "issuer");
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[0] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, r#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys().verify(&format!("{}.{}.", parts[0], parts[1])).is_none(), "alg none");
    }

    #[test]
    fn sealed_tokens_open_only_untouched_and_with_the_same_secret() {
        let sealed = keys().sealer.seal(b"position 7").unwrap();
        assert_eq!(keys().sealer.open(&sealed).as_deref(), Some(&b"position 7"[..]));
        let other = TokenKeys::new(b"another secret of enough length!", "ou", "ou-api", Duration::minutes(15));
        assert!(other.sealer.open(&sealed).is_none());
        let (body, mac) = sealed.split_once('.').unwrap();
        let tampered = format!("{}A.{mac}", &body[..body.len() - 1]);
        assert!(keys().sealer.open(&tampered).is_none());
        assert!(keys().sealer.open("garbage").is_none());
    }
}
