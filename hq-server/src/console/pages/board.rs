//! The board page (总览, `/board`): every branch of the account's scope, or of the organization
//! subtree chosen (`?org=`), as `Admin/Status` answers it — health green, amber or red with HQ's
//! reason (from the `[health]` thresholds), last contact, freshness, backlog in entries and
//! documents, quarantine, conflicts, templates applied and agent release — with the counts of
//! each health on top. Sorted on the server by any column (`?sort=COLUMN&dir=asc|desc`); the page
//! reloads itself every `REFRESH_SECONDS`.

mod cells;
mod columns;

use super::super::ctx::{percent_encode, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use super::super::words;
use crate::console::state::Console;
use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{BranchStatus, Org, StatusRequest};
use cells::{age_text, health_cell, or_dash, templates_text, time_cell};
use chrono::{DateTime, Utc};
use columns::{severity, sort_rows, Column, Dir};
use maud::{html, Markup};
use serde::Deserialize;

/// How often the board reloads itself.
const REFRESH_SECONDS: u32 = 15;

pub(super) fn routes() -> Router<Console> {
    Router::new().route(Nav::Board.path(), get(show))
}

#[derive(Deserialize)]
struct BoardQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    org: String,
}

/// The column and direction asked for; worst health first when none is.
fn sorting(query: &BoardQuery) -> Result<(Column, Dir), ConsoleError> {
    let column = match query.sort.as_str() {
        "" => Column::Health,
        key => Column::parse(key).ok_or_else(|| {
            let keys: Vec<&str> = Column::ALL.iter().map(|column| column.key()).collect();
            ConsoleError::bad_input(format!(
                "sort: unknown column {:?}: expected one of {}",
                branchline_shared::echo_prefix(key),
                keys.join(", ")
            ))
        })?,
    };
    let dir = match query.dir.as_str() {
        "" => column.first_dir(),
        text => Dir::parse(text).ok_or_else(|| {
            ConsoleError::bad_input(format!(
                "dir: {:?} is not a direction: expected asc or desc",
                branchline_shared::echo_prefix(text)
            ))
        })?,
    };
    Ok((column, dir))
}

async fn show(ctx: Ctx, Query(query): Query<BoardQuery>) -> Result<Markup, ConsoleError> {
    let (column, dir) = sorting(&query)?;
    let org = query.org.trim();
    let request = ctx.request(StatusRequest { org: org.to_owned() });
    let mut branches = ctx.admin().status(request).await?.into_inner().branches;
    sort_rows(&mut branches, column, dir);
    // The subtree choice offers the scope's organizations; without them, a code to type.
    let orgs = ctx.orgs().await.ok();
    let lang = ctx.lang;
    let now = Utc::now();
    let view = View {
        lang,
        org,
        column,
        dir,
    };
    let body = html! {
        div id="board" data-refresh=(REFRESH_SECONDS) {
            (counts(lang, &branches, now))
            (subtree_filter(&view, orgs.as_deref()))
            @if branches.is_empty() {
                p.muted id="no-branches" { (lang.t("此范围内没有分支机构。", "No branch in this scope.")) }
            } @else {
                (table(&view, &branches, now))
            }
        }
    };
    Ok(ctx.page(Nav::Board, lang.w(Nav::Board.word()), body))
}

/// What the page shows, for the links that keep it.
struct View<'a> {
    lang: Lang,
    org: &'a str,
    column: Column,
    dir: Dir,
}

impl View<'_> {
    /// The board sorted by `column` in `dir`, same subtree.
    fn sorted_link(&self, column: Column, dir: Dir) -> String {
        let mut link = format!("{}?sort={}&dir={}", Nav::Board.path(), column.key(), dir.as_str());
        if !self.org.is_empty() {
            link.push_str(&format!("&org={}", percent_encode(self.org)));
        }
        link
    }
}

/// How many branches are red, amber and green, and when the page was drawn.
fn counts(lang: Lang, branches: &[BranchStatus], now: DateTime<Utc>) -> Markup {
    let count = |health: &str| branches.iter().filter(|branch| branch.health == health).count();
    let unknown = branches
        .iter()
        .filter(|branch| severity(&branch.health) == 0)
        .count();
    let at = now.format("%H:%M:%S UTC");
    let summary = match lang {
        Lang::Zh => format!(
            "共 {} 个{} · 每 {REFRESH_SECONDS} 秒自动刷新 · 更新于 {at}",
            branches.len(),
            lang.w(words::BRANCH)
        ),
        Lang::En => format!(
            "{} {}es · refreshed every {REFRESH_SECONDS} s · as of {at}",
            branches.len(),
            lang.w(words::BRANCH)
        ),
    };
    html! {
        div.board-counts id="counts" {
            @for health in ["red", "amber", "green"] {
                span class={ "badge " (health) } id={ "count-" (health) } {
                    (cells::health_label(lang, health)) " " (count(health))
                }
            }
            @if unknown > 0 {
                span.badge.grey id="count-unknown" { (cells::health_label(lang, "")) " " (unknown) }
            }
            span.muted id="summary" { (summary) }
        }
    }
}

/// The subtree choice: the scope's organizations, or a code to type when HQ did not list them.
fn subtree_filter(view: &View<'_>, orgs: Option<&[Org]>) -> Markup {
    let lang = view.lang;
    let whole = lang.t("全部范围", "whole scope");
    html! {
        form.filters method="get" action=(Nav::Board.path()) {
            label {
                (lang.t("组织机构子树", "Organization subtree"))
                @if let Some(orgs) = orgs {
                    select id="org" name="org" {
                        option value="" selected[view.org.is_empty()] { (whole) }
                        @if !view.org.is_empty() && !orgs.iter().any(|org| org.code == view.org) {
                            option value=(view.org) selected { (view.org) }
                        }
                        @for org in orgs {
                            option value=(org.code) selected[org.code == view.org] {
                                (org.code) " " (org.name)
                            }
                        }
                    }
                } @else {
                    input id="org" name="org" value=(view.org) placeholder=(whole);
                }
            }
            input type="hidden" name="sort" value=(view.column.key());
            input type="hidden" name="dir" value=(view.dir.as_str());
            button.secondary type="submit" id="org-submit" { (lang.t("显示", "Show")) }
        }
    }
}

/// A column's heading: a link sorting by it (the other way round when it is the sorted one).
fn heading(view: &View<'_>, column: Column) -> Markup {
    let sorted = view.column == column;
    let next = if sorted {
        view.dir.flipped()
    } else {
        column.first_dir()
    };
    let aria = sorted.then_some(match view.dir {
        Dir::Asc => "ascending",
        Dir::Desc => "descending",
    });
    html! {
        th class=[column.is_count().then_some("num")] aria-sort=[aria] {
            a.sort href=(view.sorted_link(column, next)) id={ "sort-" (column.key()) } {
                (column.heading(view.lang))
                @if sorted {
                    " " (match view.dir { Dir::Asc => "▲", Dir::Desc => "▼" })
                }
            }
        }
    }
}

fn table(view: &View<'_>, branches: &[BranchStatus], now: DateTime<Utc>) -> Markup {
    let lang = view.lang;
    html! {
        div.board-scroll {
            table.grid.board id="branches" {
                thead {
                    tr {
                        @for column in Column::ALL {
                            (heading(view, column))
                        }
                    }
                }
                tbody {
                    @for branch in branches {
                        tr data-branch=(branch.branch) data-health=(branch.health) {
                            td.code { (branch.branch) }
                            td.name { (branch.name) }
                            td.code { (branch.org) }
                            td.health { (health_cell(lang, branch)) }
                            td.time { (time_cell(lang, &branch.last_contact)) }
                            td.freshness { (age_text(lang, &branch.received_at, now)) }
                            td.num { (branch.backlog) }
                            td.num { (branch.backlog_documents) }
                            td.num { (branch.quarantined) }
                            td.num { (branch.conflicts) }
                            td.templates { (or_dash(&templates_text(branch))) }
                            td.agent { (or_dash(&branch.agent_version)) }
                            td.closed-day { (or_dash(&branch.last_closed_day)) }
                        }
                    }
                }
            }
        }
    }
}
