//! The credential gate as a server-wide tower layer: routes each request path to the branch or
//! the person check, answers a refusal itself before the body is read, and hands the transfer
//! service the branch it resolved and the other services the principal.

use super::caller::Caller;
use super::{AuthenticatedBranch, CredentialGate};
use crate::people::access::{access, Access};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::codegen::http;
use tonic::codegen::Service;

/// Which gate a request path goes through.
enum Route {
    /// A transfer call, named as the audit log names it ("hello", "upload_bundle").
    Transfer(String),
    /// An admin, report or account call, named as the access rules and the audit log name it
    /// ("Admin/AddOrg"); `changes_credentials` for a call that revokes or replaces tokens.
    People {
        method: String,
        access: Access,
        changes_credentials: bool,
    },
}

/// Methods after which this replica forgets the tokens it knew.
const CREDENTIAL_CHANGES: [&str; 5] = [
    "RotateBranchToken",
    "RevokeBranch",
    "DisableUser",
    "RevokeTokens",
    "Logout",
];

fn route(path: &str) -> Option<Route> {
    let (service, method) = path.strip_prefix("/branchline.v1.")?.split_once('/')?;
    match service {
        "Transfer" => Some(Route::Transfer(snake_case(method))),
        "Admin" | "Report" | "Account" | "Commission" => Some(Route::People {
            method: format!("{service}/{method}"),
            access: access(service, method),
            changes_credentials: CREDENTIAL_CHANGES.contains(&method),
        }),
        _ => None,
    }
}

/// "UploadBundle" -> "upload_bundle".
fn snake_case(method: &str) -> String {
    let mut name = String::with_capacity(method.len() + 4);
    for (idx, character) in method.chars().enumerate() {
        if character.is_ascii_uppercase() && idx > 0 {
            name.push('_');
        }
        name.push(character.to_ascii_lowercase());
    }
    name
}

#[derive(Clone)]
pub struct CredentialGateLayer {
    gate: Arc<CredentialGate>,
}

impl CredentialGateLayer {
    pub fn new(gate: Arc<CredentialGate>) -> CredentialGateLayer {
        CredentialGateLayer { gate }
    }
}

impl<S> tower_layer::Layer<S> for CredentialGateLayer {
    type Service = CredentialGateService<S>;

    fn layer(&self, inner: S) -> CredentialGateService<S> {
        CredentialGateService {
            inner,
            gate: Arc::clone(&self.gate),
        }
    }
}

#[derive(Clone)]
pub struct CredentialGateService<S> {
    inner: S,
    gate: Arc<CredentialGate>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for CredentialGateService<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RequestBody: Send + 'static,
    ResponseBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<RequestBody>) -> Self::Future {
        // The clone takes the place of the service that was polled ready, which serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(route) = route(request.uri().path()) else {
            return Box::pin(inner.call(request));
        };
        let caller = Caller::from_http(&request);
        let gate = Arc::clone(&self.gate);
        Box::pin(async move {
            let checked = match &route {
                Route::Transfer(call) => gate.authenticate_branch(call, &caller).await.map(|branch| {
                    request.extensions_mut().insert(AuthenticatedBranch(branch));
                }),
                Route::People { method, access, .. } => gate
                    .screen_person(method, *access, &caller)
                    .await
                    .map(|principal| {
                        if let Some(principal) = principal {
                            request.extensions_mut().insert(principal);
                        }
                    }),
            };
            if let Err(error) = checked {
                return Ok(error.to_status().into_http());
            }
            let response = inner.call(request).await;
            // A unary handler has finished (and committed) before its response exists: this
            // replica's cache forgets the old token at once; other replicas never admit from it.
            if matches!(
                route,
                Route::People {
                    changes_credentials: true,
                    ..
                }
            ) {
                gate.forget_known_tokens();
            }
            response
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_calls_as_the_audit_log_does() {
        assert!(matches!(
            route("/branchline.v1.Transfer/UploadBundle"),
            Some(Route::Transfer(call)) if call == "upload_bundle"
        ));
        assert!(
            matches!(route("/branchline.v1.Transfer/Hello"), Some(Route::Transfer(call)) if call == "hello")
        );
        assert!(matches!(
            route("/branchline.v1.Report/Top"),
            Some(Route::People {
                method,
                changes_credentials: false,
                ..
            }) if method == "Report/Top"
        ));
        assert!(matches!(
            route("/branchline.v1.Admin/RevokeBranch"),
            Some(Route::People {
                changes_credentials: true,
                ..
            })
        ));
        assert!(matches!(
            route("/branchline.v1.Account/Login"),
            Some(Route::People {
                access: Access::Public,
                ..
            })
        ));
        assert!(route("/grpc.health.v1.Health/Check").is_none());
    }
}
