//! What a page handler gets: the logged-in session (`Ctx`, else a redirect to the login page)
//! with the language, the browser's address and the in-process clients; and `CsrfForm`, a posted
//! form whose CSRF token has been checked against the session's.

use super::api::{self, Api, Grpc};
use super::error::ConsoleError;
use super::i18n::Lang;
use super::layout::{self, Nav};
use super::session::{Session, SessionUser, SESSION_COOKIE};
use crate::auth::digests_equal;
use crate::console::state::Console;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use branchline_proto::v1::account_client::AccountClient;
use branchline_proto::v1::admin_client::AdminClient;
use branchline_proto::v1::commission_client::CommissionClient;
use branchline_proto::v1::report_client::ReportClient;
use branchline_proto::v1::{ListOrgsRequest, Org};
use maud::{html, Markup};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// The name of every form's CSRF field.
pub const CSRF_FIELD: &str = "csrf";

/// A request of a logged-in session.
pub struct Ctx {
    pub user: SessionUser,
    pub lang: Lang,
    csrf: String,
    token: String,
    address: SocketAddr,
    api: Api,
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// The browser's address, as the serving loop recorded it.
pub fn peer_address(parts: &Parts) -> SocketAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// The request's language, as the frame chose it.
pub fn lang_of(parts: &Parts) -> Lang {
    parts.extensions.get::<Lang>().copied().unwrap_or_default()
}

/// The live session the request's cookie names.
pub fn session_of(parts: &Parts, console: &Console) -> Option<Session> {
    let id = cookie_value(parts, SESSION_COOKIE)?;
    console.sessions().touch(&id)
}

impl FromRequestParts<Console> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Ctx, Response> {
        let Some(session) = session_of(parts, console) else {
            let next = parts
                .uri
                .path_and_query()
                .map(|path| path.as_str())
                .unwrap_or("/");
            let target = format!("/login?next={}", percent_encode(next));
            return Err(Redirect::to(&target).into_response());
        };
        Ok(Ctx {
            user: session.user,
            lang: lang_of(parts),
            csrf: session.csrf,
            token: session.token,
            address: peer_address(parts),
            api: console.api().clone(),
        })
    }
}

/// `text` safe inside a query value.
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

impl Ctx {
    pub fn admin(&self) -> AdminClient<Grpc> {
        self.api.admin()
    }

    pub fn report(&self) -> ReportClient<Grpc> {
        self.api.report()
    }

    pub fn account(&self) -> AccountClient<Grpc> {
        self.api.account()
    }

    pub fn commission(&self) -> CommissionClient<Grpc> {
        self.api.commission()
    }

    /// The organizations of the session's scope, in tree order (`Admin/ListOrgs`).
    pub async fn orgs(&self) -> Result<Vec<Org>, tonic::Status> {
        let request = self.request(ListOrgsRequest::default());
        Ok(self.admin().list_orgs(request).await?.into_inner().orgs)
    }

    /// `message` as a call of this session from its browser.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        api::request(message, Some(&self.token), self.address)
    }

    /// The whole page around `body`: navigation, language switch, the account and logout.
    pub fn page(&self, nav: Nav, title: &str, body: Markup) -> Markup {
        layout::page(self.lang, Some((&self.user, &self.csrf)), Some(nav), title, body)
    }

    /// The hidden CSRF input every form of this session carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name=(CSRF_FIELD) value=(self.csrf); }
    }

    /// Refuses `value` unless it is this session's CSRF token (for multipart forms).
    pub fn check_csrf(&self, value: &str) -> Result<(), ConsoleError> {
        check_csrf(&self.csrf, value)
    }
}

/// Refuses `presented` unless it equals `expected`, in time independent of where they differ.
pub fn check_csrf(expected: &str, presented: &str) -> Result<(), ConsoleError> {
    let expected: [u8; 32] = Sha256::digest(expected.as_bytes()).into();
    let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    if digests_equal(&expected, &presented) {
        Ok(())
    } else {
        Err(ConsoleError::csrf())
    }
}

/// A posted form (urlencoded) of a logged-in session whose `csrf` field matched; `T` reads the
/// other fields.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<Console> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, console: &Console) -> Result<CsrfForm<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, console).await?;
        let limit = console.form_bytes_max();
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
            ConsoleError::bad_input(format!("the form is larger than {limit} bytes")).into_response()
        })?;
        let presented: CsrfOnly =
            serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfOnly { csrf: String::new() });
        ctx.check_csrf(&presented.csrf)
            .map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|error| ConsoleError::bad_input(format!("the form: {error}")).into_response())?;
        Ok(CsrfForm(form))
    }
}
