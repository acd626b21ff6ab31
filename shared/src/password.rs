//! Password hashes of people at HQ and of a branch workbench: Argon2id with the crate's default cost (19 MiB, 2 passes), stored as PHC
//! strings. Hashing is slow on purpose, so callers run it off the async threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing the password failed: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("the stored password hash is not a PHC string: {0}")]
    Stored(argon2::password_hash::Error),
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(PasswordError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(PasswordError::Hash)
}

/// Whether `password` matches the stored PHC string.
pub fn verify_password(password: &str, stored: &str) -> Result<bool, PasswordError> {
    let hash = PasswordHash::new(stored).map_err(PasswordError::Stored)?;
    match Argon2::default().verify_password(password.as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(error) => Err(PasswordError::Hash(error)),
    }
}

/// A hash no password matches, verified when an account does not exist or has no password, so
/// that a login takes as long whether or not the name is an account's.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&hex::encode(rand::random::<[u8; 32]>())).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash_password("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("correct horse"));
        assert!(verify_password("correct horse", &stored).unwrap());
        assert!(!verify_password("correct horsE", &stored).unwrap());
        assert_ne!(stored, hash_password("correct horse").unwrap(), "salted");
        assert!(verify_password("x", "not a hash").is_err());
        assert!(!verify_password("x", decoy_hash()).unwrap());
    }
}
