//! 佣金 (commission, `/commission`): a period's figures for an organization subtree as
//! `Commission/Figures` answers them — the same rows as `hq-server report commission` — with each
//! organization's sales, target, completion, band amounts, commission, 下级合作伙伴奖金
//! (override), adjustment, total and when it was settled; a settled period's rows are its
//! 佣金结算单 (settlement statement). The same figures download as CSV (`/commission.csv`, the
//! command line's CSV byte for byte) and as a workbook (`/commission.xlsx`). An admin settles a
//! period from the page (`/commission/settle`, posted with the session's CSRF token), which is
//! `Commission/Settle`, the call of `hq-server admin commission settle`; HQ decides who may.
//!
//! Every figure is a response's string: the page sums, rounds and divides nothing.

mod table;

use super::super::ctx::{CsrfForm, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use super::report_files;
use crate::commission_columns;
use crate::console::state::Console;
use crate::people::role::Role;
use axum::extract::Query;
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{CommissionFiguresRequest, CommissionFiguresResponse};
use maud::{html, Markup};
use serde::Deserialize;

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route(Nav::Commission.path(), get(page))
        .route("/commission.csv", get(csv))
        .route("/commission.xlsx", get(xlsx))
        // The settle form's address read with GET (the language switch on its answer) is the
        // page again.
        .route(
            "/commission/settle",
            get(|| async { Redirect::to(Nav::Commission.path()) }).post(settle),
        )
}

/// The page's query, and the settle form's fields: the subtree (empty: the account's root) and
/// the period (`YYYY-MM`, `YYYY-Qn` or `YYYY`; empty: none chosen yet).
#[derive(Debug, Clone, Default, Deserialize)]
struct PeriodAsk {
    #[serde(default)]
    org: String,
    #[serde(default)]
    period: String,
}

impl PeriodAsk {
    fn trimmed(self) -> PeriodAsk {
        PeriodAsk {
            org: self.org.trim().to_owned(),
            period: self.period.trim().to_owned(),
        }
    }

    fn request(&self) -> CommissionFiguresRequest {
        CommissionFiguresRequest {
            org: self.org.clone(),
            period: self.period.clone(),
        }
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string([("org", &self.org), ("period", &self.period)]).unwrap_or_default()
    }

    /// The downloads' file name: `commission-PERIOD.EXT`.
    fn file_name(&self, figures: &CommissionFiguresResponse, extension: &str) -> String {
        let period: String = figures
            .period
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        format!("commission-{period}.{extension}")
    }
}

/// The period's figures (`Commission/Figures`): for the page and both downloads.
async fn figures(ctx: &Ctx, ask: &PeriodAsk) -> Result<CommissionFiguresResponse, ConsoleError> {
    Ok(ctx
        .commission()
        .figures(ctx.request(ask.request()))
        .await?
        .into_inner())
}

async fn page(ctx: Ctx, Query(ask): Query<PeriodAsk>) -> Result<Markup, ConsoleError> {
    let ask = ask.trimmed();
    let answer = match ask.period.as_str() {
        "" => None,
        _ => Some(figures(&ctx, &ask).await?),
    };
    Ok(render(&ctx, &ask, answer.as_ref(), None))
}

/// The whole page: the form, `notice` (what settling just did), then the figures when a period
/// was asked.
fn render(
    ctx: &Ctx,
    ask: &PeriodAsk,
    answer: Option<&CommissionFiguresResponse>,
    notice: Option<Markup>,
) -> Markup {
    let lang = ctx.lang;
    let body = html! {
        (table::form(ctx, &ask.org, &ask.period))
        @if let Some(notice) = notice { (notice) }
        @match answer {
            None => {
                p.muted id="choose-period" {
                    (lang.t("请选择期间：月（2026-11）、季度（2026-Q4）或年（2026）。",
                            "Choose a period: a month (2026-11), a quarter (2026-Q4) or a year (2026)."))
                }
            },
            Some(figures) => {
                (table::figures_section(lang, figures, &ask.query_string()))
                @if ctx.user.role == Role::Admin {
                    (table::settle_form(ctx, &ask.org, figures))
                }
            },
        }
    };
    ctx.page(Nav::Commission, lang.w(Nav::Commission.word()), body)
}

async fn csv(ctx: Ctx, Query(ask): Query<PeriodAsk>) -> Result<Response, ConsoleError> {
    let ask = ask.trimmed();
    let figures = figures(&ctx, &ask).await?;
    let name = ask.file_name(&figures, "csv");
    Ok(report_files::csv_download(
        &name,
        commission_columns::csv(&figures),
    ))
}

async fn xlsx(ctx: Ctx, Query(ask): Query<PeriodAsk>) -> Result<Response, ConsoleError> {
    let ask = ask.trimmed();
    let figures = figures(&ctx, &ask).await?;
    let rows: Vec<Vec<String>> = figures.rows.iter().map(commission_columns::cells).collect();
    report_files::table_xlsx(
        &ask.file_name(&figures, "xlsx"),
        "commission",
        &commission_columns::COLUMNS,
        &rows,
        commission_columns::is_figure,
    )
}

/// Settles the posted period for the posted subtree (`Commission/Settle`) and shows the
/// statements it answers; a refusal is worded in the page's language.
async fn settle(ctx: Ctx, CsrfForm(form): CsrfForm<PeriodAsk>) -> Result<Markup, ConsoleError> {
    let ask = form.trimmed();
    let settled = ctx
        .commission()
        .settle(ctx.request(ask.request()))
        .await
        .map_err(|status| settle_refusal(ctx.lang, &ask, status))?
        .into_inner();
    let count = settled
        .rows
        .iter()
        .filter(|row| !row.settled_at.is_empty())
        .count();
    let text = match ctx.lang {
        Lang::Zh => format!("{} 已结算：{count} 个组织机构的佣金结算单。", settled.period),
        Lang::En => format!(
            "{} settled: the settlement statements of {count} organizations.",
            settled.period
        ),
    };
    let notice = html! { p.notice id="settled" { (text) } };
    let ask = PeriodAsk {
        period: settled.period.clone(),
        ..ask
    };
    Ok(render(&ctx, &ask, Some(&settled), Some(notice)))
}

/// HQ's refusal of a settlement as the page's language says it: in Chinese the words the
/// status's code chooses, HQ's own message after them; in English HQ's message.
fn settle_refusal(lang: Lang, ask: &PeriodAsk, status: tonic::Status) -> ConsoleError {
    use tonic::Code;
    let subtree = match ask.org.as_str() {
        "" => "本账户范围",
        org => org,
    };
    let words = match status.code() {
        Code::FailedPrecondition => {
            format!(
                "{} 的佣金已为 {subtree} 下每个计佣组织机构结算，没有可结算的了",
                ask.period
            )
        }
        Code::InvalidArgument => "无法结算：期间或组织机构有误".to_owned(),
        Code::NotFound => "无法结算：组织机构不存在".to_owned(),
        Code::PermissionDenied => "无权结算佣金（仅管理员，且在本账户范围内）".to_owned(),
        _ => "结算失败".to_owned(),
    };
    let mut error = ConsoleError::from(status);
    if lang == Lang::Zh {
        error.message = format!("{words}（{}）", error.message);
    }
    error
}
