//! The admin service: HQ administrators' calls with the admin token.
//!
//! Status codes: UNAUTHENTICATED (missing or unknown token), PERMISSION_DENIED (a branch token),
//! INVALID_ARGUMENT (bad codes, records or bundle), ALREADY_EXISTS (org or branch exists),
//! FAILED_PRECONDITION (missing parent org, gap, older epoch), NOT_FOUND (unknown branch or
//! quarantine entry, template), INTERNAL (store).

use crate::auth::{admin_token_digest, authenticate_admin, AdminCall, AdminRefusal};
use crate::bundle::{decode_bundle, BundleError};
use crate::config::Limits;
use crate::service::ingest_reply::{ack_to_wire, ingest_status};
use crate::service::refusal_audit::RefusalLog;
use crate::store::ingest::batch::{self, IngestError};
use crate::store::ingest::quarantine::{self, QuarantineError, RetryOutcome};
use crate::store::registry::branches::{self, NewBranch, RegistryError, MODE_INDEPENDENT_SALES};
use crate::store::registry::counterpart_check::CounterpartError;
use crate::store::registry::credential::{self, CredentialError};
use crate::store::registry::master;
use crate::store::registry::target::{self, TargetError};
use crate::store::registry::template::{self, TemplateError};
use crate::store::trade::register;
use crate::store::{Store, StoreError};
use branchline_proto::v1::admin_server::Admin;
use branchline_proto::v1::*;
use branchline_shared::{BaseKind, BaseRecord};
use tonic::{Request, Response, Status};

#[derive(Debug, thiserror::Error)]
enum AdminError {
    #[error(transparent)]
    Refused(#[from] AdminRefusal),
    #[error("branch {code} is not registered")]
    UnknownBranch { code: String },
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
    Store(#[from] StoreError),
}

fn to_status(error: AdminError) -> Status {
    let message = error.to_string();
    match error {
        AdminError::Refused(refusal) => refusal.to_status(),
        AdminError::UnknownBranch { .. } => Status::not_found(message),
        AdminError::BadRecord { .. } | AdminError::Bundle(_) => Status::invalid_argument(message),
        AdminError::Registry(error) => match error {
            RegistryError::Code(_)
            | RegistryError::Base(_)
            | RegistryError::UnknownMode { .. }
            | RegistryError::WrongKind { .. }
            | RegistryError::DuplicateCode { .. }
            | RegistryError::BlankName { .. }
            | RegistryError::PaddedName { .. }
            | RegistryError::BadSince { .. } => Status::invalid_argument(message),
            RegistryError::OrgExists { .. }
            | RegistryError::BranchExists { .. }
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
        AdminError::Store(error) => internal(error),
    }
}

fn internal(error: StoreError) -> Status {
    tracing::error!(%error, "admin call failed");
    Status::internal(error.to_string())
}

/// How the audit log and a refusal name this service's calls.
const ADMIN_CALL: AdminCall = AdminCall {
    audit_name: "admin call",
    service: "admin",
};

pub struct AdminService {
    store: Store,
    limits: Limits,
    admin_token_sha256: [u8; 32],
    refusals: RefusalLog,
}

impl AdminService {
    pub fn new(store: Store, limits: Limits, admin_token: &str) -> AdminService {
        let window = std::time::Duration::from_secs(limits.audit_refusal_window_seconds);
        AdminService {
            refusals: RefusalLog::new(store.clone(), window),
            store,
            limits,
            admin_token_sha256: admin_token_digest(admin_token),
        }
    }

    /// Shares the server's refusal log (one coalescing window per refusal kind across services).
    pub fn with_refusal_log(mut self, refusals: RefusalLog) -> AdminService {
        self.refusals = refusals;
        self
    }

    /// Admits the admin token; a branch token is refused and audited.
    async fn authenticate<T>(&self, request: &Request<T>) -> Result<(), AdminError> {
        Ok(authenticate_admin(&self.refusals, &self.admin_token_sha256, request, ADMIN_CALL).await??)
    }

    async fn import_bundle(&self, bytes: &[u8]) -> Result<PushAck, AdminError> {
        let bundle = decode_bundle(bytes, self.limits.max_batch_entries)?;
        let branch = branches::branch_by_code(&self.store, &bundle.source)
            .await?
            .ok_or_else(|| AdminError::UnknownBranch {
                code: bundle.source.clone(),
            })?;
        Ok(ack_to_wire(
            batch::ingest(&self.store, &branch, bundle.batch).await?,
        ))
    }
}

fn status_to_wire(status: branches::BranchStatus) -> BranchStatus {
    BranchStatus {
        branch: status.branch,
        org: status.org,
        epoch: status.epoch,
        last_seq: status.last_seq,
        received_at: status.received_at.unwrap_or_default(),
        last_contact: status.last_contact.unwrap_or_default(),
        backlog: status.backlog,
        quarantined: status.quarantined,
        conflicts: status.conflicts,
        inbox_seq: status.inbox_seq,
        inbox_last_seq: status.inbox_last_seq,
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    #[tracing::instrument(skip_all)]
    async fn add_org(&self, request: Request<AddOrgRequest>) -> Result<Response<AddOrgResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let org = request.get_ref();
            branches::add_org(&self.store, &org.code, &org.name).await?;
            Ok(AddOrgResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn add_branch(
        &self,
        request: Request<AddBranchRequest>,
    ) -> Result<Response<AddBranchResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let asked = request.into_inner();
            let branch = NewBranch {
                code: asked.code,
                name: asked.name,
                org: asked.org,
                customer: asked.customer,
                supplier: asked.supplier,
                warehouse: asked.warehouse,
                adopt_existing: asked.adopt_existing,
                mode: if asked.mode.is_empty() {
                    MODE_INDEPENDENT_SALES.to_owned()
                } else {
                    asked.mode
                },
            };
            let token = branches::add_branch(&self.store, &branch).await?;
            Ok(AddBranchResponse { token })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn import_base_data(
        &self,
        request: Request<ImportBaseDataRequest>,
    ) -> Result<Response<ImportBaseDataResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let asked = request.get_ref();
            let kind = BaseKind::parse(&asked.kind).map_err(RegistryError::from)?;
            let mut records = Vec::with_capacity(asked.records.len());
            for (index, record) in asked.records.iter().enumerate() {
                let record = BaseRecord::try_from(record).map_err(|error| AdminError::BadRecord {
                    index: index + 1,
                    reason: error.to_string(),
                })?;
                records.push(record);
            }
            let (created, updated) = master::import_master(&self.store, kind, &records).await?;
            Ok(ImportBaseDataResponse { created, updated })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn status(&self, request: Request<StatusRequest>) -> Result<Response<StatusResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let branches = branches::status(&self.store).await?;
            Ok(StatusResponse {
                branches: branches.into_iter().map(status_to_wire).collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn quarantine_list(
        &self,
        request: Request<QuarantineListRequest>,
    ) -> Result<Response<QuarantineListResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let entries = quarantine::list(&self.store, self.limits.max_list_rows).await?;
            Ok(QuarantineListResponse {
                entries: entries
                    .into_iter()
                    .map(|entry| QuarantinedEntry {
                        id: entry.id,
                        branch: entry.branch,
                        epoch: entry.epoch,
                        seq: entry.seq,
                        reason: entry.reason,
                        created_at: entry.created_at,
                        summary: entry.summary,
                    })
                    .collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn quarantine_retry(
        &self,
        request: Request<QuarantineRetryRequest>,
    ) -> Result<Response<QuarantineRetryResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            Ok(
                match quarantine::retry(&self.store, request.get_ref().id).await? {
                    RetryOutcome::Applied => QuarantineRetryResponse {
                        applied: true,
                        reason: String::new(),
                    },
                    RetryOutcome::StillQuarantined { reason } => QuarantineRetryResponse {
                        applied: false,
                        reason,
                    },
                },
            )
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn import_bundle(&self, request: Request<BundleUpload>) -> Result<Response<PushAck>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            self.import_bundle(&request.get_ref().bundle).await
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn create_template(
        &self,
        request: Request<CreateTemplateRequest>,
    ) -> Result<Response<CreateTemplateResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let asked = request.get_ref();
            let mut kinds = Vec::with_capacity(asked.kinds.len());
            for kind in &asked.kinds {
                kinds.push(BaseKind::parse(kind).map_err(RegistryError::from)?);
            }
            let created = template::create(&self.store, &asked.name, &kinds, &asked.codes).await?;
            Ok(CreateTemplateResponse {
                version: created.version,
                records: created.n_records,
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn publish_template(
        &self,
        request: Request<PublishTemplateRequest>,
    ) -> Result<Response<PublishTemplateResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let asked = request.get_ref();
            let publication = template::publish(
                &self.store,
                &asked.name,
                &asked.orgs,
                self.limits.template_part_bytes,
            )
            .await?;
            Ok(PublishTemplateResponse {
                branches: publication.queued,
                version: publication.version,
                already_queued: publication.already_queued,
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn export_template(
        &self,
        request: Request<ExportTemplateRequest>,
    ) -> Result<Response<ExportTemplateResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let latest = template::latest(&self.store, &request.get_ref().name).await?;
            Ok(ExportTemplateResponse {
                file: template::template_file(&latest),
                version: latest.version,
                records: latest.records.len() as u64,
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn routed_list(
        &self,
        request: Request<RoutedListRequest>,
    ) -> Result<Response<RoutedListResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let state = Some(request.get_ref().state.as_str()).filter(|state| !state.is_empty());
            let trades = register::list(&self.store, state, self.limits.max_list_rows).await?;
            Ok(RoutedListResponse {
                trades: trades
                    .into_iter()
                    .map(|trade| RoutedTrade {
                        source_branch: trade.source_branch,
                        source_number: trade.source_number,
                        target_branch: trade.target_branch.unwrap_or_default(),
                        doc_type: trade.doc_type,
                        state: trade.state,
                        inbox_seq: trade.inbox_seq.unwrap_or(0),
                        target_number: trade.target_number.unwrap_or_default(),
                        reason: trade.reason,
                        updated_at: trade.updated_at,
                    })
                    .collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    async fn set_target(
        &self,
        request: Request<SetTargetRequest>,
    ) -> Result<Response<SetTargetResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let asked = request.get_ref();
            target::set_target(&self.store, &asked.org, &asked.month, &asked.amount).await?;
            Ok(SetTargetResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_branch_token(
        &self,
        request: Request<RotateBranchTokenRequest>,
    ) -> Result<Response<RotateBranchTokenResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let token = credential::rotate_token(&self.store, &request.get_ref().code).await?;
            Ok(RotateBranchTokenResponse { token })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_branch(
        &self,
        request: Request<RevokeBranchRequest>,
    ) -> Result<Response<RevokeBranchResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            credential::revoke_token(&self.store, &request.get_ref().code).await?;
            Ok(RevokeBranchResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn audit(&self, request: Request<AuditRequest>) -> Result<Response<AuditResponse>, Status> {
        let result = async {
            self.authenticate(&request).await?;
            let since = match request.get_ref().since.as_str() {
                "" => None,
                text => Some(branches::audit_since(text)?),
            };
            let events =
                branches::audit_events(&self.store, since.as_deref(), self.limits.max_list_rows).await?;
            Ok(AuditResponse {
                events: events
                    .into_iter()
                    .map(|event| AuditEvent {
                        id: event.id,
                        at: event.at,
                        actor: event.actor,
                        action: event.action,
                        detail: event.detail,
                    })
                    .collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }
}
