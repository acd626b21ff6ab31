//! The report service (多组织报表, docs/formats.md): sales summary (by month with 环比 and 同比),
//! inventory query, rankings and count differences (盘点差异) for an organization subtree, each with every ledger's freshness. For any account (viewer and up)
//! within its scope; a request naming no organization covers the account's own subtree.
//!
//! Status codes: UNAUTHENTICATED (missing or unknown token), PERMISSION_DENIED (a branch token,
//! or an organization outside the caller's scope; audited), INVALID_ARGUMENT (bad org code,
//! date, grouping, ranking key or filter, subtotals of a ranking, a product or warehouse filter
//! outside the inventory; no organization with the bootstrap token), NOT_FOUND (unknown
//! organization), INTERNAL (store).

use crate::config::Limits;
use crate::people::principal::ScopeRefusal;
use crate::service::principal::{audited, principal, NoPrincipal};
use crate::service::refusal_audit::RefusalLog;
use crate::store::report::consolidated;
use crate::store::report::count_diff::{self, CountRow};
use crate::store::report::error::ReportError;
use crate::store::report::query::{self, GroupBy, Report, ReportQuery, SalesRow, StockRow};
use crate::store::{Store, StoreError};
use branchline_proto::v1::report_server::Report as ReportApi;
use branchline_proto::v1::{Freshness, ReportRequest, ReportResponse, ReportRow};
use branchline_shared::{format_amount, format_plain};
use tonic::{Request, Response, Status};

/// Rows of a ranking when the request names no `top`.
const RANKING_TOP_DEFAULT: u32 = 10;

#[derive(Debug, thiserror::Error)]
enum ReportServiceError {
    #[error(transparent)]
    NoPrincipal(#[from] NoPrincipal),
    #[error(transparent)]
    Scope(#[from] ScopeRefusal),
    #[error("the report names no organization (--org): the admin token has none of its own")]
    NoOrg,
    #[error("--top {top} is more than the limit of {limit} rows")]
    TopTooLarge { top: u32, limit: u32 },
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn to_status(error: ReportServiceError) -> Status {
    let message = error.to_string();
    match error {
        ReportServiceError::NoPrincipal(_) => Status::unauthenticated(message),
        ReportServiceError::Scope(_) => Status::permission_denied(message),
        ReportServiceError::TopTooLarge { .. } | ReportServiceError::NoOrg => {
            Status::invalid_argument(message)
        }
        ReportServiceError::Report(ReportError::UnknownOrg { .. }) => Status::not_found(message),
        ReportServiceError::Report(ReportError::Store(error)) | ReportServiceError::Store(error) => {
            tracing::error!(%error, "report call failed");
            Status::internal(error.to_string())
        }
        ReportServiceError::Report(ReportError::Read(error)) => {
            tracing::error!(%error, "report call failed");
            Status::internal(error.to_string())
        }
        ReportServiceError::Report(_) => Status::invalid_argument(message),
    }
}

pub struct ReportService {
    store: Store,
    limits: Limits,
    refusals: RefusalLog,
}

impl ReportService {
    pub fn new(store: Store, limits: Limits) -> ReportService {
        let window = std::time::Duration::from_secs(limits.audit_refusal_window_seconds);
        ReportService {
            refusals: RefusalLog::new(store.clone(), window),
            store,
            limits,
        }
    }

    /// Shares the server's refusal log (one coalescing window per refusal kind across services).
    pub fn with_refusal_log(mut self, refusals: RefusalLog) -> ReportService {
        self.refusals = refusals;
        self
    }

    /// The answer of one report call of `kind`, its time counted for `/metrics`.
    async fn timed(
        &self,
        kind: &str,
        answer: impl std::future::Future<Output = Result<ReportResponse, ReportServiceError>>,
    ) -> Result<Response<ReportResponse>, Status> {
        let started = std::time::Instant::now();
        let answered = answer.await;
        let seconds = started.elapsed().as_secs_f64();
        self.store.counters().report_answered(kind, seconds);
        answered.map(Response::new).map_err(to_status)
    }

    /// The query of `request` by its caller: the caller's own root when it names no
    /// organization; an organization outside the caller's scope is refused and audited.
    async fn query(
        &self,
        call: &str,
        request: &Request<ReportRequest>,
    ) -> Result<ReportQuery, ReportServiceError> {
        let caller = principal(request)?;
        let asked = request.get_ref();
        let org = match (asked.org.as_str(), &caller.root) {
            ("", Some(root)) => root.clone(),
            ("", None) => return Err(ReportServiceError::NoOrg),
            (org, _) => org.to_owned(),
        };
        let query = ReportQuery::parse(&org, &asked.from, &asked.to, &asked.by)?
            .filtered(&asked.product, &asked.warehouse)?
            .with_subtotals(asked.subtotals);
        audited(&self.refusals, &caller, call, caller.check_org(&query.org)).await?;
        Ok(query)
    }
}

fn freshness_to_wire(report_freshness: Vec<query::Freshness>) -> Vec<Freshness> {
    report_freshness
        .into_iter()
        .map(|freshness| Freshness {
            org: freshness.org,
            branch: freshness.branch,
            epoch: freshness.epoch,
            last_seq: freshness.last_seq,
            received_at: freshness.received_at.unwrap_or_default(),
            backlog: freshness.backlog,
        })
        .collect()
}

fn columns(by: &[GroupBy]) -> Vec<String> {
    by.iter().map(|grouping| grouping.as_str().to_owned()).collect()
}

fn text(value: Option<std::sync::Arc<str>>) -> String {
    value.as_deref().unwrap_or_default().to_owned()
}

fn key_to_wire(key: query::GroupKey, level: query::RowLevel) -> ReportRow {
    ReportRow {
        level: level.as_str().to_owned(),
        org: key.org.to_string(),
        branch: key.branch.to_string(),
        product: text(key.product),
        customer: text(key.customer),
        warehouse: text(key.warehouse),
        day: text(key.day),
        month: text(key.month),
        ..ReportRow::default()
    }
}

/// Sales rows on the wire: quantities without trailing zeros, money and percentages with 2
/// places; a change against an earlier month without sales is absent, not zero.
pub fn sales_to_wire(report: Report<SalesRow>) -> ReportResponse {
    ReportResponse {
        columns: columns(&report.by),
        growth: report.growth,
        rows: report
            .rows
            .into_iter()
            .map(|row| ReportRow {
                qty: format_plain(row.sums.qty),
                amount: format_amount(row.sums.amount),
                tax: format_amount(row.sums.tax),
                total: format_amount(row.sums.total),
                target: row.target.map(format_amount).unwrap_or_default(),
                completion: row.completion.map(format_amount).unwrap_or_default(),
                month_on_month: row.growth.month_on_month.map(format_amount),
                year_on_year: row.growth.year_on_year.map(format_amount),
                rank: row.rank,
                ..key_to_wire(row.key, row.level)
            })
            .collect(),
        freshness: freshness_to_wire(report.freshness),
    }
}

pub fn inventory_to_wire(report: Report<StockRow>) -> ReportResponse {
    ReportResponse {
        columns: columns(&report.by),
        growth: false,
        rows: report
            .rows
            .into_iter()
            .map(|row| ReportRow {
                on_hand: format_plain(row.on_hand),
                ..key_to_wire(row.key, row.level)
            })
            .collect(),
        freshness: freshness_to_wire(report.freshness),
    }
}

/// Count differences on the wire: `qty` and `amount` the net, quantities without trailing
/// zeros, money with 2 places.
pub fn count_differences_to_wire(report: Report<CountRow>) -> ReportResponse {
    ReportResponse {
        columns: columns(&report.by),
        growth: false,
        rows: report
            .rows
            .into_iter()
            .map(|row| ReportRow {
                qty: format_plain(row.sums.net_qty()),
                amount: format_amount(row.sums.net_amount()),
                gain_qty: format_plain(row.sums.gain_qty),
                loss_qty: format_plain(row.sums.loss_qty),
                gain_amount: format_amount(row.sums.gain_amount),
                loss_amount: format_amount(row.sums.loss_amount),
                ..key_to_wire(row.key, row.level)
            })
            .collect(),
        freshness: freshness_to_wire(report.freshness),
    }
}

#[tonic::async_trait]
impl ReportApi for ReportService {
    #[tracing::instrument(skip_all)]
    async fn sales(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let result = async {
            let query = self.query("Report/Sales", &request).await?;
            Ok(sales_to_wire(consolidated::sales(&self.store, &query).await?))
        };
        self.timed("sales", result).await
    }

    #[tracing::instrument(skip_all)]
    async fn inventory(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let result = async {
            let query = self.query("Report/Inventory", &request).await?;
            Ok(inventory_to_wire(
                consolidated::inventory(&self.store, &query).await?,
            ))
        };
        self.timed("inventory", result).await
    }

    #[tracing::instrument(skip_all)]
    async fn count_differences(
        &self,
        request: Request<ReportRequest>,
    ) -> Result<Response<ReportResponse>, Status> {
        let result = async {
            let query = self.query("Report/CountDifferences", &request).await?;
            Ok(count_differences_to_wire(
                count_diff::count_differences(&self.store, &query).await?,
            ))
        };
        self.timed("count-differences", result).await
    }

    #[tracing::instrument(skip_all)]
    async fn ranking(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let result = async {
            let asked = request.get_ref();
            let top = if asked.top == 0 {
                RANKING_TOP_DEFAULT
            } else {
                asked.top
            };
            if top > self.limits.max_list_rows {
                return Err(ReportServiceError::TopTooLarge {
                    top,
                    limit: self.limits.max_list_rows,
                });
            }
            let query = self.query("Report/Ranking", &request).await?;
            Ok(sales_to_wire(
                consolidated::ranking(&self.store, &query, top).await?,
            ))
        };
        self.timed("ranking", result).await
    }
}
