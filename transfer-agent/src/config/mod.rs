//! The agent's TOML config (README, "The transfer agent"): the file and its paths (`file`), the
//! HQ address, credential and TLS files (`target`), transfer tasks (`task`), the limits on
//! everything that grows (`limits`) and the one error type they share (`error`).

pub mod error;
pub mod file;
pub mod limits;
pub mod target;
pub mod task;

/// Environment variable that supplies the branch's transfer token.
pub const TOKEN_ENV: &str = "BRANCHLINE_TOKEN";
