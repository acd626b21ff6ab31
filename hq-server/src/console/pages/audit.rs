//! The audit page (审计日志, `/audit`): the append-only audit log of the account's scope
//! (`Admin/Audit`), newest first, filtered in HQ's store by time, person, branch, kind and
//! organization from the page's GET query. A filter HQ refuses is shown above the form, with
//! HQ's own one-line message; a branch or organization outside the scope is HQ's refusal page.

mod filters;

use super::super::ctx::{percent_encode, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use super::super::words;
use crate::console::state::Console;
use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::AuditEvent;
use filters::AuditQuery;
use maud::{html, Markup};

pub(super) fn routes() -> Router<Console> {
    Router::new().route(Nav::Audit.path(), get(show))
}

/// The most events the page shows: the newest.
const EVENTS_SHOWN_MAX: u32 = 500;

async fn show(ctx: Ctx, Query(query): Query<AuditQuery>) -> Result<Markup, ConsoleError> {
    let request = query.request(EVENTS_SHOWN_MAX);
    let (events, refused) = match ctx.admin().audit(ctx.request(request)).await {
        Ok(answer) => (answer.into_inner().events, None),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            (Vec::new(), Some(status.message().to_owned()))
        }
        Err(status) => return Err(status.into()),
    };
    let orgs = ctx.orgs().await?;
    let lang = ctx.lang;
    let body = html! {
        @if let Some(message) = &refused {
            p.error id="filter-error" { (message) }
        }
        (filters::form(lang, &query))
        datalist id="org-codes" {
            @for org in &orgs {
                option value=(org.code) { (org.name) }
            }
        }
        @if refused.is_none() {
            section.panel id="events" {
                p.muted id="event-count" { (count_line(lang, events.len())) }
                @if !events.is_empty() {
                    (table(lang, &events))
                }
            }
        }
    };
    Ok(ctx.page(Nav::Audit, lang.w(Nav::Audit.word()), body))
}

fn count_line(lang: Lang, n_events: usize) -> String {
    let max = EVENTS_SHOWN_MAX as usize;
    match (lang, n_events >= max) {
        (Lang::Zh, false) => format!("{n_events} 条事件，最新在前。"),
        (Lang::En, false) => format!("{n_events} events, newest first."),
        (Lang::Zh, true) => format!("最新的 {max} 条事件，最新在前；更早的请缩小时间范围。"),
        (Lang::En, true) => {
            format!("The newest {max} events, newest first; narrow the time range for older ones.")
        }
    }
}

fn table(lang: Lang, events: &[AuditEvent]) -> Markup {
    html! {
        table.grid id="audit" {
            thead {
                tr {
                    th { (lang.t("时间 (UTC)", "At (UTC)")) }
                    th { (lang.t("人员或分支机构", "Person or branch")) }
                    th { (lang.w(words::ORG)) }
                    th { (lang.t("类别", "Kind")) }
                    th { (lang.t("详情", "Detail")) }
                }
            }
            tbody {
                @for event in events {
                    tr.event data-id=(event.id) {
                        td.at { (event.at) }
                        td.actor { a href={ "?actor=" (percent_encode(&event.actor)) } { (event.actor) } }
                        td.org {
                            @if event.org.is_empty() { span.muted { (lang.t("全集团", "whole group")) } } @else { (event.org) }
                        }
                        td.kind { a href={ "?kind=" (percent_encode(&event.action)) } { (event.action) } }
                        td.detail { (event.detail) }
                    }
                }
            }
        }
    }
}
