//! People at HQ (README "People and scopes"): roles, the calling principal and its
//! organization scope, which role each gRPC method needs, and password hashes. Nothing here
//! touches the store; `store::registry::people` keeps the accounts.

pub mod access;
pub mod names;
pub mod password;
pub mod principal;
pub mod role;
