//! The console's assets, inside the binary (HQ LANs are often closed): its style sheet, its one
//! script and Apache ECharts (vendored from npm, `echarts.LICENSE.txt` beside it).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const CONSOLE_CSS: &str = include_str!("../../assets/console.css");
const CONSOLE_JS: &str = include_str!("../../assets/console.js");
const ECHARTS_JS: &str = include_str!("../../assets/echarts.min.js");
const ECHARTS_LICENSE: &str = include_str!("../../assets/echarts.LICENSE.txt");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/assets/console.css",
            get(|| async { asset("text/css; charset=utf-8", CONSOLE_CSS) }),
        )
        .route(
            "/assets/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", CONSOLE_JS) }),
        )
        .route(
            "/assets/echarts.min.js",
            get(|| async { asset("text/javascript; charset=utf-8", ECHARTS_JS) }),
        )
        .route(
            "/assets/echarts.LICENSE.txt",
            get(|| async { asset("text/plain; charset=utf-8", ECHARTS_LICENSE) }),
        )
}
