//! Refusals in the audit log. [`RefusalLog`] writes them, coalescing a flood of identical ones
//! so that the append-only log grows with time, not with the number of refused calls; the
//! server-wide [`RefusalAuditLayer`] audits the refusals tonic makes before a service runs: a
//! unary request over `limits.max_message_bytes` (OUT_OF_RANGE). The caller is named by its
//! bearer token when that is a branch's, else "unknown". Refusals a service makes itself are
//! audited by that service through the same `RefusalLog`.

use crate::store::registry::audit::{record_audit, Actor};
use crate::store::registry::branches;
use crate::store::registry::token::token_sha256;
use crate::store::Store;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tonic::codegen::http;
use tonic::codegen::Service;

/// gRPC status code OUT_OF_RANGE, as it travels in the `grpc-status` header.
const GRPC_STATUS_OUT_OF_RANGE: &[u8] = b"11";

/// Most windows open at once. Actors are registered branch codes or "unknown", and actions and
/// calls fixed sets, so this is never reached in practice; past it, refusals are written one row
/// each rather than dropped.
const OPEN_WINDOWS_MAX: usize = 100_000;

/// Which refusals count as identical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RefusalKind {
    actor: String,
    org: Option<String>,
    action: String,
    call: String,
}

/// The refusals of one kind since its window opened.
struct OpenWindow {
    opened: Instant,
    first_at: String,
    last_at: String,
    suppressed: u64,
}

/// Writes refusals to the append-only audit log. The first refusal of a kind — same actor, same
/// action (which names the status code) and same call — is written at once and opens a window of
/// `limits.audit_refusal_window_seconds`; identical refusals within the window are only counted
/// in memory, and when it closes one more row is appended: "N more identical refusals
/// suppressed between FIRST and LAST". No row is ever updated or deleted. A flood therefore adds
/// at most two rows per kind per window, and refused calls do not write to the
/// store while a window is open. Counts are per replica; call [`RefusalLog::flush_expired`]
/// periodically and [`RefusalLog::flush_all`] at shutdown.
#[derive(Clone)]
pub struct RefusalLog {
    store: Store,
    window: Duration,
    open: Arc<Mutex<HashMap<RefusalKind, OpenWindow>>>,
}

impl RefusalLog {
    pub fn new(store: Store, window: Duration) -> RefusalLog {
        RefusalLog {
            store,
            window,
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Audits one refusal of `call` (e.g. "push", "Admin/AddOrg"); `detail` starts with the call.
    /// A failing audit write is logged, not returned, so that the caller still answers with the
    /// refusal's own status.
    pub async fn record(&self, actor: Actor<'_>, action: &str, call: &str, detail: &str) {
        if !crate::bench_switches::refusal_coalescing() {
            return self.write(actor, action, detail).await;
        }
        let now = Instant::now();
        let at = crate::store::db::value::now_text();
        let kind = RefusalKind {
            actor: actor.name.to_owned(),
            org: actor.org.map(str::to_owned),
            action: action.to_owned(),
            call: call.to_owned(),
        };
        let fresh = OpenWindow {
            opened: now,
            first_at: at.clone(),
            last_at: at.clone(),
            suppressed: 0,
        };
        let (write_first, closed) = {
            let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let full = open.len() >= OPEN_WINDOWS_MAX;
            match open.get_mut(&kind) {
                Some(window) if now.saturating_duration_since(window.opened) < self.window => {
                    window.suppressed += 1;
                    window.last_at = at;
                    (false, None)
                }
                Some(window) => (true, Some(std::mem::replace(window, fresh))),
                None if full => (true, None),
                None => {
                    open.insert(kind.clone(), fresh);
                    (true, None)
                }
            }
        };
        if let Some(closed) = closed {
            self.write_suppressed(&kind, &closed).await;
        }
        if write_first {
            self.write(actor, action, detail).await;
        }
    }

    /// Closes every window older than the window length, appending its suppressed count.
    pub async fn flush_expired(&self) {
        let now = Instant::now();
        self.flush(|window| now.saturating_duration_since(window.opened) >= self.window)
            .await;
    }

    /// Closes every open window (at shutdown).
    pub async fn flush_all(&self) {
        self.flush(|_| true).await;
    }

    async fn flush(&self, close: impl Fn(&OpenWindow) -> bool) {
        let closed: Vec<(RefusalKind, OpenWindow)> = {
            let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let keys: Vec<RefusalKind> = open
                .iter()
                .filter(|(_, window)| close(window))
                .map(|(key, _)| key.clone())
                .collect();
            keys.into_iter()
                .filter_map(|key| open.remove(&key).map(|window| (key, window)))
                .collect()
        };
        for (kind, window) in closed {
            self.write_suppressed(&kind, &window).await;
        }
    }

    async fn write_suppressed(&self, kind: &RefusalKind, window: &OpenWindow) {
        if window.suppressed == 0 {
            return;
        }
        let detail = format!(
            "{}: {} more identical refusals suppressed between {} and {} \
             (limits.audit_refusal_window_seconds = {})",
            kind.call,
            window.suppressed,
            window.first_at,
            window.last_at,
            self.window.as_secs()
        );
        let actor = Actor::new(&kind.actor, kind.org.as_deref());
        self.write(actor, &kind.action, &detail).await;
    }

    async fn write(&self, actor: Actor<'_>, action: &str, detail: &str) {
        if let Err(error) = record_audit(&self.store, actor, action, detail).await {
            tracing::error!(%error, "cannot write a refusal to the audit log");
        }
    }
}

/// The audit log's word for a refusal's status code.
pub(crate) fn code_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Unauthenticated => "unauthenticated",
        tonic::Code::PermissionDenied => "permission denied",
        tonic::Code::ResourceExhausted => "resource exhausted",
        tonic::Code::OutOfRange => "message too large",
        _ => "refused",
    }
}

/// Closes expired windows every `window` until `shutdown` completes, then closes them all.
pub async fn flush_refusals_until(log: RefusalLog, shutdown: impl Future<Output = ()>) {
    let mut ticks = tokio::time::interval(log.window().max(Duration::from_millis(100)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticks.tick() => log.flush_expired().await,
        }
    }
    log.flush_all().await;
}

#[derive(Clone)]
pub struct RefusalAuditLayer {
    refusals: RefusalLog,
}

impl RefusalAuditLayer {
    pub fn new(refusals: RefusalLog) -> RefusalAuditLayer {
        RefusalAuditLayer { refusals }
    }
}

impl<S> tower_layer::Layer<S> for RefusalAuditLayer {
    type Service = RefusalAudit<S>;

    fn layer(&self, inner: S) -> RefusalAudit<S> {
        RefusalAudit {
            inner,
            refusals: self.refusals.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RefusalAudit<S> {
    inner: S,
    refusals: RefusalLog,
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
        let refusals = self.refusals.clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let status = response
                .headers()
                .get("grpc-status")
                .map(|value| value.as_bytes());
            // A trailers-only answer carries its status in the headers: every refusal before
            // or by a handler (an error a stream ends with comes in trailers, not counted here).
            if let Some(code) = status.map(tonic::Code::from_bytes) {
                if code != tonic::Code::Ok {
                    refusals.store().counters().refused(&format!("{code:?}"));
                }
            }
            if status == Some(GRPC_STATUS_OUT_OF_RANGE) {
                audit_oversize(&refusals, token_hash, &path).await;
            }
            Ok(response)
        })
    }
}

async fn audit_oversize(refusals: &RefusalLog, token_hash: Option<String>, path: &str) {
    let branch = match token_hash {
        Some(hash) => branches::branch_by_token_hash(refusals.store(), &hash)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let actor = branch.as_ref().map_or(Actor::UNKNOWN, |branch| branch.actor());
    let detail = format!("{path}: message over limits.max_message_bytes");
    refusals
        .record(actor, "refused: message too large", path, &detail)
        .await;
}
