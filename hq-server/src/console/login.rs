//! Logging in and out of the console. A login is `Account/Login` for the browser's address (so
//! its lock-outs and audit rows are those of any login), then a session; the login form carries
//! a token of its own cookie against login CSRF. Logout is `Account/Logout`: the session's token
//! is revoked at HQ, not only forgotten here.

use super::api;
use super::ctx::{check_csrf, cookie_value, lang_of, peer_address, CsrfForm, Ctx};
use super::error::ConsoleError;
use super::i18n::Lang;
use super::layout;
use super::session::{random_token, SessionUser, SESSION_COOKIE};
use crate::console::state::Console;
use crate::people::role::Role;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use branchline_proto::v1::{LoginRequest, LogoutRequest};
use maud::{html, Markup};

/// The cookie holding the login form's CSRF token, before there is a session.
const LOGIN_COOKIE: &str = "bl_login";

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/board") }))
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
}

#[derive(serde::Deserialize, Default)]
struct Next {
    #[serde(default)]
    next: String,
}

/// Where to go after the login: a path of this console, else the board.
fn next_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/board"
    }
}

fn cookie(console: &Console, name: &str, value: &str, max_age: Option<u64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if console.secure_cookies() {
        cookie.push_str("; Secure");
    }
    cookie
}

fn form(lang: Lang, csrf: &str, next: &str, name: &str, failure: Option<&str>) -> Markup {
    let body = html! {
        div.panel.login {
            @if let Some(failure) = failure {
                p.error id="login-error" { (failure) }
            }
            form.stacked method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label { (lang.t("账号", "Account")) input id="name" name="name" value=(name) autocomplete="username" required autofocus; }
                label { (lang.t("密码", "Password")) input id="password" name="password" type="password" autocomplete="current-password" required; }
                button id="login" type="submit" { (lang.t("登录", "Log in")) }
            }
        }
    };
    layout::page(lang, None, None, lang.t("登录", "Log in"), body)
}

async fn login_page(State(console): State<Console>, parts: Parts, Query(next): Query<Next>) -> Response {
    let csrf = random_token();
    let page = form(lang_of(&parts), &csrf, &next.next, "", None);
    (
        [(header::SET_COOKIE, cookie(&console, LOGIN_COOKIE, &csrf, None))],
        page,
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

async fn log_in(State(console): State<Console>, parts: Parts, body: axum::body::Bytes) -> Response {
    let lang = lang_of(&parts);
    let Ok(asked) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return ConsoleError::bad_input("the login form is malformed").into_response();
    };
    let expected = cookie_value(&parts, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || check_csrf(&expected, &asked.csrf).is_err() {
        return ConsoleError::csrf().into_response();
    }
    let refused = |status: StatusCode, message: &str| {
        (
            status,
            form(lang, &expected, &asked.next, &asked.name, Some(message)),
        )
            .into_response()
    };
    let request = api::request(
        LoginRequest {
            name: asked.name.clone(),
            password: asked.password.clone(),
        },
        None,
        peer_address(&parts),
    );
    let answer = match console.api().account().login(request).await {
        Ok(answer) => answer.into_inner(),
        Err(status) => {
            let error = ConsoleError::from(status);
            return refused(error.status, &error.message);
        }
    };
    let Ok(role) = Role::parse(&answer.role) else {
        return refused(StatusCode::INTERNAL_SERVER_ERROR, "HQ answered an unknown role");
    };
    let user = SessionUser {
        name: asked.name.clone(),
        role,
        root: Some(answer.org).filter(|org| !org.is_empty()),
    };
    let id = match console.sessions().open(user, answer.token) {
        Ok(id) => id,
        Err(error) => return refused(StatusCode::SERVICE_UNAVAILABLE, &error.to_string()),
    };
    let mut response = Redirect::to(next_path(&asked.next)).into_response();
    let headers = response.headers_mut();
    for value in [
        cookie(&console, SESSION_COOKIE, &id, None),
        cookie(&console, LOGIN_COOKIE, "", Some(0)),
    ] {
        if let Ok(value) = value.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(serde::Deserialize)]
struct Nothing {}

async fn log_out(
    State(console): State<Console>,
    ctx: Ctx,
    parts: Parts,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Response {
    // The session's token is revoked at HQ first: a logout that cannot reach the store says so.
    if let Err(status) = ctx.account().logout(ctx.request(LogoutRequest {})).await {
        return ConsoleError::from(status).into_response();
    }
    if let Some(id) = cookie_value(&parts, SESSION_COOKIE) {
        console.sessions().close(&id);
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(value) = cookie(&console, SESSION_COOKIE, "", Some(0)).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_of_this_console_is_followed() {
        assert_eq!(next_path("/sales?org=001"), "/sales?org=001");
        assert_eq!(next_path("//evil.example/"), "/board");
        assert_eq!(next_path("/\\evil.example"), "/board");
        assert_eq!(next_path("https://evil.example/"), "/board");
        assert_eq!(next_path(""), "/board");
    }
}
