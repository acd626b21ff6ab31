//! Sends one alert message to its webhook: the body in the rule's format (Branchline's JSON, a
//! 企业微信 or 钉钉 robot's markdown), a DingTalk signature when the rule has a secret, and the
//! answer checked (a 2xx, and a robot's `errcode` 0).

use super::event::Event;
use super::rule::{Format, Webhook};
use base64::Engine;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use std::time::Duration;

/// How long one attempt may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer read (robots answer a line of JSON).
const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// Why a webhook could not be set up, or an attempt failed (the message retries).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(
        "no trusted root certificates on this machine for https webhooks: {0} (install ca-certificates)"
    )]
    NoRoots(std::io::Error),
    #[error("webhook URL: {0}")]
    Url(String),
    #[error("{0}")]
    Send(String),
    #[error("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())]
    Timeout,
    #[error("answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the robot refused the message: errcode {code}: {message}")]
    Robot { code: i64, message: String },
}

/// Sends messages over plain HTTP and HTTPS; one per server, its connections reused.
#[derive(Clone)]
pub struct Sender {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Sender {
    pub fn new() -> Result<Sender, WebhookError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(tokio_rustls::rustls::crypto::ring::default_provider())
            .map_err(WebhookError::NoRoots)?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Sender {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// Posts `event` to `webhook`; `Ok` once the receiver has taken it.
    pub async fn send(&self, webhook: &Webhook, event: &Event) -> Result<(), WebhookError> {
        let url = signed_url(webhook, chrono::Utc::now().timestamp_millis());
        let body = serde_json::to_vec(&body(webhook.format, event)).unwrap_or_default();
        let request = hyper::Request::post(url.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| WebhookError::Url(error.to_string()))?;
        let attempt = async {
            let answer = self
                .client
                .request(request)
                .await
                .map_err(|error| WebhookError::Send(chain(&error)))?;
            let status = answer.status();
            let bytes = Limited::new(answer.into_body(), ANSWER_BYTES_MAX)
                .collect()
                .await
                .map_err(|error| WebhookError::Send(format!("reading the answer: {error}")))?
                .to_bytes();
            Ok::<_, WebhookError>((status, bytes))
        };
        let (status, answer) = tokio::time::timeout(ATTEMPT_TIMEOUT, attempt)
            .await
            .map_err(|_| WebhookError::Timeout)??;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&answer).chars().take(200).collect();
            return Err(WebhookError::Status {
                status: status.as_u16(),
                body,
            });
        }
        robot_verdict(webhook.format, &answer)
    }
}

/// An error with its sources, as one line (hyper's own says only "client error (Connect)").
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A robot answers 200 with `{"errcode":0,"errmsg":"ok"}` when it took the message, and 200
/// with another code when it did not (a wrong key, a keyword missing, too many messages).
fn robot_verdict(format: Format, answer: &[u8]) -> Result<(), WebhookError> {
    if format == Format::Json {
        return Ok(());
    }
    let answer: serde_json::Value = serde_json::from_slice(answer).unwrap_or_default();
    match answer["errcode"].as_i64() {
        Some(0) => Ok(()),
        code => Err(WebhookError::Robot {
            code: code.unwrap_or(-1),
            message: answer["errmsg"]
                .as_str()
                .unwrap_or("no errcode in the answer")
                .to_owned(),
        }),
    }
}

/// The webhook's URL, with DingTalk's `timestamp` and `sign` when the rule has a secret:
/// base64 of HMAC-SHA256 over "TIMESTAMP\nSECRET" keyed with the secret.
fn signed_url(webhook: &Webhook, timestamp_ms: i64) -> String {
    let url = &webhook.url.0;
    let Some(secret) = &webhook.secret else {
        return url.clone();
    };
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.0.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp_ms}\n{}", secret.0).as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let query = serde_urlencoded::to_string([("timestamp", timestamp_ms.to_string()), ("sign", sign)])
        .unwrap_or_default();
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}{query}")
}

/// The body a webhook of `format` receives.
pub fn body(format: Format, event: &Event) -> serde_json::Value {
    let lines = [
        format!("规则 {}：{}", event.alert, event.summary),
        format!("开始于 {}", event.started_at),
    ]
    .into_iter()
    .chain(event.cleared_at.iter().map(|at| format!("恢复于 {at}")));
    match format {
        Format::Json => serde_json::to_value(event).unwrap_or_default(),
        Format::Wecom => {
            let quoted: Vec<String> = lines.map(|line| format!("> {line}")).collect();
            let content = format!("### {}\n{}", event.heading(), quoted.join("\n"));
            json!({ "msgtype": "markdown", "markdown": { "content": content } })
        }
        Format::Dingtalk => {
            let text = format!(
                "### {}\n\n{}",
                event.heading(),
                lines.collect::<Vec<_>>().join("\n\n")
            );
            json!({ "msgtype": "markdown", "markdown": { "title": event.heading(), "text": text } })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn event() -> Event {
        Event {
            alert: "gz-silent".into(),
            state: "firing".into(),
            condition: "silent".into(),
            branch: "GZ".into(),
            branch_name: "广州分公司".into(),
            org: "001.003".into(),
            value: 720,
            threshold: 600,
            started_at: "2026-12-03T10:00:00Z".into(),
            cleared_at: None,
            summary: "已 12 分钟未与总部联系（超过 10 分钟即告警）".into(),
            summary_en: "silent for 12m (alert after 10m)".into(),
        }
    }

    #[test]
    fn each_format_has_its_robot_shape() {
        let wecom = body(Format::Wecom, &event());
        assert_eq!(wecom["msgtype"], "markdown");
        let content = wecom["markdown"]["content"].as_str().unwrap();
        assert!(
            content.starts_with("### 【告警】广州分公司（GZ，001.003）\n> 规则 gz-silent：已 12 分钟"),
            "{content}"
        );
        let dingtalk = body(Format::Dingtalk, &event());
        assert_eq!(dingtalk["markdown"]["title"], "【告警】广州分公司（GZ，001.003）");
        assert!(dingtalk["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("\n\n开始于 2026-12-03T10:00:00Z"));
        let plain = body(Format::Json, &event());
        assert_eq!(
            (plain["state"].as_str(), plain["value"].as_u64()),
            (Some("firing"), Some(720))
        );
    }

    #[test]
    fn a_dingtalk_secret_signs_the_url() {
        let webhook = Webhook {
            url: Secret("https://oapi.dingtalk.com/robot/send?access_token=t".into()),
            format: Format::Dingtalk,
            secret: Some(Secret("SEC000".into())),
        };
        let url = signed_url(&webhook, 1_700_000_000_000);
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"SEC000").unwrap();
        mac.update(b"1700000000000\nSEC000");
        let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let expected = serde_urlencoded::to_string([("sign", sign)]).unwrap();
        assert!(
            url.starts_with("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&"),
            "{url}"
        );
        assert!(url.ends_with(&expected), "{url}");
    }

    #[test]
    fn a_robot_answer_other_than_errcode_0_is_a_failure() {
        assert!(robot_verdict(Format::Wecom, br#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let refused = robot_verdict(
            Format::Dingtalk,
            br#"{"errcode":310000,"errmsg":"keywords not in content"}"#,
        );
        assert_eq!(
            refused.unwrap_err().to_string(),
            "the robot refused the message: errcode 310000: keywords not in content"
        );
        assert!(robot_verdict(Format::Wecom, b"<html>").is_err());
        assert!(robot_verdict(Format::Json, b"<html>").is_ok());
    }
}
