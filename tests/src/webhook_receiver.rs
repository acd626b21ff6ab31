//! Test harness: a local HTTP receiver for HQ's alert webhooks on an ephemeral loopback port.
//! It records every POST (its path and query, and its JSON body) and answers as a robot does,
//! `{"errcode":0,"errmsg":"ok"}`; told to, it refuses the next requests (HTTP 500, or on a
//! robot path — `/wecom…`, `/dingtalk…` — a 200 with errcode 45009, as a robot over its rate).

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Request {
    /// e.g. `/wecom?key=abc`
    pub path_and_query: String,
    pub body: serde_json::Value,
    /// Whether the receiver took it (false: it answered with a refusal).
    pub accepted: bool,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    refuse_next: u32,
}

/// The receiver; stops when dropped.
pub struct Receiver {
    base: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the webhook receiver")?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(state.clone(), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Receiver { base, state, task })
    }

    /// The URL of `path_and_query` (`/wecom?key=abc`) on this receiver.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    /// Refuses the next `count` requests.
    pub fn refuse_next(&self, count: u32) {
        self.state.lock().expect("receiver state").refuse_next = count;
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().expect("receiver state").requests.clone()
    }

    /// The bodies of the requests taken, oldest first.
    pub fn accepted(&self) -> Vec<serde_json::Value> {
        let requests = self.requests();
        requests
            .into_iter()
            .filter(|request| request.accepted)
            .map(|request| request.body)
            .collect()
    }

    /// Waits (up to `timeout`) until `count` requests have been taken; their bodies.
    pub async fn wait_for_accepted(
        &self,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<serde_json::Value>> {
        let started = Instant::now();
        loop {
            let accepted = self.accepted();
            if accepted.len() >= count {
                return Ok(accepted);
            }
            if started.elapsed() > timeout {
                anyhow::bail!(
                    "the webhook receiver took {} of {count} messages in {timeout:?}: {:?}",
                    accepted.len(),
                    self.requests()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    state: Arc<Mutex<State>>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_default();
    let bytes = request.into_body().collect().await?.to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    let robot = path_and_query.starts_with("/wecom") || path_and_query.starts_with("/dingtalk");
    let mut state = state.lock().expect("receiver state");
    let refuse = state.refuse_next > 0;
    state.refuse_next = state.refuse_next.saturating_sub(1);
    state.requests.push(Request {
        path_and_query,
        body,
        accepted: !refuse,
    });
    let (status, text) = match (refuse, robot) {
        (false, _) => (200, r#"{"errcode":0,"errmsg":"ok"}"#),
        (true, true) => (200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#),
        (true, false) => (500, "receiver refused the message"),
    };
    Ok(hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(text)))
        .expect("a valid response"))
}
