//! 多组织销售汇总表 (sales summary, `/sales`): the form of `hq-server report sales` (organization
//! subtree, dates, groupings) as a GET query, so a report's address can be shared; the report's
//! rows with a subtotal after every organization's subtree and the total last (`Report/Sales`
//! with `subtotals`), each branch's freshness beside it; five charts (monthly trend, by
//! organization, a top-N ranking, target completion, and each organization's months with their
//! 环比 and 同比) from their own report calls; and the
//! same rows as CSV (`/sales.csv`) and as an Excel workbook (`/sales.xlsx`).
//!
//! Every figure is a response's string: the page sums, rounds and divides nothing.

use super::super::ctx::Ctx;
use super::super::error::ConsoleError;
use super::super::layout::Nav;
use super::report_files;
use super::report_view::{self, Figures, ReportParams};
use super::sales_charts::{self, rank_label};
use crate::console::state::Console;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{ReportRequest, ReportResponse};
use maud::{html, Markup};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route(Nav::Sales.path(), get(page))
        .route("/sales.csv", get(csv))
        .route("/sales.xlsx", get(xlsx))
}

/// The groupings the form offers, in `--by`'s order.
const GROUPINGS: [&str; 6] = ["org", "product", "customer", "warehouse", "day", "month"];

/// What a ranking may be by, and its default length.
const RANKING_KEYS: [&str; 3] = ["product", "customer", "org"];
const RANKING_TOP_DEFAULT: u32 = 10;
const RANKING_TOP_MAX: u32 = 100;

/// Months the trend chart shows at most (a ranking by month as long as this).
const TREND_MONTHS_MAX: u32 = 1_200;

/// The sales query of a page's URL: the report's, the ranking's key and length.
struct SalesAsk {
    params: ReportParams,
    rank_by: &'static str,
    top: u32,
}

impl SalesAsk {
    fn parse(query: Option<&str>) -> Result<SalesAsk, ConsoleError> {
        let mut params = ReportParams::parse(query)?;
        if params.by.is_empty() {
            params.by.push("org".to_owned());
        }
        let rank_by = match params.other("rank") {
            "" => "product",
            asked => RANKING_KEYS
                .into_iter()
                .find(|key| *key == asked)
                .ok_or_else(|| {
                    ConsoleError::bad_input(format!("rank: {asked:?} is not product, customer or org"))
                })?,
        };
        let top = match params.other("top") {
            "" => RANKING_TOP_DEFAULT,
            asked => asked
                .parse()
                .ok()
                .filter(|top| (1..=RANKING_TOP_MAX).contains(top))
                .ok_or_else(|| {
                    ConsoleError::bad_input(format!(
                        "top: {asked:?} is not a number from 1 to {RANKING_TOP_MAX}"
                    ))
                })?,
        };
        Ok(SalesAsk { params, rank_by, top })
    }

    /// The report call for the asked subtree and dates, grouped by `by`.
    fn request(&self, by: &[&str], subtotals: bool, top: u32) -> ReportRequest {
        ReportRequest {
            org: self.params.org.clone(),
            from: self.params.from.clone(),
            to: self.params.to.clone(),
            by: by.iter().map(|by| (*by).to_owned()).collect(),
            top,
            subtotals,
            ..ReportRequest::default()
        }
    }

    /// The table's call: the asked grouping with subtotals.
    fn table_request(&self) -> ReportRequest {
        let by: Vec<&str> = self.params.by.iter().map(String::as_str).collect();
        self.request(&by, true, 0)
    }
}

/// The table's report: the same call for the page and both downloads.
async fn table_report(ctx: &Ctx, ask: &SalesAsk) -> Result<ReportResponse, ConsoleError> {
    Ok(ctx
        .report()
        .sales(ctx.request(ask.table_request()))
        .await?
        .into_inner())
}

/// Every response the page shows.
struct SalesFigures {
    table: ReportResponse,
    by_org: ReportResponse,
    months: ReportResponse,
    ranking: ReportResponse,
    /// By org and month: the target completion and growth charts'.
    targets: ReportResponse,
}

async fn figures(ctx: &Ctx, ask: &SalesAsk) -> Result<SalesFigures, ConsoleError> {
    let by_org_request = ask.request(&["org"], true, 0);
    let targets_request = ask.request(&["org", "month"], false, 0);
    // A table by org alone is the by-organization chart's report: asked once.
    let reuse_by_org = ask.params.by == ["org"];
    let sales = |request: ReportRequest, skip: bool| async move {
        if skip {
            return Ok(ReportResponse::default());
        }
        Ok::<_, ConsoleError>(ctx.report().sales(ctx.request(request)).await?.into_inner())
    };
    let ranking = |request: ReportRequest| async move {
        Ok::<_, ConsoleError>(ctx.report().ranking(ctx.request(request)).await?.into_inner())
    };
    let (table, by_org, months, ranked, targets) = tokio::try_join!(
        table_report(ctx, ask),
        sales(by_org_request, reuse_by_org),
        ranking(ask.request(&["month"], false, TREND_MONTHS_MAX)),
        ranking(ask.request(&[ask.rank_by], false, ask.top)),
        sales(targets_request, false),
    )?;
    let by_org = if reuse_by_org { table.clone() } else { by_org };
    Ok(SalesFigures {
        table,
        by_org,
        months,
        ranking: ranked,
        targets,
    })
}

async fn page(ctx: Ctx, RawQuery(query): RawQuery) -> Result<Markup, ConsoleError> {
    let ask = SalesAsk::parse(query.as_deref())?;
    let figures = figures(&ctx, &ask).await?;
    let lang = ctx.lang;
    let shared = ask.params.query_string();
    let body = html! {
        (form(&ctx, &ask))
        p.downloads {
            a.button.secondary id="download-csv" href={ "/sales.csv?" (shared) } { (lang.t("下载 CSV", "Download CSV")) }
            " "
            a.button.secondary id="download-xlsx" href={ "/sales.xlsx?" (shared) } { (lang.t("下载 Excel", "Download Excel")) }
        }
        div.charts {
            (sales_charts::monthly_trend(lang, &figures.months))
            (sales_charts::by_org(lang, &figures.by_org))
            (sales_charts::ranking(lang, ask.rank_by, &figures.ranking))
            (sales_charts::target_completion(lang, &figures.targets))
            (sales_charts::growth_by_month(lang, &figures.targets))
        }
        (report_view::table(lang, "sales-table", Figures::Sales, &figures.table))
    };
    Ok(ctx.page(Nav::Sales, lang.w(Nav::Sales.word()), body))
}

/// The report form: subtree, dates, groupings, and the ranking's key and length.
fn form(ctx: &Ctx, ask: &SalesAsk) -> Markup {
    let lang = ctx.lang;
    let params = &ask.params;
    let root = ctx.user.root.as_deref().unwrap_or("");
    html! {
        form.filters.report-form method="get" action=(Nav::Sales.path()) {
            label { (lang.t("组织机构（含下级）", "Organization (and below)"))
                input type="text" name="org" id="org" value=(params.org) placeholder=(root);
            }
            label { (lang.t("起始日期", "From"))
                input type="date" name="from" id="from" value=(params.from);
            }
            label { (lang.t("截止日期", "To"))
                input type="date" name="to" id="to" value=(params.to);
            }
            (report_view::grouping_boxes(lang, params, &GROUPINGS))
            label { (lang.t("排行依据", "Rank by"))
                select name="rank" id="rank" {
                    @for key in RANKING_KEYS {
                        option value=(key) selected[key == ask.rank_by] { (rank_label(lang, key)) }
                    }
                }
            }
            label { (lang.t("前 N 名", "Top N"))
                input type="number" name="top" id="top" min="1" max=(RANKING_TOP_MAX) value=(ask.top);
            }
            button type="submit" id="run" { (lang.t("查询", "Run report")) }
        }
    }
}

async fn csv(ctx: Ctx, RawQuery(query): RawQuery) -> Result<Response, ConsoleError> {
    let ask = SalesAsk::parse(query.as_deref())?;
    let table = table_report(&ctx, &ask).await?;
    report_files::csv("sales.csv", Figures::Sales, &table)
}

async fn xlsx(ctx: Ctx, RawQuery(query): RawQuery) -> Result<Response, ConsoleError> {
    let ask = SalesAsk::parse(query.as_deref())?;
    let table = table_report(&ctx, &ask).await?;
    report_files::xlsx("sales.xlsx", Figures::Sales, &table)
}
