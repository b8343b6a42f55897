//! Passwords and API key secrets: generated, hashed and checked here, never stored
//! in clear.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use super::ValidationError;

/// Shortest password accepted for an operator account.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Checks the password policy.
pub fn check_password_policy(field: &str, password: &str) -> Result<(), ValidationError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(ValidationError::new(field, format!("must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(ValidationError::new(field, format!("must be at most {MAX_PASSWORD_LEN} characters")));
    }
    Ok(())
}

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that a login for an
/// unknown user takes as long as one with a wrong password.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// A random password for the first admin when none is configured.
pub fn generate_password() -> String {
    Alphanumeric.sample_string(&mut OsRng, 20)
}

/// Random text for signing keys and similar.
pub fn generate_secret() -> String {
    Alphanumeric.sample_string(&mut OsRng, 48)
}

const KEY_PREFIX: &str = "tsk_";
/// Characters of a key kept in clear to find it and to show it in lists.
const LOOKUP_LEN: usize = 12;

/// A new API key: `(secret, lookup prefix)`. The secret is `tsk_` and 40 random
/// alphanumerics (about 238 bits).
pub fn generate_api_key() -> (String, String) {
    let secret = format!("{KEY_PREFIX}{}", Alphanumeric.sample_string(&mut OsRng, 40));
    let prefix = api_key_prefix(&secret);
    (secret, prefix)
}

/// The lookup prefix of a presented key. Legacy RedFlash keys (20 hex digits) are
/// looked up by their first 8 characters.
pub fn api_key_prefix(secret: &str) -> String {
    let len = if secret.starts_with(KEY_PREFIX) { LOOKUP_LEN } else { 8 };
    secret.chars().take(len).collect()
}

/// Hex SHA-256 of a key secret: what is stored. Keys are long and random, so a
/// fast hash is enough (unlike passwords).
pub fn hash_api_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes in time independent of where they differ.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn the_password_policy_names_the_field_and_the_rule() {
        assert!(check_password_policy("password", "0123456789").is_ok());
        let err = check_password_policy("password", "short").unwrap_err();
        assert_eq!(err.field, "password");
        assert!(err.message.contains("at least 10"));
        assert!(check_password_policy("password", &"x".repeat(2000)).is_err());
    }

    #[test]
    fn api_keys_are_long_random_and_found_by_prefix() {
        let (secret, prefix) = generate_api_key();
        let (other, _) = generate_api_key();
        assert_ne!(secret, other);
        assert_eq!(secret.len(), 44);
        assert!(secret.starts_with(&prefix));
        assert_eq!(prefix.len(), 12);
        assert_eq!(api_key_prefix("1af89877901234567890"), "1af89877");
    }

    #[test]
    fn key_hashes_are_sha256_hex_and_compare_exactly() {
        let h = hash_api_key("tsk_abc");
        assert_eq!(h.len(), 64);
        assert!(hashes_equal(&h, &hash_api_key("tsk_abc")));
        assert!(!hashes_equal(&h, &hash_api_key("tsk_abd")));
        assert!(!hashes_equal(&h, "short"));
    }
}
