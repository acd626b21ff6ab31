//! The commission service (佣金方案, README "Commission"): plans added and listed (admin),
//! assigned to organizations in the caller's scope (operator), a period's figures for a subtree
//! in the caller's scope (viewer and up) and its settlement (admin); the figures are
//! `store::commission`'s.
//!
//! Status codes: UNAUTHENTICATED, PERMISSION_DENIED (outside the caller's scope; audited),
//! INVALID_ARGUMENT (a bad plan, band, period or org code; no organization with the bootstrap
//! token), ALREADY_EXISTS (a plan of that name with other content), FAILED_PRECONDITION (a
//! period already settled), NOT_FOUND (unknown plan or
//! organization), INTERNAL (store).

use crate::people::principal::ScopeRefusal;
use crate::service::principal::{audited, principal, NoPrincipal};
use crate::service::refusal_audit::RefusalLog;
use crate::store::commission::figures::CommissionRow as Row;
use crate::store::commission::period::Period;
use crate::store::commission::statement::{figures, settle};
use crate::store::commission::{add_plan, assign_plan, plans, Plan, PlanError};
use crate::store::report::error::ReportError;
use crate::store::Store;
use branchline_proto::v1::commission_server::Commission;
use branchline_proto::v1::*;
use branchline_shared::{format_amount, validate_org_code};
use tonic::{Request, Response, Status};

#[derive(Debug, thiserror::Error)]
enum CommissionServiceError {
    #[error(transparent)]
    NoPrincipal(#[from] NoPrincipal),
    #[error(transparent)]
    Scope(#[from] ScopeRefusal),
    #[error("invalid organization code {org:?}")]
    BadOrg { org: String },
    #[error("the figures name no organization (--org): the admin token has none of its own")]
    NoOrg,
    #[error("the request carries no plan")]
    NoPlan,
    #[error(transparent)]
    Plan(#[from] PlanError),
}

fn to_status(error: CommissionServiceError) -> Status {
    use CommissionServiceError as E;
    let message = error.to_string();
    match error {
        E::NoPrincipal(_) => Status::unauthenticated(message),
        E::Scope(_) => Status::permission_denied(message),
        E::Plan(PlanError::Conflict { .. }) => Status::already_exists(message),
        E::Plan(PlanError::AlreadySettled { .. }) => Status::failed_precondition(message),
        E::Plan(PlanError::UnknownPlan { .. } | PlanError::UnknownOrg { .. })
        | E::Plan(PlanError::Report(ReportError::UnknownOrg { .. })) => Status::not_found(message),
        E::Plan(PlanError::Store(_) | PlanError::Report(ReportError::Store(_) | ReportError::Read(_))) => {
            tracing::error!(%message, "commission call failed");
            Status::internal(message)
        }
        _ => Status::invalid_argument(message),
    }
}

pub struct CommissionService {
    store: Store,
    refusals: RefusalLog,
}

impl CommissionService {
    pub fn new(store: Store, refusals: RefusalLog) -> CommissionService {
        CommissionService { store, refusals }
    }

    /// `org` checked against the caller's scope (refusals audited under `call`); the caller's
    /// own root when `org` is empty.
    async fn org_in_scope<T>(
        &self,
        request: &Request<T>,
        call: &str,
        org: &str,
    ) -> Result<String, CommissionServiceError> {
        let caller = principal(request)?;
        let org = match (org, &caller.root) {
            ("", Some(root)) => root.clone(),
            ("", None) => return Err(CommissionServiceError::NoOrg),
            (org, _) => org.to_owned(),
        };
        validate_org_code(&org).map_err(|_| CommissionServiceError::BadOrg {
            org: branchline_shared::echo_prefix(&org),
        })?;
        audited(&self.refusals, &caller, call, caller.check_org(&org)).await?;
        Ok(org)
    }
}

fn plan_to_wire(plan: &Plan, orgs: Vec<String>) -> CommissionPlan {
    CommissionPlan {
        name: plan.name.clone(),
        mode: plan.mode.as_str().to_owned(),
        period: plan.period.as_str().to_owned(),
        bands: plan.bands.canonical().split(',').map(str::to_owned).collect(),
        override_rate: plan
            .overrides
            .map(|(rate, _)| rate.to_string())
            .unwrap_or_default(),
        override_on: plan
            .overrides
            .map(|(_, on)| on.as_str().to_owned())
            .unwrap_or_default(),
        orgs,
    }
}

fn row_to_wire(row: Row) -> CommissionRow {
    let amount = |value: Option<rust_decimal::Decimal>| value.map(format_amount).unwrap_or_default();
    CommissionRow {
        org: row.org,
        plan: row.plan,
        sales: format_amount(row.sales),
        target: amount(row.target),
        completion: amount(row.completion_pct),
        bands: row
            .bands
            .iter()
            .map(|band| CommissionBand {
                from: band.band.from_pct.to_string(),
                rate: band.band.rate_pct.to_string(),
                base: format_amount(band.base),
                amount: format_amount(band.amount),
            })
            .collect(),
        commission: format_amount(row.commission),
        override_base: amount(row.overrides.map(|(base, _)| base)),
        r#override: amount(row.overrides.map(|(_, value)| value)),
        payable: format_amount(row.payable),
        adjustment: format_amount(row.adjustment),
        total: format_amount(row.total),
        settled_at: row.settled_at.unwrap_or_default(),
    }
}

fn figures_to_wire(period: Period, rows: Vec<Row>) -> CommissionFiguresResponse {
    CommissionFiguresResponse {
        period: period.label(),
        from: period.first.to_string(),
        to: period.last.to_string(),
        rows: rows.into_iter().map(row_to_wire).collect(),
    }
}

#[tonic::async_trait]
impl Commission for CommissionService {
    #[tracing::instrument(skip_all)]
    async fn add_plan(
        &self,
        request: Request<AddCommissionPlanRequest>,
    ) -> Result<Response<AddCommissionPlanResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let wire = request.into_inner().plan.ok_or(CommissionServiceError::NoPlan)?;
            let plan = Plan::parse(
                &wire.name,
                &wire.mode,
                &wire.period,
                &wire.bands,
                &wire.override_rate,
                &wire.override_on,
            )?;
            let added = add_plan(&self.store, &caller.name, &plan).await?;
            Ok(AddCommissionPlanResponse { added })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn assign_plan(
        &self,
        request: Request<AssignCommissionPlanRequest>,
    ) -> Result<Response<AssignCommissionPlanResponse>, Status> {
        let result = async {
            let asked = request.get_ref();
            let org = self
                .org_in_scope(&request, "Commission/AssignPlan", &asked.org)
                .await?;
            let caller = principal(&request)?;
            assign_plan(&self.store, &caller.name, &org, &request.get_ref().plan).await?;
            Ok(AssignCommissionPlanResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn list_plans(
        &self,
        request: Request<ListCommissionPlansRequest>,
    ) -> Result<Response<ListCommissionPlansResponse>, Status> {
        let result = async {
            principal(&request)?;
            let listed = plans(&self.store).await?;
            let plans = listed
                .into_iter()
                .map(|(plan, orgs)| plan_to_wire(&plan, orgs))
                .collect();
            Ok(ListCommissionPlansResponse { plans })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn figures(
        &self,
        request: Request<CommissionFiguresRequest>,
    ) -> Result<Response<CommissionFiguresResponse>, Status> {
        let result = async {
            let org = self
                .org_in_scope(&request, "Commission/Figures", &request.get_ref().org)
                .await?;
            let (period, rows) = figures(&self.store, &org, &request.get_ref().period).await?;
            Ok(figures_to_wire(period, rows))
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn settle(
        &self,
        request: Request<CommissionFiguresRequest>,
    ) -> Result<Response<CommissionFiguresResponse>, Status> {
        let result = async {
            let org = self
                .org_in_scope(&request, "Commission/Settle", &request.get_ref().org)
                .await?;
            let caller = principal(&request)?;
            let (period, rows) = settle(&self.store, &caller.name, &org, &request.get_ref().period).await?;
            Ok(figures_to_wire(period, rows))
        };
        result.await.map(Response::new).map_err(to_status)
    }
}
