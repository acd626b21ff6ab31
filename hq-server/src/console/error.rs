//! What a page answers when a call fails: the gRPC status mapped to an HTTP one, shown inside
//! the console's frame with the status's own one-line message (which names what and where), or
//! a redirect to the login page when the session's token is no longer valid.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// A page's failure. The frame (`frame::decorate`) renders it as a page in the session's
/// language; the message is HQ's own.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConsoleError {
    pub status: StatusCode,
    pub message: String,
}

impl ConsoleError {
    /// A form field or query parameter the page itself refuses, before any call.
    pub fn bad_input(message: impl Into<String>) -> ConsoleError {
        ConsoleError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// A form without this session's CSRF token: nothing was done.
    pub fn csrf() -> ConsoleError {
        ConsoleError {
            status: StatusCode::FORBIDDEN,
            message: "the form did not carry this session's CSRF token: nothing was changed; reload the page and try again"
                .to_owned(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> ConsoleError {
        ConsoleError {
            status: StatusCode::NOT_FOUND,
            message: what.into(),
        }
    }

    /// The heading the frame shows above the message.
    pub fn heading(&self) -> (&'static str, &'static str) {
        match self.status {
            StatusCode::FORBIDDEN => ("无权限", "Not allowed"),
            StatusCode::NOT_FOUND => ("未找到", "Not found"),
            StatusCode::CONFLICT => ("冲突", "Conflict"),
            StatusCode::BAD_REQUEST => ("输入有误", "Bad input"),
            StatusCode::TOO_MANY_REQUESTS => ("请求过多", "Too many requests"),
            _ => ("出错了", "Something failed"),
        }
    }
}

/// A failed call's status, for the page. UNAUTHENTICATED is not an error page but a new login,
/// answered by [`ConsoleError::into_response`].
impl From<tonic::Status> for ConsoleError {
    fn from(status: tonic::Status) -> ConsoleError {
        use tonic::Code;
        let http = match status.code() {
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
            Code::FailedPrecondition | Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ConsoleError {
            status: http,
            message: status.message().to_owned(),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}
