//! The gRPC client plumbing the `admin`, `report`, `login` and `whoami` commands share: the
//! channel to HQ (plain, or TLS trusting a given CA), the bearer-token interceptor, the admin,
//! account and report clients, and how a refused call is printed.

use super::credentials::Target;
use anyhow::{bail, Context};
use branchline_proto::v1::account_client::AccountClient;
use branchline_proto::v1::admin_client::AdminClient;
use branchline_proto::v1::commission_client::CommissionClient;
use branchline_proto::v1::report_client::ReportClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Largest message the admin client sends or accepts (a bundle file).
const CLIENT_MESSAGE_BYTES_MAX: usize = 256 * 1024 * 1024;

pub(super) type Client = AdminClient<InterceptedService<Channel, Authorization>>;
pub(super) type Account = AccountClient<InterceptedService<Channel, Authorization>>;
pub(super) type Reports = ReportClient<InterceptedService<Channel, Authorization>>;
pub(super) type Commissions = CommissionClient<InterceptedService<Channel, Authorization>>;

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Authorization(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl Authorization {
    pub fn bearer(token: &str) -> anyhow::Result<Authorization> {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| anyhow::anyhow!("the token contains characters not allowed in a header"))?;
        Ok(Authorization(value))
    }
}

impl tonic::service::Interceptor for Authorization {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A connected channel to `hq`: plain for http://, TLS for https:// (trusting `ca` when given).
pub async fn channel(hq: &str, ca: Option<&std::path::Path>) -> anyhow::Result<Channel> {
    let mut endpoint =
        Channel::from_shared(hq.to_owned()).with_context(|| format!("invalid HQ address {hq:?}"))?;
    if hq.starts_with("https://") {
        let mut tls = tonic::transport::ClientTlsConfig::new();
        if let Some(ca) = ca {
            let pem =
                std::fs::read(ca).with_context(|| format!("cannot read CA certificate {}", ca.display()))?;
            tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
        }
        endpoint = endpoint.tls_config(tls).context("TLS configuration")?;
    } else if ca.is_some() {
        bail!("--ca needs an https:// HQ address, not {hq:?}");
    }
    endpoint.connect().await.map_err(|error| {
        let mut cause: &dyn std::error::Error = &error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        anyhow::anyhow!("cannot reach HQ at {hq}: {cause}")
    })
}

/// An admin client for `hq` with `token`.
pub async fn connect(hq: &str, token: &str, ca: Option<&std::path::Path>) -> anyhow::Result<Client> {
    let channel = channel(hq, ca).await?;
    Ok(
        AdminClient::with_interceptor(channel, Authorization::bearer(token)?)
            .max_decoding_message_size(CLIENT_MESSAGE_BYTES_MAX)
            .max_encoding_message_size(CLIENT_MESSAGE_BYTES_MAX),
    )
}

/// An admin client for `target`.
pub(super) async fn admin_client(target: &Target) -> anyhow::Result<Client> {
    connect(&target.hq, &target.token, target.ca.as_deref()).await
}

/// An account client for `target`.
pub(super) async fn account_client(target: &Target) -> anyhow::Result<Account> {
    let channel = channel(&target.hq, target.ca.as_deref()).await?;
    Ok(AccountClient::with_interceptor(
        channel,
        Authorization::bearer(&target.token)?,
    ))
}

/// An account client for `hq` with no credential, for Login.
pub(super) async fn anonymous_account_client(
    hq: &str,
    ca: Option<&std::path::Path>,
) -> anyhow::Result<AccountClient<Channel>> {
    Ok(AccountClient::new(channel(hq, ca).await?))
}

/// A report client for `target`.
pub(super) async fn report_client(target: &Target) -> anyhow::Result<Reports> {
    let channel = channel(&target.hq, target.ca.as_deref()).await?;
    Ok(
        ReportClient::with_interceptor(channel, Authorization::bearer(&target.token)?)
            .max_decoding_message_size(CLIENT_MESSAGE_BYTES_MAX),
    )
}

/// A commission client for `target`.
pub(super) async fn commission_client(target: &Target) -> anyhow::Result<Commissions> {
    let channel = channel(&target.hq, target.ca.as_deref()).await?;
    Ok(CommissionClient::with_interceptor(
        channel,
        Authorization::bearer(&target.token)?,
    ))
}

/// A refused call as one line: the status message, which names what is wrong.
pub(super) fn refused(status: tonic::Status) -> anyhow::Error {
    match (status.code(), status.message()) {
        (tonic::Code::Unimplemented, "") => {
            anyhow::anyhow!("HQ does not serve this call: is it an older hq-server? (Unimplemented)")
        }
        (code, "") => anyhow::anyhow!("HQ refused the call ({code:?})"),
        (code, message) => anyhow::anyhow!("{message} ({code:?})"),
    }
}
