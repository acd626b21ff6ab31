//! 登录 and 退出 of a workbench served beyond this machine (`workbench::login`).

use super::{stale_form, TokenForm};
use crate::workbench::frame::Nav;
use crate::workbench::login::SESSION_COOKIE;
use crate::workbench::request::{cookie, csrf_ok, lang};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, DOCTYPE};
use serde::Deserialize;
use std::sync::Arc;

fn login_page(lang: Lang, status: StatusCode, refused: bool) -> Response {
    let title = lang.t(
        "登录 · Branchline 分支机构工作台",
        "Log in · Branchline branch workbench",
    );
    let page = html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head { meta charset="utf-8"; title { (title) } link rel="stylesheet" href="/assets/workbench.css"; }
            body { main {
                h1 { (title) }
                form.stacked method="post" action="/login" {
                    label { (lang.t("工作台密码", "Workbench password")) input type="password" name="password" id="password" autofocus; }
                    button type="submit" id="login" { (lang.t("登录", "Log in")) }
                    @if refused { p.error id="login-error" { (lang.t("密码不对。", "That is not the password.")) } }
                }
            } }
        }
    };
    (status, page).into_response()
}

pub(crate) async fn show(headers: HeaderMap) -> Response {
    login_page(lang(&headers, None), StatusCode::OK, false)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    password: String,
}

pub(crate) async fn login(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang(&headers, None);
    let checked = state.clone();
    let token = tokio::task::spawn_blocking(move || {
        let login = checked.login.as_ref()?;
        login.verify(&form.password).then(|| login.open())
    })
    .await
    .ok()
    .flatten();
    let Some(token) = token else {
        return login_page(lang, StatusCode::UNAUTHORIZED, true);
    };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/documents")).into_response()
}

pub(crate) async fn logout(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(&state, lang(&headers, None), Nav::Documents);
    }
    if let (Some(login), Some(token)) = (&state.login, cookie(&headers, SESSION_COOKIE)) {
        login.close(token);
    }
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}
