//! The one place the agent builds its gRPC channel to HQ (plain, TLS, or mutual TLS with the
//! branch's client certificate) and turns HQ's answers into one-line errors. The branch token travels as `authorization: Bearer …`
//! metadata and never appears in a log line or an error.

use crate::config::limits::Limits;
use crate::config::target::{HqTarget, TlsFiles};
use branchline_proto::v1::transfer_client::TransferClient;
use std::time::Duration;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("HQ address {url:?} is not usable: {reason}")]
    BadAddress { url: String, reason: String },
    #[error("the token contains characters that cannot travel in a header")]
    BadToken,
    #[error("cannot read TLS file {path}: {reason}")]
    TlsFile { path: String, reason: String },
    #[error("HQ at {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("HQ refused the branch credential ({call}): {message}")]
    Unauthenticated { call: &'static str, message: String },
    #[error("HQ denied {call}: {message}")]
    PermissionDenied { call: &'static str, message: String },
    #[error("HQ refused {call} ({code:?}): {message}")]
    Refused {
        call: &'static str,
        code: tonic::Code,
        message: String,
    },
    #[error("HQ did not answer {call} within {timeout_ms} ms")]
    Timeout { call: &'static str, timeout_ms: u64 },
}

impl ClientError {
    /// Whether retrying later may help (HQ down or overloaded) rather than an operator fixing
    /// something. The scheduler backs off either way; this only changes the log level.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ClientError::Unreachable { .. } | ClientError::Timeout { .. }
        )
    }
}

/// Adds the bearer token to every call.
#[derive(Clone)]
pub struct BearerToken {
    header: MetadataValue<Ascii>,
}

impl tonic::service::Interceptor for BearerToken {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.header.clone());
        Ok(request)
    }
}

pub type HqClient = TransferClient<InterceptedService<Channel, BearerToken>>;

/// A connected (lazily: the first call dials) client for HQ's transfer service.
#[derive(Clone)]
pub struct Hq {
    pub client: HqClient,
    pub url: String,
    pub reply_timeout: Duration,
}

/// Builds the channel to HQ. Dialing happens on the first call, so an HQ outage surfaces as
/// [`ClientError::Unreachable`] from that call rather than here.
pub fn connect(target: &HqTarget, limits: &Limits) -> Result<Hq, ClientError> {
    let bad_address = |reason: String| ClientError::BadAddress {
        url: target.url.clone(),
        reason,
    };
    let mut endpoint =
        Endpoint::from_shared(target.url.clone()).map_err(|error| bad_address(error.to_string()))?;
    if target.url.starts_with("https://") {
        endpoint = endpoint
            .tls_config(client_tls_config(&target.tls)?)
            .map_err(|error| bad_address(error.to_string()))?;
    }
    let endpoint = endpoint
        .connect_timeout(Duration::from_millis(limits.connect_timeout_ms))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
    let channel = endpoint.connect_lazy();
    let header: MetadataValue<Ascii> = format!("Bearer {}", target.token)
        .parse()
        .map_err(|_| ClientError::BadToken)?;
    let client = TransferClient::with_interceptor(channel, BearerToken { header })
        .max_decoding_message_size(limits.message_bytes_max)
        .max_encoding_message_size(limits.message_bytes_max);
    Ok(Hq {
        client,
        url: target.url.clone(),
        reply_timeout: Duration::from_millis(limits.reply_timeout_ms),
    })
}

/// Trusts `ca` (when given) and presents the branch's certificate (when given).
fn client_tls_config(tls: &TlsFiles) -> Result<ClientTlsConfig, ClientError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|error| ClientError::TlsFile {
            path: path.display().to_string(),
            reason: error.to_string(),
        })
    };
    let mut config = ClientTlsConfig::new();
    if let Some(ca) = &tls.ca {
        config = config.ca_certificate(Certificate::from_pem(read(ca)?));
    }
    if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
        config = config.identity(Identity::from_pem(read(cert)?, read(key)?));
    }
    Ok(config)
}

impl Hq {
    /// Maps a status from HQ for `call` to a one-line error.
    pub fn status_error(&self, call: &'static str, status: tonic::Status) -> ClientError {
        let message = one_line(status.message());
        match status.code() {
            tonic::Code::Unavailable | tonic::Code::Unknown if is_transport_failure(&status) => {
                ClientError::Unreachable {
                    url: self.url.clone(),
                    reason: transport_reason(&status),
                }
            }
            tonic::Code::Unavailable => ClientError::Unreachable {
                url: self.url.clone(),
                reason: message,
            },
            tonic::Code::Unauthenticated => ClientError::Unauthenticated { call, message },
            tonic::Code::PermissionDenied => ClientError::PermissionDenied { call, message },
            tonic::Code::DeadlineExceeded => ClientError::Timeout {
                call,
                timeout_ms: self.reply_timeout.as_millis() as u64,
            },
            code => ClientError::Refused { call, code, message },
        }
    }

    /// Runs one unary call with the reply timeout and maps its failure.
    pub async fn unary<T>(
        &self,
        call: &'static str,
        future: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(self.reply_timeout, future).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(self.status_error(call, status)),
            Err(_) => Err(ClientError::Timeout {
                call,
                timeout_ms: self.reply_timeout.as_millis() as u64,
            }),
        }
    }
}

fn is_transport_failure(status: &tonic::Status) -> bool {
    std::error::Error::source(status).is_some()
}

/// The innermost cause of a transport failure ("Connection refused (os error 111)").
fn transport_reason(status: &tonic::Status) -> String {
    let mut cause: &dyn std::error::Error = status;
    while let Some(source) = cause.source() {
        cause = source;
    }
    one_line(&cause.to_string())
}

fn one_line(text: &str) -> String {
    let line = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        "no reason given".to_owned()
    } else {
        line
    }
}
