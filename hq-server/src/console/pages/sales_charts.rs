//! The sales page's charts, each an ECharts option built from one report response's strings
//! (`charts::chart`): the monthly trend (a ranking by month, put back in month order), sales by
//! organization (the asked organization's own rows and its children's subtotals), the top-N
//! ranking, target completion (the rows by org and month that carry a target), and growth (every
//! row by org and month: its amount, 环比 and 同比). No figure is computed: every value is the
//! response's decimal string, a change the response leaves out `null`.

use super::super::charts::chart;
use super::super::i18n::Lang;
use branchline_proto::v1::{ReportResponse, ReportRow};
use branchline_shared::org_parent;
use maud::Markup;
use serde_json::{json, Value};

/// The parts every chart shares: title (with a note when there is nothing to draw), tooltip,
/// margins, no animation (a page is read, not watched).
fn frame(title: &str, empty: bool, lang: Lang) -> Value {
    json!({
        "animation": false,
        "title": {
            "text": title,
            "subtext": if empty { lang.t("暂无数据", "no data") } else { "" },
            "left": "center",
            "textStyle": {"fontSize": 14},
        },
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 70, "right": 50, "top": 60, "bottom": 70, "containLabel": false},
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

fn texts<'a>(rows: &[&'a ReportRow], field: impl Fn(&'a ReportRow) -> &'a str) -> Vec<&'a str> {
    rows.iter().map(|row| field(row)).collect()
}

/// Amount by month over the subtree: the ranking by month's rows in month order.
pub(super) fn monthly_trend(lang: Lang, months: &ReportResponse) -> Markup {
    let mut rows: Vec<&ReportRow> = months.rows.iter().collect();
    rows.sort_by(|a, b| a.month.cmp(&b.month));
    let option = merge(
        frame(lang.t("月度销售趋势", "Monthly trend"), rows.is_empty(), lang),
        json!({
            "xAxis": {"type": "category", "data": texts(&rows, |row| &row.month)},
            "yAxis": {"type": "value"},
            "series": [
                {"type": "line", "name": lang.t("金额", "amount"), "data": texts(&rows, |row| &row.amount)},
                {"type": "line", "name": lang.t("价税合计", "total"), "data": texts(&rows, |row| &row.total)},
            ],
        }),
    );
    chart("chart-trend", option)
}

/// Amount by organization one level below the asked one: each child's subtotal, and the asked
/// organization's own ledgers' rows.
pub(super) fn by_org(lang: Lang, by_org: &ReportResponse) -> Markup {
    let asked = by_org
        .rows
        .iter()
        .find(|row| row.level == "total")
        .map_or("", |row| row.org.as_str());
    let rows: Vec<&ReportRow> = by_org
        .rows
        .iter()
        .filter(|row| match row.level.as_str() {
            "subtotal" => org_parent(&row.org) == Some(asked),
            "" => row.org == asked,
            _ => false,
        })
        .collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|row| match row.branch.as_str() {
            "" => row.org.clone(),
            branch => format!("{} {branch}", row.org),
        })
        .collect();
    let option = merge(
        frame(lang.t("各组织销售", "By organization"), rows.is_empty(), lang),
        json!({
            "grid": {"left": 70, "right": 50, "top": 60, "bottom": 100},
            "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 30}},
            "yAxis": {"type": "value"},
            "series": [
                {"type": "bar", "name": lang.t("金额", "amount"), "data": texts(&rows, |row| &row.amount)},
                {"type": "bar", "name": lang.t("税额", "tax"), "data": texts(&rows, |row| &row.tax)},
            ],
        }),
    );
    chart("chart-by-org", option)
}

/// The ranking's rows, first at the top.
pub(super) fn ranking(lang: Lang, key: &str, ranking: &ReportResponse) -> Markup {
    let rows: Vec<&ReportRow> = ranking.rows.iter().rev().collect();
    let label = |row: &ReportRow| -> String {
        let name = match key {
            "customer" => row.customer.clone(),
            "org" => format!("{} {}", row.org, row.branch),
            _ => row.product.clone(),
        };
        format!("{}. {name}", row.rank)
    };
    let title = match lang {
        Lang::Zh => format!("销售排行（按{}）", rank_label(lang, key)),
        Lang::En => format!("Top sellers (by {})", rank_label(lang, key)),
    };
    let option = merge(
        frame(&title, rows.is_empty(), lang),
        json!({
            "grid": {"left": 120, "right": 50, "top": 60, "bottom": 50},
            "xAxis": {"type": "value"},
            "yAxis": {"type": "category", "data": rows.iter().map(|row| label(row)).collect::<Vec<_>>()},
            "series": [
                {"type": "bar", "name": lang.t("金额", "amount"), "data": texts(&rows, |row| &row.amount)},
            ],
        }),
    );
    chart("chart-ranking", option)
}

/// Amount against target, and completion in percent, for every organization and month with a
/// target.
pub(super) fn target_completion(lang: Lang, targets: &ReportResponse) -> Markup {
    let rows: Vec<&ReportRow> = targets.rows.iter().filter(|row| !row.target.is_empty()).collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|row| format!("{} {}", row.org, row.month))
        .collect();
    let option = merge(
        frame(lang.t("目标完成率", "Target completion"), rows.is_empty(), lang),
        json!({
            "grid": {"left": 70, "right": 60, "top": 60, "bottom": 100},
            "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 30}},
            "yAxis": amount_and_percent(lang),
            "series": [
                {"type": "bar", "name": lang.t("金额", "amount"), "data": texts(&rows, |row| &row.amount)},
                {"type": "bar", "name": lang.t("目标", "target"), "data": texts(&rows, |row| &row.target)},
                {"type": "line", "name": lang.t("完成率 %", "completion %"), "yAxisIndex": 1,
                 "data": texts(&rows, |row| &row.completion)},
            ],
        }),
    );
    chart("chart-targets", option)
}

/// Each organization's (and branch's) months of the report by org and month: the amount, and
/// its 环比 and 同比 in percent on a second axis, the response's own `month_on_month` and
/// `year_on_year`; where the response has none (no sales the earlier month) the line has a gap
/// (`null`), never 0.
pub(super) fn growth_by_month(lang: Lang, by_org_month: &ReportResponse) -> Markup {
    let rows: Vec<&ReportRow> = by_org_month.rows.iter().collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|row| match row.branch.as_str() {
            "" => format!("{} {}", row.org, row.month),
            branch => format!("{} {branch} {}", row.org, row.month),
        })
        .collect();
    let change = |field: fn(&ReportRow) -> Option<&str>| -> Vec<Value> {
        rows.iter()
            .map(|row| field(row).map_or(Value::Null, |text| json!(text)))
            .collect()
    };
    let option = merge(
        frame(
            lang.t("环比与同比", "Month-on-month and year-on-year"),
            rows.is_empty(),
            lang,
        ),
        json!({
            "grid": {"left": 70, "right": 60, "top": 60, "bottom": 100},
            "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 30}},
            "yAxis": amount_and_percent(lang),
            "series": [
                {"type": "bar", "name": lang.t("金额", "amount"), "data": texts(&rows, |row| &row.amount)},
                {"type": "line", "name": lang.t("环比 %", "month-on-month %"), "yAxisIndex": 1,
                 "connectNulls": false, "data": change(|row| row.month_on_month.as_deref())},
                {"type": "line", "name": lang.t("同比 %", "year-on-year %"), "yAxisIndex": 1,
                 "connectNulls": false, "data": change(|row| row.year_on_year.as_deref())},
            ],
        }),
    );
    chart("chart-growth", option)
}

/// Two value axes: amounts on the left, percentages on the right.
fn amount_and_percent(lang: Lang) -> Value {
    json!([
        {"type": "value", "name": lang.t("金额", "amount")},
        {"type": "value", "name": "%"},
    ])
}

/// What a ranking ranks, as the form and the chart name it.
pub(super) fn rank_label(lang: crate::console::i18n::Lang, key: &str) -> &'static str {
    match key {
        "customer" => lang.t("客户", "customer"),
        "org" => lang.t("组织机构", "organization"),
        _ => lang.t("商品", "product"),
    }
}
