//! The report service (多组织报表, docs/formats.md): sales summary (by month with 环比 and 同比),
//! inventory query, rankings and count differences (盘点差异) for an organization subtree, each with every ledger's freshness. For any account (viewer and up)
//! within its scope; a request naming no organization covers the account's own subtree.
//!
//! Each report reads one snapshot of its database (`ReportDb`): the store, or the hot standby
//! of `serve --report-db`, whose replay lag the response then carries.
//!
//! Status codes: UNAUTHENTICATED (missing or unknown token), PERMISSION_DENIED (a branch token,
//! or an organization outside the caller's scope; audited), INVALID_ARGUMENT (bad org code,
//! date, grouping, ranking key or filter, subtotals of a ranking, a product or warehouse filter
//! outside the inventory; no organization with the bootstrap token), NOT_FOUND (unknown
//! organization), UNAVAILABLE (the report database, a standby, failed: the message names it),
//! INTERNAL (store).

use crate::config::Limits;
use crate::people::principal::ScopeRefusal;
use crate::service::principal::{audited, principal, NoPrincipal};
use crate::service::refusal_audit::RefusalLog;
use crate::store::db::standby::ReplayLag;
use crate::store::report::consolidated;
use crate::store::report::count_diff::{self, CountRow};
use crate::store::report::error::ReportError;
use crate::store::report::low_stock::{self, LowStockRow};
use crate::store::report::query::{self, GroupBy, Report, ReportQuery, RowLevel, SalesRow, StockRow};
use crate::store::report::report_db::{ReportDb, ReportDbError, ReportSnapshot};
use crate::store::{Store, StoreError};
use branchline_proto::v1::report_server::Report as ReportApi;
use branchline_proto::v1::{self as wire, Freshness, ReportRequest, ReportResponse, ReportRow};
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
    #[error(transparent)]
    ReportDb(#[from] ReportDbError),
    /// A report that failed on the standby, whatever the read that failed.
    #[error("report database {url}: {reason}")]
    Standby { url: String, reason: String },
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
        ReportServiceError::ReportDb(ReportDbError::Standby { .. }) | ReportServiceError::Standby { .. } => {
            tracing::error!(%message, "report call failed on the report database");
            Status::unavailable(message)
        }
        ReportServiceError::ReportDb(ReportDbError::Store(error)) => {
            tracing::error!(%error, "report call failed");
            Status::internal(message)
        }
        ReportServiceError::Report(_) => Status::invalid_argument(message),
    }
}

impl ReportServiceError {
    /// A failed read of a report answered on the standby at `url` names the standby; a refusal
    /// of the request stays what it is.
    fn on_standby(self, url: &str) -> ReportServiceError {
        let reason = match &self {
            ReportServiceError::Report(ReportError::Store(error)) => error.to_string(),
            ReportServiceError::Report(ReportError::Read(error)) => error.to_string(),
            // The store's own failures (the audit log) are not the standby's.
            _ => return self,
        };
        ReportServiceError::Standby {
            url: url.to_owned(),
            reason,
        }
    }
}

pub struct ReportService {
    /// The store: refusals are audited and report times counted there.
    store: Store,
    /// Where reports are read: the store, or a hot standby of it.
    reports: ReportDb,
    limits: Limits,
    refusals: RefusalLog,
}

impl ReportService {
    pub fn new(store: Store, limits: Limits) -> ReportService {
        let window = std::time::Duration::from_secs(limits.audit_refusal_window_seconds);
        ReportService {
            refusals: RefusalLog::new(store.clone(), window),
            reports: ReportDb::Store(store.clone()),
            store,
            limits,
        }
    }

    /// Reads reports on `reports` (a hot standby of the store) instead of the store.
    pub fn with_report_db(mut self, reports: ReportDb) -> ReportService {
        self.reports = reports;
        self
    }

    /// The snapshot one report reads.
    async fn snapshot(&self) -> Result<ReportSnapshot, ReportServiceError> {
        Ok(self.reports.snapshot().await?)
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
        let mut answered = answer.await;
        let seconds = started.elapsed().as_secs_f64();
        self.store.counters().report_answered(kind, seconds);
        if let Some(url) = self.reports.standby_url() {
            answered = answered.map_err(|error| error.on_standby(url));
        }
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

/// `response` with the replay lag of the snapshot it was read from.
fn with_lag(mut response: ReportResponse, replay_lag: Option<ReplayLag>) -> ReportResponse {
    response.replay_lag = replay_lag.map(|lag| wire::ReplayLag {
        bytes: lag.bytes,
        ms: lag.ms,
        replayed_at: lag.replayed_at.unwrap_or_default(),
    });
    response
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
        replay_lag: None,
    }
}

pub fn inventory_to_wire(report: Report<StockRow>) -> ReportResponse {
    stock_response(report, |row| ReportRow {
        on_hand: format_plain(row.on_hand),
        ..key_to_wire(row.key, row.level)
    })
}

/// Rows under their minimum: the limit, the shortfall and, where a max is set, the order.
pub fn below_min_to_wire(report: Report<LowStockRow>) -> ReportResponse {
    stock_response(report, |row| ReportRow {
        on_hand: format_plain(row.on_hand),
        min: format_plain(row.min),
        max: row.max.map(format_plain).unwrap_or_default(),
        shortfall: format_plain(row.shortfall),
        suggested_order: row.suggested_order.map(format_plain).unwrap_or_default(),
        ..key_to_wire(row.key, RowLevel::Group)
    })
}

/// An inventory's response: its rows each made by `to_wire`, without growth.
fn stock_response<R>(report: Report<R>, to_wire: impl FnMut(R) -> ReportRow) -> ReportResponse {
    ReportResponse {
        columns: columns(&report.by),
        growth: false,
        rows: report.rows.into_iter().map(to_wire).collect(),
        freshness: freshness_to_wire(report.freshness),
        replay_lag: None,
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
        replay_lag: None,
    }
}

#[tonic::async_trait]
impl ReportApi for ReportService {
    #[tracing::instrument(skip_all)]
    async fn sales(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let result = async {
            let query = self.query("Report/Sales", &request).await?;
            let snapshot = self.snapshot().await?;
            let report = consolidated::sales(&snapshot.store, &query).await?;
            Ok(with_lag(sales_to_wire(report), snapshot.replay_lag))
        };
        self.timed("sales", result).await
    }

    #[tracing::instrument(skip_all)]
    async fn inventory(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let result = async {
            let query = self.query("Report/Inventory", &request).await?;
            let snapshot = self.snapshot().await?;
            let response = if request.get_ref().below_min {
                below_min_to_wire(low_stock::below_min(&snapshot.store, &query).await?)
            } else {
                inventory_to_wire(consolidated::inventory(&snapshot.store, &query).await?)
            };
            Ok(with_lag(response, snapshot.replay_lag))
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
            let snapshot = self.snapshot().await?;
            let report = count_diff::count_differences(&snapshot.store, &query).await?;
            Ok(with_lag(count_differences_to_wire(report), snapshot.replay_lag))
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
            let snapshot = self.snapshot().await?;
            let report = consolidated::ranking(&snapshot.store, &query, top).await?;
            Ok(with_lag(sales_to_wire(report), snapshot.replay_lag))
        };
        self.timed("ranking", result).await
    }
}
