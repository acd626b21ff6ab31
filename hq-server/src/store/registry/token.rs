//! Branch bearer tokens: how a fresh one is made and the SHA-256 digest HQ stores in its place.

use sha2::{Digest, Sha256};

/// A fresh branch token: 32 random bytes, hex.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Hex SHA-256 of a token, as stored.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
