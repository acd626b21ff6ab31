//! The accounts page (人员, `/accounts`), for admins: the accounts of the admin's scope
//! (`Account/ListUsers`) with role, organization and state; add an account (`AddUser`), disable
//! or enable it (`DisableUser`, `EnableUser`), set its password (`SetPassword`), issue a
//! personal API token (`IssueToken`, shown once on the answer, never in a URL) and revoke its
//! tokens (`RevokeTokens`). Another role sees HQ's refusal, as over gRPC.

mod rows;

use super::super::ctx::{CsrfForm, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use super::super::words;
use crate::console::state::Console;
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{
    AddUserRequest, DisableUserRequest, EnableUserRequest, IssueTokenRequest, ListUsersRequest,
    RevokeTokensRequest, SetPasswordRequest,
};
use maud::{html, Markup};
use serde::Deserialize;

pub(super) fn routes() -> Router<Console> {
    // A form's address read with GET (the language switch on an answer page) is the list again.
    let back = || get(|| async { Redirect::to(Nav::Accounts.path()) });
    Router::new()
        .route(Nav::Accounts.path(), get(show))
        .route("/accounts/add", back().post(add))
        .route("/accounts/disable", back().post(disable))
        .route("/accounts/enable", back().post(enable))
        .route("/accounts/password", back().post(set_password))
        .route("/accounts/token", back().post(issue_token))
        .route("/accounts/revoke-tokens", back().post(revoke_tokens))
}

async fn show(ctx: Ctx) -> Result<Markup, ConsoleError> {
    page(&ctx, None).await
}

/// The page, with `notice` (what a form just did) above the list.
async fn page(ctx: &Ctx, notice: Option<Markup>) -> Result<Markup, ConsoleError> {
    let users = ctx
        .account()
        .list_users(ctx.request(ListUsersRequest {}))
        .await?
        .into_inner()
        .users;
    let orgs = ctx.orgs().await?;
    let lang = ctx.lang;
    let body = html! {
        @if let Some(notice) = notice {
            (notice)
        }
        section.panel id="users" {
            (rows::users_table(ctx, &users))
        }
        datalist id="org-codes" {
            @for org in &orgs {
                option value=(org.code) { (org.name) }
            }
        }
        (rows::add_form(ctx))
    };
    Ok(ctx.page(Nav::Accounts, lang.w(words::ACCOUNT), body))
}

fn done(text: String) -> Markup {
    html! { div.notice.result id="notice" { (text) } }
}

#[derive(Deserialize)]
struct AddForm {
    name: String,
    role: String,
    org: String,
}

async fn add(ctx: Ctx, CsrfForm(form): CsrfForm<AddForm>) -> Result<Markup, ConsoleError> {
    let request = AddUserRequest {
        name: form.name.clone(),
        role: form.role.clone(),
        org: form.org.clone(),
    };
    ctx.account().add_user(ctx.request(request)).await?;
    let (name, role, org) = (&form.name, &form.role, &form.org);
    let text = match ctx.lang {
        Lang::Zh => format!("账号 {name} 已添加（{role}，组织机构 {org}）。设置密码后即可登录。"),
        Lang::En => format!(
            "Account {name} added ({role}, organization {org}). It can log in once it has a password."
        ),
    };
    page(&ctx, Some(done(text))).await
}

#[derive(Deserialize)]
struct NameForm {
    name: String,
}

async fn disable(ctx: Ctx, CsrfForm(form): CsrfForm<NameForm>) -> Result<Markup, ConsoleError> {
    let request = DisableUserRequest {
        name: form.name.clone(),
    };
    ctx.account().disable_user(ctx.request(request)).await?;
    let name = &form.name;
    let text = match ctx.lang {
        Lang::Zh => format!("账号 {name} 已停用：它的登录和令牌从现在起被拒绝。"),
        Lang::En => format!("Account {name} is disabled: its logins and tokens are refused from now on."),
    };
    page(&ctx, Some(done(text))).await
}

async fn enable(ctx: Ctx, CsrfForm(form): CsrfForm<NameForm>) -> Result<Markup, ConsoleError> {
    let request = EnableUserRequest {
        name: form.name.clone(),
    };
    ctx.account().enable_user(ctx.request(request)).await?;
    let name = &form.name;
    let text = match ctx.lang {
        Lang::Zh => format!("账号 {name} 已启用，可以再次登录（停用时吊销的令牌仍然无效）。"),
        Lang::En => format!(
            "Account {name} is enabled and may log in again (the tokens its disabling revoked stay revoked)."
        ),
    };
    page(&ctx, Some(done(text))).await
}

#[derive(Deserialize)]
struct PasswordForm {
    name: String,
    password: String,
}

async fn set_password(ctx: Ctx, CsrfForm(form): CsrfForm<PasswordForm>) -> Result<Markup, ConsoleError> {
    let request = SetPasswordRequest {
        name: form.name.clone(),
        password: form.password,
    };
    ctx.account().set_password(ctx.request(request)).await?;
    let name = &form.name;
    let text = match ctx.lang {
        Lang::Zh => format!("账号 {name} 的密码已设置。"),
        Lang::En => format!("Account {name}'s password is set."),
    };
    page(&ctx, Some(done(text))).await
}

async fn issue_token(ctx: Ctx, CsrfForm(form): CsrfForm<NameForm>) -> Result<Markup, ConsoleError> {
    let request = IssueTokenRequest {
        name: form.name.clone(),
    };
    let token = ctx
        .account()
        .issue_token(ctx.request(request))
        .await?
        .into_inner()
        .token;
    let lang = ctx.lang;
    let name = &form.name;
    let what = match lang {
        Lang::Zh => format!("账号 {name} 的个人 API 令牌："),
        Lang::En => format!("Account {name}'s personal API token:"),
    };
    let notice = html! {
        div.notice.result id="notice" {
            p { (what) }
            p.secret id="token" { (token) }
            p.muted {
                (lang.t(
                    "令牌只显示这一次：供脚本使用（hq-server admin --token）。“吊销令牌”会吊销它。",
                    "The token is shown this once, for scripts (hq-server admin --token). Revoke tokens revokes it.",
                ))
            }
        }
    };
    page(&ctx, Some(notice)).await
}

async fn revoke_tokens(ctx: Ctx, CsrfForm(form): CsrfForm<NameForm>) -> Result<Markup, ConsoleError> {
    let request = RevokeTokensRequest {
        name: form.name.clone(),
    };
    let revoked = ctx
        .account()
        .revoke_tokens(ctx.request(request))
        .await?
        .into_inner()
        .revoked;
    let name = &form.name;
    let text = match ctx.lang {
        Lang::Zh => format!("账号 {name} 的 {revoked} 个令牌已吊销（包括它的登录会话）。"),
        Lang::En => format!("{revoked} tokens of account {name} revoked (its login sessions too)."),
    };
    page(&ctx, Some(done(text))).await
}
