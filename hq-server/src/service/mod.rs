//! The gRPC edges: the transfer service (branches) and the admin service (HQ administrators).
//! Only these modules touch generated wire types; each maps its errors to `tonic::Status` in
//! one function.

pub mod admin;
pub mod credential_gate;
pub mod refusal_audit;
pub mod report;
pub mod transfer;
