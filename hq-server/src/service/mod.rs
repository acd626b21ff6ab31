//! The gRPC edges: the transfer service (branches), the admin, report and account services
//! (people at HQ, each call with its `principal`), the credential gate and refusal audit in front
//! of them, and how an ingestion answers
//! (`ingest_reply`, shared by transfer and admin). Only these modules touch generated wire types;
//! each maps its errors to `tonic::Status` in one function.

pub mod account;
pub mod admin;
pub mod commission;
pub mod credential_gate;
pub mod ingest_reply;
pub mod principal;
pub mod refusal_audit;
pub mod report;
pub mod transfer;
