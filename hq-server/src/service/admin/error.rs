//! How the admin service's errors answer: each mapped to its status code once.

use crate::bundle::BundleError;
use crate::people::principal::ScopeRefusal;
use crate::service::ingest_reply::ingest_status;
use crate::service::principal::NoPrincipal;
use crate::store::ingest::batch::IngestError;
use crate::store::ingest::quarantine::QuarantineError;
use crate::store::registry::audit::BadAuditFilter;
use crate::store::registry::branches::RegistryError;
use crate::store::registry::counterpart_check::CounterpartError;
use crate::store::registry::credential::CredentialError;
use crate::store::registry::stock_limit::LimitImportError;
use crate::store::registry::target::TargetError;
use crate::store::registry::template::TemplateError;
use crate::store::StoreError;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub(super) enum AdminError {
    #[error(transparent)]
    NoPrincipal(#[from] NoPrincipal),
    #[error(transparent)]
    Scope(#[from] ScopeRefusal),
    #[error(transparent)]
    BadAuditFilter(#[from] BadAuditFilter),
    #[error("branch {code} is not registered")]
    UnknownBranch { code: String },
    #[error("trade state {state:?}: not one of queued, quarantined, linked, confirmed, rejected")]
    UnknownTradeState { state: String },
    #[error("record {index}: {reason}")]
    BadRecord { index: usize, reason: String },
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error(transparent)]
    Quarantine(#[from] QuarantineError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    StockLimits(#[from] LimitImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(super) fn to_status(error: AdminError) -> Status {
    let message = error.to_string();
    match error {
        AdminError::NoPrincipal(_) => Status::unauthenticated(message),
        AdminError::Scope(_) => Status::permission_denied(message),
        AdminError::BadAuditFilter(_) => Status::invalid_argument(message),
        AdminError::UnknownBranch { .. } => Status::not_found(message),
        AdminError::BadRecord { .. } | AdminError::Bundle(_) | AdminError::UnknownTradeState { .. } => {
            Status::invalid_argument(message)
        }
        AdminError::Registry(error) => match error {
            RegistryError::Code(_)
            | RegistryError::Base(_)
            | RegistryError::UnknownMode { .. }
            | RegistryError::WrongKind { .. }
            | RegistryError::DuplicateCode { .. }
            | RegistryError::BlankName { .. }
            | RegistryError::PaddedName { .. } => Status::invalid_argument(message),
            RegistryError::OrgExists { .. }
            | RegistryError::BranchExists { .. }
            | RegistryError::NameOfAccount { .. }
            | RegistryError::OrgHasBranch { .. } => Status::already_exists(message),
            RegistryError::ParentOrgMissing { .. } | RegistryError::UnknownOrg { .. } => {
                Status::failed_precondition(message)
            }
            RegistryError::Counterpart(CounterpartError::ClaimedByBranch { .. }) => {
                Status::already_exists(message)
            }
            RegistryError::Counterpart(CounterpartError::Store(error)) => internal(error),
            RegistryError::Counterpart(_) => Status::failed_precondition(message),
            RegistryError::Store(error) => internal(error),
        },
        AdminError::Credential(error) => match error {
            CredentialError::UnknownBranch { .. } => Status::not_found(message),
            CredentialError::Store(error) => internal(error),
        },
        AdminError::Quarantine(error) => match error {
            QuarantineError::UnknownEntry { .. } => Status::not_found(message),
            QuarantineError::NotRetriable { .. } => Status::failed_precondition(message),
            QuarantineError::Store(error) => internal(error),
        },
        AdminError::Ingest(error) => ingest_status(error),
        AdminError::Template(error) => match error {
            TemplateError::UnknownTemplate { .. } => Status::not_found(message),
            TemplateError::UnknownOrg { .. } => Status::failed_precondition(message),
            TemplateError::Store(error) => internal(error),
            _ => Status::invalid_argument(message),
        },
        AdminError::Target(error) => match error {
            TargetError::UnknownOrg { .. } => Status::not_found(message),
            TargetError::BadMonth { .. } | TargetError::BadAmount { .. } => Status::invalid_argument(message),
            TargetError::Store(error) => internal(error),
        },
        AdminError::StockLimits(error) => match error {
            LimitImportError::Store(error) => internal(error),
            _ => Status::invalid_argument(message),
        },
        AdminError::Store(error) => internal(error),
    }
}

fn internal(error: StoreError) -> Status {
    tracing::error!(%error, "admin call failed");
    Status::internal(error.to_string())
}
