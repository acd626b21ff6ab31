//! The commission page's parts: the period form, the figures' table (each band's base and
//! amount in its cell), the 佣金结算单 (settlement statement) heading of a settled period, the
//! downloads, and an admin's settle form. Cells are the response's own strings.

use super::super::super::ctx::Ctx;
use super::super::super::i18n::Lang;
use super::super::super::layout::Nav;
use super::super::super::words;
use crate::commission_columns::{is_figure, COLUMNS};
use branchline_proto::v1::{CommissionFiguresResponse, CommissionRow};
use maud::{html, Markup};

/// The GET form: the subtree and the period.
pub(super) fn form(ctx: &Ctx, org: &str, period: &str) -> Markup {
    let lang = ctx.lang;
    let root = ctx.user.root.as_deref().unwrap_or("");
    html! {
        form.filters.report-form method="get" action=(Nav::Commission.path()) {
            label { (lang.t("组织机构（含下级）", "Organization (and below)"))
                input type="text" name="org" id="org" value=(org) placeholder=(root);
            }
            label { (lang.t("期间", "Period"))
                input type="text" name="period" id="period" value=(period) placeholder="2026-11 / 2026-Q4 / 2026";
            }
            button type="submit" id="run" { (lang.t("查询", "Show")) }
        }
    }
}

/// A column's heading.
fn heading(lang: Lang, column: &str) -> &'static str {
    match column {
        "org" => lang.w(words::ORG),
        "plan" => lang.t(words::COMMISSION_PLAN.0, "plan"),
        "sales" => lang.t("销售额（不含税）", "sales"),
        "target" => lang.t("目标", "target"),
        "completion" => lang.t("完成率 %", "completion %"),
        "bands" => lang.t("分段佣金", "band amounts"),
        "commission" => lang.w(words::COMMISSION),
        "override_base" => lang.t("奖金基数", "override base"),
        "override" => lang.w(words::OVERRIDE),
        "payable" => lang.t("应付", "payable"),
        "adjustment" => lang.t("调整", "adjustment"),
        "total" => lang.t("合计", "total"),
        _ => lang.t("结算时间", "settled at"),
    }
}

/// A row's cell in `column`.
fn cell(lang: Lang, row: &CommissionRow, column: &str) -> Markup {
    let text = match column {
        "org" => &row.org,
        "plan" => &row.plan,
        "sales" => &row.sales,
        "target" => &row.target,
        "completion" => &row.completion,
        "commission" => &row.commission,
        "override_base" => &row.override_base,
        "override" => &row.r#override,
        "payable" => &row.payable,
        "adjustment" => &row.adjustment,
        "total" => &row.total,
        "bands" => return bands(lang, row),
        _ if row.settled_at.is_empty() => {
            return html! { span.muted.open { (lang.t("未结算", "open")) } };
        }
        _ => &row.settled_at,
    };
    html! { (text) }
}

/// Each band: where it starts and its rate, the sales it applies to and its amount.
fn bands(lang: Lang, row: &CommissionRow) -> Markup {
    html! {
        @for band in &row.bands {
            div.band {
                span.band-range {
                    @match lang {
                        Lang::Zh => { (band.from) "% 起 " (band.rate) "%" },
                        Lang::En => { "from " (band.from) "% at " (band.rate) "%" },
                    }
                }
                ": " span.band-base { (band.base) } " → " span.band-amount { (band.amount) }
            }
        }
    }
}

/// The period, whether it is settled (its 佣金结算单), the table and the downloads.
pub(super) fn figures_section(lang: Lang, figures: &CommissionFiguresResponse, query: &str) -> Markup {
    let settled = figures
        .rows
        .iter()
        .filter(|row| !row.settled_at.is_empty())
        .count();
    let state = match (settled, figures.rows.len()) {
        (_, 0) => lang.t("该期间在此范围内没有计佣的组织机构。", "No organization here is paid for this period."),
        (0, _) => lang.t("未结算：数字随单据变动。", "Open: the figures follow the documents."),
        (settled, all) if settled == all => lang.t(
            "已结算：以下为冻结的佣金结算单，此后的单据计入下一未结算期间的调整。",
            "Settled: below is the frozen settlement statement; later documents go to the next open period's adjustment.",
        ),
        _ => lang.t("部分已结算。", "Partly settled."),
    };
    html! {
        h2 id="period-heading" {
            @if settled > 0 { (lang.w(words::STATEMENT)) " · " }
            (figures.period) " (" (figures.from) " – " (figures.to) ")"
        }
        p.muted id="period-state" { (state) }
        table.grid.report id="commission-table" {
            thead { tr {
                @for column in COLUMNS {
                    th class=(column_class(column)) { (heading(lang, column)) }
                }
            } }
            tbody {
                @for row in &figures.rows {
                    tr class=[(!row.settled_at.is_empty()).then_some("settled")] {
                        @for column in COLUMNS {
                            td class=(column_class(column)) { (cell(lang, row, column)) }
                        }
                    }
                }
            }
        }
        p.downloads {
            a.button.secondary id="download-csv" href={ "/commission.csv?" (query) } { (lang.t("下载 CSV", "Download CSV")) }
            " "
            a.button.secondary id="download-xlsx" href={ "/commission.xlsx?" (query) } { (lang.t("下载 Excel", "Download Excel")) }
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

/// An admin's settle form, while some organization of the period is still open.
pub(super) fn settle_form(ctx: &Ctx, org: &str, figures: &CommissionFiguresResponse) -> Markup {
    let lang = ctx.lang;
    let open = figures.rows.iter().any(|row| row.settled_at.is_empty());
    let question = match lang {
        Lang::Zh => format!("结算 {} 的佣金？佣金结算单一经生成不再改写。", figures.period),
        Lang::En => format!(
            "Settle commission for {}? A settlement statement is never rewritten.",
            figures.period
        ),
    };
    html! {
        @if open {
            form.inline method="post" action="/commission/settle" id="settle-form" data-confirm=(question) {
                (ctx.csrf_field())
                input type="hidden" name="org" value=(org);
                input type="hidden" name="period" value=(figures.period);
                button type="submit" id="settle" {
                    (lang.t("结算并生成佣金结算单", "Settle and issue the settlement statements"))
                }
            }
        }
    }
}
