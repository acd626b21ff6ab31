//! The `/metrics` endpoint on its own listener (`metrics_listen`): plain HTTP for a Prometheus
//! server inside HQ's network, until the server's shutdown.

use super::scrape::render;
use crate::store::Store;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;

/// What Prometheus asks for and gets: the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The endpoint's router over `store`.
pub fn router(store: Store) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(store)
}

/// Serves `/metrics` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, store: Store, shutdown: impl Future<Output = ()> + Send + 'static) {
    let served = axum::serve(listener, router(store))
        .with_graceful_shutdown(shutdown)
        .await;
    if let Err(error) = served {
        tracing::error!(%error, "the metrics endpoint failed");
    }
}

async fn metrics(State(store): State<Store>) -> Response {
    match render(&store, chrono::Utc::now()).await {
        Ok(body) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "metrics: cannot read the store");
            let body = format!("cannot read the store: {error}\n");
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}
