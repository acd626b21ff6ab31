//! The agent's Prometheus metrics (`metrics_listen` in its config, docs/metrics.md): entries
//! pushed and pulled per task, counted while it runs, and at each scrape what the ledger and the
//! agent's state file say — every task's last success and consecutive failures, the backlog.

use crate::status::{read_status, AgentStatus};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What Prometheus asks for and gets: the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    task: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BranchLabels {
    branch: String,
}

/// The counts of one running agent; cloning shares them.
#[derive(Clone)]
pub struct AgentMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    pushed: Family<TaskLabels, Counter>,
    pulled: Family<TaskLabels, Counter>,
}

impl std::fmt::Debug for AgentMetrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("AgentMetrics")
    }
}

impl Default for AgentMetrics {
    fn default() -> AgentMetrics {
        let mut registry = Registry::with_prefix("branchline_agent");
        let pushed = Family::<TaskLabels, Counter>::default();
        registry.register(
            "pushed_entries",
            "Outbox entries a task sent to HQ that HQ applied",
            pushed.clone(),
        );
        let pulled = Family::<TaskLabels, Counter>::default();
        registry.register(
            "pulled_entries",
            "Inbox entries a task received from HQ and applied to the ledger",
            pulled.clone(),
        );
        AgentMetrics {
            inner: Arc::new(Inner {
                registry,
                pushed,
                pulled,
            }),
        }
    }
}

impl AgentMetrics {
    /// A successful run of `task`: the entries it pushed (applied by HQ) and pulled.
    pub fn transferred(&self, task: &str, pushed: u64, pulled: u64) {
        let labels = TaskLabels {
            task: task.to_owned(),
        };
        self.inner.pushed.get_or_create(&labels).inc_by(pushed);
        self.inner.pulled.get_or_create(&labels).inc_by(pulled);
    }

    /// The exposition of one scrape: the counts, then `status` (the ledger and state file).
    fn render(&self, status: &AgentStatus) -> String {
        let mut registry = Registry::with_prefix("branchline_agent");
        let last_success = Family::<TaskLabels, Gauge<f64, AtomicU64>>::default();
        let failures = Family::<TaskLabels, Gauge>::default();
        for (task, state) in &status.tasks {
            let labels = TaskLabels { task: task.clone() };
            failures
                .get_or_create(&labels)
                .set(i64::try_from(state.consecutive_failures).unwrap_or(i64::MAX));
            let success = state
                .last_success
                .as_deref()
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok());
            if let Some(at) = success {
                let seconds = at.timestamp_millis() as f64 / 1000.0;
                last_success.get_or_create(&labels).set(seconds);
            }
        }
        registry.register_with_unit(
            "task_last_success_timestamp",
            "Unix time of the task's last successful run (absent: none yet)",
            Unit::Seconds,
            last_success,
        );
        registry.register(
            "task_consecutive_failures",
            "Runs of the task that failed since its last success",
            failures,
        );
        let labels = BranchLabels {
            branch: status.positions.branch.clone(),
        };
        let gauge = |value: u64| {
            let gauge = Family::<BranchLabels, Gauge>::default();
            gauge
                .get_or_create(&labels)
                .set(i64::try_from(value).unwrap_or(i64::MAX));
            gauge
        };
        registry.register(
            "backlog_entries",
            "Outbox entries HQ has not acknowledged",
            gauge(status.positions.backlog),
        );
        registry.register(
            "backlog_documents",
            "Documents among the unacknowledged entries",
            gauge(status.positions.backlog_documents),
        );
        let mut out = String::new();
        encode_registry(&mut out, &self.inner.registry)
            .and_then(|()| encode_registry(&mut out, &registry))
            .and_then(|()| encode_eof(&mut out))
            .expect("encoding into a String does not fail");
        out
    }
}

#[derive(Clone)]
struct Endpoint {
    metrics: AgentMetrics,
    ledger: PathBuf,
}

/// Serves `/metrics` for the agent of `ledger` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    metrics: AgentMetrics,
    ledger: PathBuf,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(Endpoint { metrics, ledger });
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    if let Err(error) = served {
        tracing::error!(%error, "the metrics endpoint failed");
    }
}

async fn scrape(State(endpoint): State<Endpoint>) -> Response {
    let ledger = endpoint.ledger.clone();
    let status = tokio::task::spawn_blocking(move || read_status(&ledger)).await;
    match status {
        Ok(Ok(status)) => {
            let body = endpoint.metrics.render(&status);
            ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "metrics: cannot read the ledger");
            let body = format!("cannot read the ledger: {error}\n");
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the ledger reader failed\n").into_response(),
    }
}
