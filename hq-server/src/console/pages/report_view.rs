//! What the sales and inventory pages share: the report's query read from the page's URL (GET,
//! so a report's address can be shared), the columns of a `ReportResponse` in the order the
//! command line prints them (docs/formats.md), and the table of its rows, with subtotal and total
//! rows marked and each branch's freshness beside its organization. Cells are the response's
//! own strings.

use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use branchline_proto::v1::{Freshness, ReportResponse, ReportRow};
use maud::{html, Markup};
use std::collections::HashMap;

/// The report's part of a page's URL: `org`, `from`, `to`, any number of `by`, and the other
/// single-valued fields by name.
#[derive(Debug, Clone, Default)]
pub(super) struct ReportParams {
    pub(super) org: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) by: Vec<String>,
    others: HashMap<String, String>,
}

impl ReportParams {
    /// Reads a query string (`None`: no query); unknown names are kept for `other`.
    pub(super) fn parse(query: Option<&str>) -> Result<ReportParams, ConsoleError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|error| ConsoleError::bad_input(format!("the page's query: {error}")))?;
        let mut params = ReportParams::default();
        for (name, value) in pairs {
            let value = value.trim().to_owned();
            match name.as_str() {
                "org" => params.org = value,
                "from" => params.from = value,
                "to" => params.to = value,
                "by" if !value.is_empty() => params.by.push(value),
                _ => {
                    params.others.insert(name, value);
                }
            }
        }
        Ok(params)
    }

    /// A single-valued field other than the report's own, "" when absent.
    pub(super) fn other(&self, name: &str) -> &str {
        self.others.get(name).map_or("", String::as_str)
    }

    pub(super) fn groups_by(&self, column: &str) -> bool {
        self.by.iter().any(|by| by == column)
    }

    /// The same parameters as a query string, for download links and shared addresses.
    pub(super) fn query_string(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![("org", &self.org), ("from", &self.from), ("to", &self.to)];
        pairs.extend(self.by.iter().map(|by| ("by", by.as_str())));
        let mut others: Vec<(&String, &String)> =
            self.others.iter().filter(|(name, _)| *name != "lang").collect();
        others.sort();
        pairs.extend(others.iter().map(|(name, value)| (name.as_str(), value.as_str())));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// Whether a response's rows are money (sales), on-hand (inventory) or on-hand under its
/// minimum (inventory below the minimum: the limit, shortfall and suggested order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Figures {
    Sales,
    Inventory,
    BelowMin,
}

/// The columns of `response`: level (with subtotals), org and branch, the other grouping
/// columns in the order asked, then the figures (target and completion when a row has one;
/// 环比 and 同比 when the response carries them).
pub(super) fn columns(figures: Figures, response: &ReportResponse) -> Vec<&'static str> {
    let mut columns = Vec::new();
    if response.rows.iter().any(|row| !row.level.is_empty()) {
        columns.push("level");
    }
    columns.extend(["org", "branch"]);
    for asked in &response.columns {
        if let Some(column) = ["product", "customer", "warehouse", "day", "month"]
            .into_iter()
            .find(|column| column == asked)
        {
            columns.push(column);
        }
    }
    match figures {
        Figures::Inventory => columns.push("on_hand"),
        Figures::BelowMin => columns.extend(["on_hand", "min", "max", "shortfall", "suggested_order"]),
        Figures::Sales => {
            columns.extend(["qty", "amount", "tax", "total"]);
            if response.rows.iter().any(|row| !row.target.is_empty()) {
                columns.extend(["target", "completion"]);
            }
            if response.growth {
                columns.extend(["month_on_month", "year_on_year"]);
            }
        }
    }
    columns
}

/// The cell of `row` in `column`: the response's own text; empty for a change the response
/// leaves out (no sales in the earlier month).
pub(super) fn cell<'a>(row: &'a ReportRow, column: &str) -> &'a str {
    match column {
        "level" => &row.level,
        "org" => &row.org,
        "branch" => &row.branch,
        "product" => &row.product,
        "customer" => &row.customer,
        "warehouse" => &row.warehouse,
        "day" => &row.day,
        "month" => &row.month,
        "qty" => &row.qty,
        "amount" => &row.amount,
        "tax" => &row.tax,
        "total" => &row.total,
        "target" => &row.target,
        "completion" => &row.completion,
        "month_on_month" => row.month_on_month.as_deref().unwrap_or(""),
        "year_on_year" => row.year_on_year.as_deref().unwrap_or(""),
        "min" => &row.min,
        "max" => &row.max,
        "shortfall" => &row.shortfall,
        "suggested_order" => &row.suggested_order,
        _ => &row.on_hand,
    }
}

/// Whether `column` holds a figure (right-aligned; a number in a workbook).
pub(super) fn is_figure(column: &str) -> bool {
    matches!(
        column,
        "qty"
            | "amount"
            | "tax"
            | "total"
            | "target"
            | "completion"
            | "month_on_month"
            | "year_on_year"
            | "on_hand"
            | "min"
            | "max"
            | "shortfall"
            | "suggested_order"
    )
}

/// A column's heading on a page.
fn heading(lang: Lang, column: &str) -> &'static str {
    match column {
        "level" => lang.t("层级", "level"),
        "org" => lang.t("组织机构", "organization"),
        "branch" => lang.t("分支机构", "branch"),
        "product" => lang.t("商品", "product"),
        "customer" => lang.t("客户", "customer"),
        "warehouse" => lang.t("仓库", "warehouse"),
        "day" => lang.t("日期", "day"),
        "month" => lang.t("月份", "month"),
        "qty" => lang.t("数量", "qty"),
        "amount" => lang.t("金额", "amount"),
        "tax" => lang.t("税额", "tax"),
        "total" => lang.t("价税合计", "total"),
        "target" => lang.t("目标", "target"),
        "completion" => lang.t("完成率 %", "completion %"),
        "month_on_month" => lang.t("环比 %", "month-on-month %"),
        "year_on_year" => lang.t("同比 %", "year-on-year %"),
        "min" => lang.t("最低库存", "minimum"),
        "max" => lang.t("最高库存", "maximum"),
        "shortfall" => lang.t("短缺数量", "shortfall"),
        "suggested_order" => lang.t("建议订货量", "suggested order"),
        _ => lang.t("结存数量", "on hand"),
    }
}

/// The word a subtotal or total row shows in its level cell.
fn level_label(lang: Lang, level: &str) -> &'static str {
    match level {
        "subtotal" => lang.t("小计", "subtotal"),
        "total" => lang.t("合计", "total"),
        _ => "",
    }
}

/// Rows a page shows at most; the downloads carry them all.
pub(super) const PAGE_ROWS_MAX: usize = 5_000;

/// The report's table (`id`): every row up to `PAGE_ROWS_MAX` with its level's class, and the
/// freshness of the row's branch (last received, backlog) after its branch cell.
pub(super) fn table(lang: Lang, id: &str, figures: Figures, response: &ReportResponse) -> Markup {
    let columns = columns(figures, response);
    let freshness: HashMap<&str, &Freshness> = response
        .freshness
        .iter()
        .map(|freshness| (freshness.branch.as_str(), freshness))
        .collect();
    let shown = response.rows.len().min(PAGE_ROWS_MAX);
    html! {
        @if shown < response.rows.len() {
            p.muted {
                (lang.t("页面显示前 ", "The page shows the first ")) (shown)
                (lang.t(" 行，共 ", " of ")) (response.rows.len())
                (lang.t(" 行；下载文件包含全部行。", " rows; the downloads hold them all."))
            }
        }
        table.grid.report id=(id) {
            thead { tr {
                @for column in &columns {
                    th class=(column_class(column)) { (heading(lang, column)) }
                    @if *column == "branch" {
                        th.c-received { (lang.t("最近接收", "last received")) }
                        th.num.c-backlog { (lang.t("积压", "backlog")) }
                    }
                }
            } }
            tbody {
                @for row in &response.rows[..shown] {
                    tr class=[row_class(&row.level)] {
                        @for column in &columns {
                            td class=(column_class(column)) {
                                @if *column == "level" { (level_label(lang, &row.level)) } @else { (cell(row, column)) }
                            }
                            @if *column == "branch" {
                                (freshness_cells(lang, freshness.get(row.branch.as_str()).copied()))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn column_class(column: &str) -> String {
    if is_figure(column) {
        format!("num c-{column}")
    } else {
        format!("c-{column}")
    }
}

fn row_class(level: &str) -> Option<&'static str> {
    match level {
        "subtotal" => Some("subtotal"),
        "total" => Some("total"),
        _ => None,
    }
}

/// A branch's freshness: when HQ last heard from it and the backlog it reported (flagged when
/// anything waits); empty cells for a row without a branch.
fn freshness_cells(lang: Lang, freshness: Option<&Freshness>) -> Markup {
    html! {
        @match freshness {
            Some(freshness) => {
                td.c-received {
                    @if freshness.received_at.is_empty() { span.muted { (lang.t("从未", "never")) } }
                    @else { (freshness.received_at) }
                }
                td class=(if freshness.backlog > 0 { "num c-backlog behind" } else { "num c-backlog" }) {
                    (freshness.backlog)
                }
            }
            None => { td.c-received {} td.num.c-backlog {} }
        }
    }
}

/// The grouping checkboxes of a report form, `choices` in order, checked as `params` asks.
pub(super) fn grouping_boxes(lang: Lang, params: &ReportParams, choices: &[&'static str]) -> Markup {
    html! {
        fieldset.groupings {
            legend { (lang.t("分组", "Group by")) }
            @for choice in choices {
                label.check {
                    input type="checkbox" name="by" value=(choice) id={ "by-" (choice) } checked[params.groups_by(choice)];
                    (heading(lang, choice))
                }
            }
        }
    }
}
