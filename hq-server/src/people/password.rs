//! Password hashes of accounts: the shared Argon2id hashing (`branchline_shared::password`).

pub use branchline_shared::password::{decoy_hash, hash_password, verify_password, PasswordError};
