//! The orgs page (组织机构与分支机构, `/orgs`): the organization tree of the account's scope
//! (`Admin/ListOrgs`) with each branch's counterparts and token state, and the HQ
//! administrator's jobs that live with it: add an organization (`Admin/AddOrg`), import base data
//! from CSV (`Admin/ImportBaseData`), add a branch (`Admin/AddBranch`) and rotate or revoke its
//! token (`Admin/RotateBranchToken`, `Admin/RevokeBranch`), set a monthly sales target
//! (`Admin/SetTarget`). A new token is shown once, on the answer to the form that made it, never
//! in a URL. Every form is posted with the session's CSRF field; HQ decides what the account may do.

mod base_import;
mod forms;
mod tree;

use super::super::ctx::{CsrfForm, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use super::super::words;
use crate::console::state::Console;
use crate::people::role::Role;
use axum::extract::{Multipart, Query};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{
    AddBranchRequest, AddOrgRequest, ListOrgsRequest, RevokeBranchRequest, RotateBranchTokenRequest,
    SetTargetRequest,
};
use maud::{html, Markup};
use serde::Deserialize;

pub(super) fn routes() -> Router<Console> {
    // A form's address read with GET (the language switch on an answer page) is the tree again.
    let back = || get(|| async { Redirect::to(Nav::Orgs.path()) });
    Router::new()
        .route(Nav::Orgs.path(), get(show))
        .route("/orgs/add-org", back().post(add_org))
        .route("/orgs/add-branch", back().post(add_branch))
        .route("/orgs/rotate", back().post(rotate))
        .route("/orgs/revoke", back().post(revoke))
        .route("/orgs/import", back().post(import))
        .route("/orgs/target", back().post(set_target))
}

#[derive(Deserialize)]
struct Subtree {
    #[serde(default)]
    org: String,
}

async fn show(ctx: Ctx, Query(subtree): Query<Subtree>) -> Result<Markup, ConsoleError> {
    page(&ctx, &subtree.org, None).await
}

/// The page: `notice` (what a form just did) above the tree of `org` (empty: the whole scope).
async fn page(ctx: &Ctx, org: &str, notice: Option<Markup>) -> Result<Markup, ConsoleError> {
    let request = ListOrgsRequest { org: org.to_owned() };
    let listed = ctx.admin().list_orgs(ctx.request(request)).await?.into_inner();
    let lang = ctx.lang;
    let body = html! {
        @if let Some(notice) = notice {
            (notice)
        }
        (forms::org_choices(&listed))
        form.filters method="get" action=(Nav::Orgs.path()) {
            label {
                (lang.t("组织机构子树", "Organization subtree"))
                input id="subtree" name="org" value=(org) list="org-codes" placeholder=(lang.t("全部范围", "whole scope"));
            }
            button.secondary type="submit" id="subtree-submit" { (lang.t("显示", "Show")) }
        }
        section.panel id="tree" {
            (tree::tree(ctx, &listed))
        }
        div.org-forms {
            @if ctx.user.role == Role::Admin {
                (forms::add_org(ctx))
                (forms::import_base_data(ctx))
                (forms::add_branch(ctx))
            }
            @if ctx.user.role >= Role::Operator {
                (forms::set_target(ctx))
            }
        }
    };
    Ok(ctx.page(Nav::Orgs, lang.w(Nav::Orgs.word()), body))
}

/// What a form did, in one line.
fn done(text: String) -> Markup {
    html! { div.notice.result id="notice" { (text) } }
}

/// A new transfer token, shown this once.
fn new_token(lang: Lang, what: String, token: &str) -> Markup {
    html! {
        div.notice.result id="notice" {
            p { (what) }
            p.secret id="token" { (token) }
            p.muted {
                (lang.t(
                    "令牌只显示这一次：现在把它写进该分支机构传输代理的配置（token）。丢失时请轮换令牌。",
                    "The token is shown this once: put it in the branch's transfer agent config (token) now. If it is lost, rotate it.",
                ))
            }
        }
    }
}

#[derive(Deserialize)]
struct AddOrgForm {
    code: String,
    name: String,
}

async fn add_org(ctx: Ctx, CsrfForm(form): CsrfForm<AddOrgForm>) -> Result<Markup, ConsoleError> {
    let request = AddOrgRequest {
        code: form.code.clone(),
        name: form.name.clone(),
    };
    ctx.admin().add_org(ctx.request(request)).await?;
    let text = match ctx.lang {
        Lang::Zh => format!("组织机构 {} {} 已添加。", form.code, form.name),
        Lang::En => format!("Organization {} {} added.", form.code, form.name),
    };
    page(&ctx, "", Some(done(text))).await
}

#[derive(Deserialize)]
struct AddBranchForm {
    code: String,
    name: String,
    org: String,
    customer: String,
    supplier: String,
    warehouse: String,
    #[serde(default)]
    mode: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    adopt_existing: Option<String>,
}

async fn add_branch(ctx: Ctx, CsrfForm(form): CsrfForm<AddBranchForm>) -> Result<Markup, ConsoleError> {
    let code = form.code.clone();
    let request = AddBranchRequest {
        code: form.code,
        name: form.name,
        org: form.org.clone(),
        customer: form.customer,
        supplier: form.supplier,
        warehouse: form.warehouse,
        mode: form.mode,
        adopt_existing: form.adopt_existing.is_some(),
    };
    let token = ctx
        .admin()
        .add_branch(ctx.request(request))
        .await?
        .into_inner()
        .token;
    let what = match ctx.lang {
        Lang::Zh => format!("分支机构 {code} 已添加到组织机构 {}。它的传输令牌：", form.org),
        Lang::En => format!(
            "Branch {code} added under organization {}. Its transfer token:",
            form.org
        ),
    };
    page(&ctx, "", Some(new_token(ctx.lang, what, &token))).await
}

#[derive(Deserialize)]
struct BranchForm {
    code: String,
}

async fn rotate(ctx: Ctx, CsrfForm(form): CsrfForm<BranchForm>) -> Result<Markup, ConsoleError> {
    let request = RotateBranchTokenRequest {
        code: form.code.clone(),
    };
    let token = ctx
        .admin()
        .rotate_branch_token(ctx.request(request))
        .await?
        .into_inner()
        .token;
    let code = &form.code;
    let what = match ctx.lang {
        Lang::Zh => format!("分支机构 {code} 的新传输令牌（旧令牌从现在起被拒绝）："),
        Lang::En => format!("Branch {code}'s new transfer token (the old one is refused from now on):"),
    };
    page(&ctx, "", Some(new_token(ctx.lang, what, &token))).await
}

async fn revoke(ctx: Ctx, CsrfForm(form): CsrfForm<BranchForm>) -> Result<Markup, ConsoleError> {
    let request = RevokeBranchRequest {
        code: form.code.clone(),
    };
    ctx.admin().revoke_branch(ctx.request(request)).await?;
    let code = &form.code;
    let text = match ctx.lang {
        Lang::Zh => format!("分支机构 {code} 的令牌已吊销：轮换令牌之前它被拒绝。"),
        Lang::En => format!("Branch {code}'s token is revoked: it is refused until its token is rotated."),
    };
    page(&ctx, "", Some(done(text))).await
}

async fn import(ctx: Ctx, multipart: Multipart) -> Result<Markup, ConsoleError> {
    let imported = base_import::import(&ctx, multipart).await?;
    let kind = imported.kind;
    let text = match ctx.lang {
        Lang::Zh => format!(
            "{}：{} 条{}记录（{kind}），新增 {}，更新 {}。",
            imported.file_name,
            imported.records,
            ctx.lang.w(words::BASE_DATA),
            imported.created,
            imported.updated
        ),
        Lang::En => format!(
            "{}: {} {kind} records, {} created, {} updated.",
            imported.file_name, imported.records, imported.created, imported.updated
        ),
    };
    page(&ctx, "", Some(done(text))).await
}

#[derive(Deserialize)]
struct TargetForm {
    org: String,
    month: String,
    amount: String,
}

async fn set_target(ctx: Ctx, CsrfForm(form): CsrfForm<TargetForm>) -> Result<Markup, ConsoleError> {
    let request = SetTargetRequest {
        org: form.org.clone(),
        month: form.month.clone(),
        amount: form.amount.clone(),
    };
    ctx.admin().set_target(ctx.request(request)).await?;
    let text = match ctx.lang {
        Lang::Zh => format!(
            "{} 在 {} 的销售目标已设为 {}。",
            form.org, form.month, form.amount
        ),
        Lang::En => format!(
            "The sales target of {} for {} is set to {}.",
            form.org, form.month, form.amount
        ),
    };
    page(&ctx, "", Some(done(text))).await
}
