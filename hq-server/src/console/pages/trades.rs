//! The trades page (单据转换, `/trades`): every inter-branch trade HQ routed in the account's scope
//! (`Admin/RoutedList`), filtered by state and organization subtree and sorted on the server:
//! what the sending branch confirmed (its document), where HQ routed it, and what the receiving
//! branch did (its number once known, confirmed or rejected with its reason), with when HQ routed
//! it and when it last changed.

use super::super::ctx::{percent_encode, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use super::super::words;
use crate::console::state::Console;
use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{RoutedListRequest, RoutedTrade};
use maud::{html, Markup};
use serde::Deserialize;

pub(super) fn routes() -> Router<Console> {
    Router::new().route(Nav::Trades.path(), get(show))
}

/// The page's query: filters and the sorted column.
#[derive(Debug, Default, Deserialize)]
struct TradeQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

/// The states of a routed trade, in the order a trade passes them, as the page names them.
const STATES: [(&str, (&str, &str)); 5] = [
    ("queued", ("待接收方审核", "waiting at the receiver")),
    ("quarantined", ("总部无法转换", "HQ could not place it")),
    ("linked", ("两端均已录入", "entered at both ends")),
    ("confirmed", ("接收方已审核", "confirmed by the receiver")),
    ("rejected", ("接收方已拒绝", "rejected by the receiver")),
];

/// The columns one may sort by, with the label of each.
const COLUMNS: [(&str, (&str, &str)); 5] = [
    ("source", ("发出方", "Sender")),
    ("target", ("接收方", "Receiver")),
    ("state", ("状态", "State")),
    ("routed", ("转换时间", "Routed at")),
    ("updated", ("更新时间", "Updated at")),
];

fn state_label(lang: Lang, state: &str) -> &'static str {
    STATES
        .iter()
        .find(|(name, _)| *name == state)
        .map_or("", |(_, word)| lang.w(*word))
}

fn state_badge(state: &str) -> &'static str {
    match state {
        "confirmed" | "linked" => "badge green",
        "queued" => "badge grey",
        "rejected" => "badge amber",
        _ => "badge red",
    }
}

async fn show(ctx: Ctx, Query(query): Query<TradeQuery>) -> Result<Markup, ConsoleError> {
    let request = RoutedListRequest {
        state: query.state.clone(),
        org: query.org.clone(),
    };
    let mut trades = ctx
        .admin()
        .routed_list(ctx.request(request))
        .await?
        .into_inner()
        .trades;
    let orgs = ctx.orgs().await?;
    sort(&mut trades, &query.sort, query.dir == "desc");
    let lang = ctx.lang;
    let body = html! {
        (filters(lang, &query))
        datalist id="org-codes" {
            @for org in &orgs {
                option value=(org.code) { (org.name) }
            }
        }
        section.panel id="trades" {
            p.muted {
                (lang.t(
                    "发出方审核的销售出库单（或外购入库单）由总部转换为接收方的草稿，接收方审核后入账。",
                    "A sale (or purchase) the sending branch confirmed reaches the receiving branch as a draft; \
                     the receiver confirms it to take it into its books.",
                ))
                " " (count_line(lang, trades.len()))
            }
            @if trades.is_empty() {
                p.muted id="no-trades" { (lang.t("没有符合条件的单据转换。", "No trade matches.")) }
            } @else {
                (table(lang, &query, &trades))
            }
        }
    };
    Ok(ctx.page(Nav::Trades, lang.w(Nav::Trades.word()), body))
}

fn count_line(lang: Lang, n_trades: usize) -> String {
    match lang {
        Lang::Zh => format!("共 {n_trades} 笔。"),
        Lang::En => format!("{n_trades} trades."),
    }
}

fn filters(lang: Lang, query: &TradeQuery) -> Markup {
    html! {
        form.filters method="get" action=(Nav::Trades.path()) {
            label {
                (lang.t("状态", "State"))
                select id="state" name="state" {
                    option value="" selected[query.state.is_empty()] { (lang.t("全部", "all")) }
                    @for (state, word) in STATES {
                        option value=(state) selected[query.state == state] { (lang.w(word)) " (" (state) ")" }
                    }
                }
            }
            label {
                (lang.w(words::ORG))
                input id="org" name="org" value=(query.org) list="org-codes" placeholder=(lang.t("全部范围", "whole scope"));
            }
            input type="hidden" name="sort" value=(query.sort);
            input type="hidden" name="dir" value=(query.dir);
            button.secondary type="submit" id="filter" { (lang.t("显示", "Show")) }
        }
    }
}

/// Sorts by `column` (the register's order, oldest routed first, for any other).
fn sort(trades: &mut [RoutedTrade], column: &str, descending: bool) {
    let key = |trade: &RoutedTrade| -> (String, String) {
        match column {
            "source" => (trade.source_branch.clone(), trade.source_number.clone()),
            "target" => (trade.target_branch.clone(), trade.target_number.clone()),
            "state" => (trade.state.clone(), trade.updated_at.clone()),
            "updated" => (trade.updated_at.clone(), trade.source_number.clone()),
            _ => (trade.routed_at.clone(), trade.source_number.clone()),
        }
    };
    trades.sort_by(|a, b| {
        let order = key(a).cmp(&key(b));
        if descending {
            order.reverse()
        } else {
            order
        }
    });
}

/// A column heading that sorts by it (again: the other way).
fn heading(lang: Lang, query: &TradeQuery, column: &str, word: (&'static str, &'static str)) -> Markup {
    let current = query.sort == column || (query.sort.is_empty() && column == "routed");
    let dir = if current && query.dir != "desc" {
        "desc"
    } else {
        "asc"
    };
    let href = format!(
        "?state={}&org={}&sort={column}&dir={dir}",
        percent_encode(&query.state),
        percent_encode(&query.org)
    );
    let arrow = match (current, query.dir.as_str()) {
        (false, _) => "",
        (true, "desc") => " ▼",
        (true, _) => " ▲",
    };
    html! { a.sort href=(href) id={ "sort-" (column) } { (lang.w(word)) (arrow) } }
}

fn table(lang: Lang, query: &TradeQuery, trades: &[RoutedTrade]) -> Markup {
    let [source, target, state, routed, updated] = COLUMNS;
    html! {
        table.grid id="trade-list" {
            thead {
                tr {
                    th { (heading(lang, query, source.0, source.1)) }
                    th { (heading(lang, query, target.0, target.1)) }
                    th { (lang.t("接收方单据", "Receiver's document")) }
                    th { (heading(lang, query, state.0, state.1)) }
                    th { (lang.t("原因", "Reason")) }
                    th { (heading(lang, query, routed.0, routed.1)) }
                    th { (heading(lang, query, updated.0, updated.1)) }
                }
            }
            tbody {
                @for trade in trades {
                    tr.trade data-source={ (trade.source_branch) " " (trade.source_number) } data-state=(trade.state) {
                        td.source {
                            (trade.source_branch) " " (trade.source_number)
                            br;
                            span.muted { (lang.t("已审核", "confirmed")) }
                        }
                        td.target {
                            @if trade.target_branch.is_empty() { span.muted { "—" } } @else { (trade.target_branch) }
                        }
                        td.target-number {
                            @if trade.target_number.is_empty() {
                                span.muted { (trade.doc_type) " · " (lang.t("尚无编号", "no number yet")) }
                            } @else {
                                (trade.target_number) " (" (trade.doc_type) ")"
                            }
                        }
                        td.state {
                            span class=(state_badge(&trade.state)) { (trade.state) }
                            " " (state_label(lang, &trade.state))
                        }
                        td.reason { (trade.reason) }
                        td { (trade.routed_at) }
                        td { (trade.updated_at) }
                    }
                }
            }
        }
    }
}
