//! The admin service: HQ's calls for people and the bootstrap admin token. The credential gate
//! has checked the caller's role (README "People and scopes"); each method checks that what it
//! reads or changes lies in the caller's scope, before it touches the store.
//!
//! Status codes: UNAUTHENTICATED (missing or unknown token), PERMISSION_DENIED (a branch token,
//! a role below the method's, or outside the caller's scope; audited), INVALID_ARGUMENT (bad
//! codes, records, bundle or audit filters), ALREADY_EXISTS (org or branch exists),
//! FAILED_PRECONDITION (missing parent org, gap, older epoch), NOT_FOUND (unknown branch or
//! quarantine entry, template), INTERNAL (store).

mod audit_query;
mod bundle;
mod error;
mod stock_limits;
mod template_kinds;
mod wire;

use crate::config::Limits;
use crate::health::HealthThresholds;
use crate::people::principal::{Listing, Principal, ScopeRefusal};
use crate::service::principal::{audited, principal};
use crate::service::refusal_audit::RefusalLog;
use crate::store::close::register as day_close;
use crate::store::ingest::quarantine::{self, QuarantineError, RetryOutcome};
use crate::store::registry::audit::{self, AuditFilter};
use crate::store::registry::branches::{self, NewBranch, RegistryError, MODE_INDEPENDENT_SALES};
use crate::store::registry::credential;
use crate::store::registry::master;
use crate::store::registry::status;
use crate::store::registry::target;
use crate::store::registry::template;
use crate::store::registry::template_rollout::{self, RolloutFilter};
use crate::store::registry::tree;
use crate::store::trade::register;
use crate::store::Store;
use branchline_proto::v1::admin_server::Admin;
use branchline_proto::v1::*;
use branchline_shared::{validate_org_code, BaseKind, BaseRecord};
use error::{to_status, AdminError};
use tonic::{Request, Response, Status};
use wire::{
    day_close_to_wire, event_to_wire, quarantined_to_wire, status_to_wire, template_to_wire, trade_to_wire,
    tree_to_wire,
};

pub struct AdminService {
    store: Store,
    limits: Limits,
    /// When Status calls a branch amber or red.
    health: HealthThresholds,
    refusals: RefusalLog,
}

impl AdminService {
    pub fn new(store: Store, limits: Limits, health: HealthThresholds) -> AdminService {
        let window = std::time::Duration::from_secs(limits.audit_refusal_window_seconds);
        AdminService {
            refusals: RefusalLog::new(store.clone(), window),
            store,
            limits,
            health,
        }
    }

    /// Shares the server's refusal log (one coalescing window per refusal kind across services).
    pub fn with_refusal_log(mut self, refusals: RefusalLog) -> AdminService {
        self.refusals = refusals;
        self
    }

    /// `checked`, with a refusal audited in the caller's name under `call`.
    async fn scope<T>(
        &self,
        caller: &Principal,
        call: &str,
        checked: Result<T, ScopeRefusal>,
    ) -> Result<T, AdminError> {
        Ok(audited(&self.refusals, caller, call, checked).await?)
    }

    /// Refuses a malformed organization code, then one outside the caller's scope.
    async fn check_org(&self, caller: &Principal, call: &str, org: &str) -> Result<(), AdminError> {
        validate_org_code(org).map_err(RegistryError::from)?;
        self.scope(caller, call, caller.check_org(org)).await
    }

    /// What a listing asked for `asked` shows (see `Principal::listing`).
    async fn listing(&self, caller: &Principal, call: &str, asked: &str) -> Result<Listing, AdminError> {
        if !asked.is_empty() {
            validate_org_code(asked).map_err(RegistryError::from)?;
        }
        self.scope(caller, call, caller.listing(asked)).await
    }

    /// Branch `code`, refused when unknown or outside the caller's scope.
    async fn branch_in_scope(
        &self,
        caller: &Principal,
        call: &str,
        code: &str,
    ) -> Result<branches::BranchRef, AdminError> {
        let branch = branches::branch_by_code(&self.store, code)
            .await?
            .ok_or_else(|| AdminError::UnknownBranch {
                code: code.to_owned(),
            })?;
        self.scope(caller, call, caller.check_org(&branch.org)).await?;
        Ok(branch)
    }

    /// Refuses quarantined entry `id` when unknown (or applied) or its branch is outside the
    /// caller's scope.
    async fn entry_in_scope(&self, caller: &Principal, call: &str, id: u64) -> Result<(), AdminError> {
        let branch = quarantine::entry_branch(&self.store, id)
            .await?
            .ok_or(QuarantineError::UnknownEntry { id })?;
        self.scope(caller, call, caller.check_org(&branch.org)).await
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    #[tracing::instrument(skip_all)]
    async fn add_org(&self, request: Request<AddOrgRequest>) -> Result<Response<AddOrgResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let org = request.get_ref();
            self.check_org(&caller, "Admin/AddOrg", &org.code).await?;
            branches::add_org(&self.store, &caller.name, &org.code, &org.name).await?;
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
            let caller = principal(&request)?;
            let asked = request.into_inner();
            self.check_org(&caller, "Admin/AddBranch", &asked.org).await?;
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
            let token = branches::add_branch(&self.store, &caller.name, &branch).await?;
            Ok(AddBranchResponse { token })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn list_orgs(
        &self,
        request: Request<ListOrgsRequest>,
    ) -> Result<Response<ListOrgsResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let subtree = self
                .listing(&caller, "Admin/ListOrgs", &request.get_ref().org)
                .await?
                .subtree;
            let tree = tree::org_tree(&self.store, subtree.as_deref()).await?;
            Ok(tree_to_wire(tree))
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn import_base_data(
        &self,
        request: Request<ImportBaseDataRequest>,
    ) -> Result<Response<ImportBaseDataResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let call = "Admin/ImportBaseData";
            self.scope(&caller, call, caller.check_group_wide("base data"))
                .await?;
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
            let (created, updated) = master::import_master(&self.store, &caller.name, kind, &records).await?;
            Ok(ImportBaseDataResponse { created, updated })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn import_stock_limits(
        &self,
        request: Request<ImportStockLimitsRequest>,
    ) -> Result<Response<ImportStockLimitsResponse>, Status> {
        let result = self.import_stock_limit_rows(request);
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn status(&self, request: Request<StatusRequest>) -> Result<Response<StatusResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let subtree = self
                .listing(&caller, "Admin/Status", &request.get_ref().org)
                .await?
                .subtree;
            let branches = status::status(&self.store, subtree.as_deref()).await?;
            let now = chrono::Utc::now();
            Ok(StatusResponse {
                branches: branches
                    .into_iter()
                    .map(|branch| status_to_wire(branch, &self.health, now))
                    .collect(),
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
            let caller = principal(&request)?;
            let asked = request.get_ref();
            let call = "Admin/QuarantineList";
            let subtree = self.listing(&caller, call, &asked.org).await?.subtree;
            let id = Some(asked.id).filter(|id| *id != 0);
            if let Some(id) = id {
                self.entry_in_scope(&caller, call, id).await?;
            }
            let limit = self.limits.max_list_rows;
            let entries = quarantine::list(&self.store, subtree.as_deref(), id, limit).await?;
            Ok(QuarantineListResponse {
                entries: entries.into_iter().map(quarantined_to_wire).collect(),
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
            let caller = principal(&request)?;
            let id = request.get_ref().id;
            self.entry_in_scope(&caller, "Admin/QuarantineRetry", id).await?;
            Ok(match quarantine::retry(&self.store, &caller.name, id).await? {
                RetryOutcome::Applied => QuarantineRetryResponse {
                    applied: true,
                    reason: String::new(),
                },
                RetryOutcome::StillQuarantined { reason } => QuarantineRetryResponse {
                    applied: false,
                    reason,
                },
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn import_bundle(&self, request: Request<BundleUpload>) -> Result<Response<PushAck>, Status> {
        let result = async {
            let caller = principal(&request)?;
            self.import_bundle(&caller, &request.get_ref().bundle).await
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn create_template(
        &self,
        request: Request<CreateTemplateRequest>,
    ) -> Result<Response<CreateTemplateResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let call = "Admin/CreateTemplate";
            self.scope(&caller, call, caller.check_group_wide("templates"))
                .await?;
            let asked = request.get_ref();
            let contents = template_kinds::template_contents(&asked.kinds)?;
            let created =
                template::create(&self.store, &caller.name, &asked.name, &contents, &asked.codes).await?;
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
            let caller = principal(&request)?;
            let asked = request.get_ref();
            for org in &asked.orgs {
                self.check_org(&caller, "Admin/PublishTemplate", org).await?;
            }
            let part_bytes = self.limits.template_part_bytes;
            let publication =
                template::publish(&self.store, &caller.name, &asked.name, &asked.orgs, part_bytes).await?;
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
            principal(&request)?;
            let latest = template::latest(&self.store, &request.get_ref().name).await?;
            Ok(ExportTemplateResponse {
                file: template::template_file(&latest),
                version: latest.version,
                records: (latest.records.len() + latest.stock_limits.as_ref().map_or(0, Vec::len)) as u64,
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn list_templates(
        &self,
        request: Request<ListTemplatesRequest>,
    ) -> Result<Response<ListTemplatesResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let asked = request.get_ref();
            let subtree = self
                .listing(&caller, "Admin/ListTemplates", &asked.org)
                .await?
                .subtree;
            let filter = RolloutFilter {
                name: Some(asked.name.as_str()).filter(|name| !name.is_empty()),
                subtree: subtree.as_deref(),
            };
            let templates = template_rollout::list(&self.store, filter, self.limits.max_list_rows).await?;
            Ok(ListTemplatesResponse {
                templates: templates.into_iter().map(template_to_wire).collect(),
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
            let caller = principal(&request)?;
            let asked = request.get_ref();
            let subtree = self
                .listing(&caller, "Admin/RoutedList", &asked.org)
                .await?
                .subtree;
            let state = Some(asked.state.as_str()).filter(|state| !state.is_empty());
            if let Some(state) = state.filter(|state| !register::TRADE_STATES.contains(state)) {
                return Err(AdminError::UnknownTradeState {
                    state: branchline_shared::echo_prefix(state),
                });
            }
            let limit = self.limits.max_list_rows;
            let trades = register::list(&self.store, subtree.as_deref(), state, limit).await?;
            Ok(RoutedListResponse {
                trades: trades.into_iter().map(trade_to_wire).collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn set_target(
        &self,
        request: Request<SetTargetRequest>,
    ) -> Result<Response<SetTargetResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let asked = request.get_ref();
            self.check_org(&caller, "Admin/SetTarget", &asked.org).await?;
            target::set_target(&self.store, &caller.name, &asked.org, &asked.month, &asked.amount).await?;
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
            let caller = principal(&request)?;
            let code = &request.get_ref().code;
            self.branch_in_scope(&caller, "Admin/RotateBranchToken", code)
                .await?;
            let token = credential::rotate_token(&self.store, &caller.name, code).await?;
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
            let caller = principal(&request)?;
            let code = &request.get_ref().code;
            self.branch_in_scope(&caller, "Admin/RevokeBranch", code).await?;
            credential::revoke_token(&self.store, &caller.name, code).await?;
            Ok(RevokeBranchResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn audit(&self, request: Request<AuditRequest>) -> Result<Response<AuditResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let asked = request.get_ref();
            let query = self.audit_query(&caller, asked).await?;
            let filter = AuditFilter {
                since: query.since.as_deref(),
                until: query.until.as_deref(),
                subtree: query.subtree.as_deref(),
                group_events: query.group_events,
                org: query.branch_org.as_deref(),
                actor: Some(asked.actor.as_str()).filter(|actor| !actor.is_empty()),
                kind: Some(asked.kind.as_str()).filter(|kind| !kind.is_empty()),
                newest_first: asked.newest_first,
            };
            let events = audit::audit_events(&self.store, &filter, query.limit).await?;
            Ok(AuditResponse {
                events: events.into_iter().map(event_to_wire).collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn list_day_closes(
        &self,
        request: Request<ListDayClosesRequest>,
    ) -> Result<Response<ListDayClosesResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let code = &request.get_ref().branch;
            let branch = self.branch_in_scope(&caller, "Admin/ListDayCloses", code).await?;
            let closes = day_close::list(&self.store, &branch).await?;
            let closes = closes
                .into_iter()
                .map(|close| day_close_to_wire(&branch.code, close));
            Ok(ListDayClosesResponse {
                closes: closes.collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }
}
