//! The quarantine page (隔离区, `/quarantine`), for operators and admins: every entry HQ could not
//! apply in the account's scope (`Admin/QuarantineList`) with its reason and its content, one
//! entry on a page of its own (`/quarantine/ID`), and the retry after a fix
//! (`Admin/QuarantineRetry`, a form with the session's CSRF field) answered with what HQ did:
//! applied, or the reason it is still quarantined. Below, the conflicts: resends HQ refused for
//! carrying other content under a sequence number it holds (`Admin/Status` counts them per
//! branch, `Admin/Audit` holds each one). A viewer, or an entry of another scope, sees HQ's
//! refusal, as over gRPC.

mod conflicts;
mod content;
mod rows;

use super::super::ctx::{CsrfForm, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use super::super::words;
use crate::console::state::Console;
use axum::extract::{Path, Query};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{
    QuarantineListRequest, QuarantineRetryRequest, QuarantineRetryResponse, QuarantinedEntry,
};
use maud::{html, Markup};
use rows::entry_path;
use serde::Deserialize;

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route(Nav::Quarantine.path(), get(show))
        .route("/quarantine/{id}", get(show_entry))
        // The retry's address read with GET (the language switch on its answer) is the entry.
        .route(
            "/quarantine/{id}/retry",
            get(|Path(id): Path<u64>| async move { Redirect::to(&entry_path(id)) }).post(retry),
        )
}

#[derive(Deserialize)]
struct Subtree {
    #[serde(default)]
    org: String,
}

async fn show(ctx: Ctx, Query(subtree): Query<Subtree>) -> Result<Markup, ConsoleError> {
    page(&ctx, &subtree.org, None).await
}

/// The entries of `org`'s subtree (empty: the whole scope), `notice` above them.
async fn page(ctx: &Ctx, org: &str, notice: Option<Markup>) -> Result<Markup, ConsoleError> {
    let request = QuarantineListRequest {
        org: org.to_owned(),
        id: 0,
    };
    let entries = ctx
        .admin()
        .quarantine_list(ctx.request(request))
        .await?
        .into_inner()
        .entries;
    let conflicts = conflicts::conflicts(ctx, org).await?;
    let orgs = ctx.orgs().await?;
    let lang = ctx.lang;
    let body = html! {
        @if let Some(notice) = notice {
            (notice)
        }
        form.filters method="get" action=(Nav::Quarantine.path()) {
            label {
                (lang.w(words::ORG))
                input id="org" name="org" value=(org) list="org-codes" placeholder=(lang.t("全部范围", "whole scope"));
            }
            button.secondary type="submit" id="filter" { (lang.t("显示", "Show")) }
        }
        datalist id="org-codes" {
            @for org in &orgs {
                option value=(org.code) { (org.name) }
            }
        }
        section.panel id="entries" {
            h2 { (lang.t("隔离条目", "Quarantined entries")) " (" (entries.len()) ")" }
            p.muted {
                (lang.t(
                    "总部无法应用的条目带着原因留在隔离区，其后的条目照常应用。修复原因（例如导入缺失的商品）后重试。",
                    "An entry HQ cannot apply waits here with its reason while the entries behind it go on. \
                     Fix the cause (import the missing product, say) and retry it.",
                ))
            }
            (rows::entries_table(ctx, &entries))
        }
        (conflicts)
    };
    Ok(ctx.page(Nav::Quarantine, lang.w(Nav::Quarantine.word()), body))
}

/// Entry `id` as HQ lists it for this session (refused outside its scope).
async fn entry(ctx: &Ctx, id: u64) -> Result<QuarantinedEntry, ConsoleError> {
    let request = QuarantineListRequest {
        org: String::new(),
        id,
    };
    let mut entries = ctx
        .admin()
        .quarantine_list(ctx.request(request))
        .await?
        .into_inner()
        .entries;
    entries.pop().ok_or_else(|| {
        ConsoleError::not_found(format!("no quarantined entry {id} (unknown or already applied)"))
    })
}

async fn show_entry(ctx: Ctx, Path(id): Path<u64>) -> Result<Markup, ConsoleError> {
    let entry = entry(&ctx, id).await?;
    let lang = ctx.lang;
    let title = match lang {
        Lang::Zh => format!("隔离条目 {id}"),
        Lang::En => format!("Quarantined entry {id}"),
    };
    let body = html! {
        p { a href=(Nav::Quarantine.path()) id="back-to-list" { (lang.t("← 全部隔离条目", "← All quarantined entries")) } }
        section.panel id="entry" {
            (rows::entry_facts(&ctx, &entry))
            (rows::retry_form(&ctx, entry.id))
        }
        section.panel id="entry-content" {
            h2 { (lang.t("内容", "Content")) }
            (content::content(lang, &entry.content))
        }
    };
    Ok(ctx.page(Nav::Quarantine, &title, body))
}

/// The retry's form: nothing but the CSRF field (the entry is in the address).
#[derive(Deserialize)]
struct RetryForm {}

async fn retry(
    ctx: Ctx,
    Path(id): Path<u64>,
    CsrfForm(_form): CsrfForm<RetryForm>,
) -> Result<Markup, ConsoleError> {
    let answer = ctx
        .admin()
        .quarantine_retry(ctx.request(QuarantineRetryRequest { id }))
        .await?
        .into_inner();
    page(&ctx, "", Some(retried(ctx.lang, id, &answer))).await
}

/// What a retry did, as the notice above the list.
fn retried(lang: Lang, id: u64, answer: &QuarantineRetryResponse) -> Markup {
    if answer.applied {
        let text = match lang {
            Lang::Zh => format!("条目 {id} 已应用，离开了隔离区。"),
            Lang::En => format!("Entry {id} is applied and has left quarantine."),
        };
        return html! { div.notice id="retry-result" data-applied="true" { (text) } };
    }
    let text = match lang {
        Lang::Zh => format!("条目 {id} 仍在隔离区：{}", answer.reason),
        Lang::En => format!("Entry {id} is still quarantined: {}", answer.reason),
    };
    html! { div.warning id="retry-result" data-applied="false" { (text) } }
}
