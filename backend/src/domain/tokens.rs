//! Operator session tokens: HS256 JWTs with the algorithm pinned and `exp`, `iss`
//! and `aud` required.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tocsin_types::Role;

const ISSUER: &str = "tocsin";
const AUDIENCE: &str = "tocsin-api";

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Operator id.
    pub sub: String,
    pub name: String,
    pub role: Role,
    /// The operator's session epoch when this was issued (0 for tokens from
    /// before epochs existed).
    #[serde(default)]
    pub epoch: i64,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the session has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

/// Signs and checks session tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    /// A token for the operator, valid from `now` for `ttl`.
    pub fn mint(
        &self,
        operator_id: i64,
        username: &str,
        role: Role,
        epoch: i64,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        let expires = now + ttl;
        let claims = Claims {
            sub: operator_id.to_string(),
            name: username.to_owned(),
            role,
            epoch,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires))
    }

    /// The claims of a token signed by us, for us, not expired. Only HS256 is
    /// accepted, whatever the token's header says.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"a test secret that is long enough")
    }

    #[test]
    fn a_minted_token_verifies_with_its_claims() {
        let (token, exp) = keys().mint(7, "ana", Role::Operator, 0, Utc::now(), Duration::hours(1)).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, "7");
        assert_eq!(claims.name, "ana");
        assert_eq!(claims.role, Role::Operator);
        assert_eq!(claims.exp, exp.timestamp());
    }

    #[test]
    fn an_expired_token_is_refused_as_expired() {
        let past = Utc::now() - Duration::hours(2);
        let (token, _) = keys().mint(7, "ana", Role::Admin, 0, past, Duration::hours(1)).unwrap();
        assert_eq!(keys().verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_secret_or_tampered_is_refused() {
        let (token, _) = keys().mint(7, "ana", Role::Viewer, 0, Utc::now(), Duration::hours(1)).unwrap();
        let other = TokenKeys::new(b"another secret entirely, also long");
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[1] = parts[1].replace('J', "K");
        assert_eq!(keys().verify(&parts.join(".")), Err(TokenError::Invalid));
    }

    #[test]
    fn a_token_with_alg_none_is_refused() {
        use base64_like::encode;
        let header = encode(br#"{"alg":"none","typ":"JWT"}"#);
        let exp = (Utc::now() + Duration::hours(1)).timestamp();
        let body = encode(
            format!(r#"{{"sub":"1","name":"x","role":"admin","iss":"tocsin","aud":"tocsin-api","iat":0,"exp":{exp}}}"#)
                .as_bytes(),
        );
        assert_eq!(keys().verify(&format!("{header}.{body}.")), Err(TokenError::Invalid));
    }

    /// Unpadded base64url, enough to forge a test token.
    mod base64_like {
        pub fn encode(bytes: &[u8]) -> String {
            const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
