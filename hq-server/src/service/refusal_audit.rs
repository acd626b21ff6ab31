//! A server-wide layer that writes to the audit log the refusals tonic makes before a service
//! runs: a unary request over `limits.max_message_bytes` (OUT_OF_RANGE). The caller is named
//! by its bearer token when that is a branch's, else "unknown". Refusals a service makes itself
//! are audited by that service.

use crate::auth::token_sha256;
use crate::store::registry;
use crate::store::Store;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::codegen::http;
use tonic::codegen::Service;

/// gRPC status code OUT_OF_RANGE, as it travels in the `grpc-status` header.
const GRPC_STATUS_OUT_OF_RANGE: &[u8] = b"11";

#[derive(Clone)]
pub struct RefusalAuditLayer {
    store: Store,
}

impl RefusalAuditLayer {
    pub fn new(store: Store) -> RefusalAuditLayer {
        RefusalAuditLayer { store }
    }
}

impl<S> tower_layer::Layer<S> for RefusalAuditLayer {
    type Service = RefusalAudit<S>;

    fn layer(&self, inner: S) -> RefusalAudit<S> {
        RefusalAudit {
            inner,
            store: self.store.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RefusalAudit<S> {
    inner: S,
    store: Store,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for RefusalAudit<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResponseBody: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let token_hash = request
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(|token| token_sha256(token.trim()));
        let store = self.store.clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let status = response
                .headers()
                .get("grpc-status")
                .map(|value| value.as_bytes());
            if status == Some(GRPC_STATUS_OUT_OF_RANGE) {
                audit_oversize(&store, token_hash, &path).await;
            }
            Ok(response)
        })
    }
}

async fn audit_oversize(store: &Store, token_hash: Option<String>, path: &str) {
    let actor = match token_hash {
        Some(hash) => registry::branch_by_token_hash(store, &hash)
            .await
            .ok()
            .flatten()
            .map(|branch| branch.code),
        None => None,
    };
    let actor = actor.unwrap_or_else(|| "unknown".to_owned());
    let detail = format!("{path}: message over limits.max_message_bytes");
    if let Err(error) = registry::record_audit(store, &actor, "refused: message too large", &detail).await {
        tracing::error!(%error, "cannot write a refusal to the audit log");
    }
}
