//! Test harness for security: a throwaway PKI made with rcgen (a CA, HQ's server
//! certificate for 127.0.0.1, one client certificate per branch), and an in-process HQ started
//! from a full `ServeConfig` (TLS, mutual TLS, tight limits) with admin and transfer clients
//! that speak TLS.

use crate::hq::TEST_ADMIN_TOKEN;
use crate::process::TempDir;
use anyhow::Context;
use branchline_proto::v1::admin_client::AdminClient;
use branchline_proto::v1::transfer_client::TransferClient;
use branchline_proto::v1::{
    AddBranchRequest, AddOrgRequest, AuditEvent, AuditRequest, HelloRequest, ImportBaseDataRequest,
    StatusRequest,
};
use branchline_proto::PROTOCOL_VERSION;
use hq_server::cli::client::Authorization;
use hq_server::config::ServeConfig;
use hq_server::serve::Hq;
use hq_server::tls::TlsConfig;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

pub type SecureAdminClient = AdminClient<InterceptedService<Channel, Authorization>>;
pub type SecureTransferClient = TransferClient<InterceptedService<Channel, Authorization>>;

/// A certificate and its key, as PEM files.
#[derive(Debug, Clone)]
pub struct PemPair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A CA and the certificates it signed, written under a temp dir.
pub struct TestPki {
    pub ca: PathBuf,
    pub server: PemPair,
    issuer: Issuer<'static, KeyPair>,
    name: String,
    dir: PathBuf,
}

impl TestPki {
    /// A CA named `name` and a server certificate for 127.0.0.1 and localhost, in `dir`.
    pub fn new(dir: &Path, name: &str) -> anyhow::Result<TestPki> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} CA"));
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&ca, ca_cert.pem()).context("writing the CA")?;
        let mut pki = TestPki {
            ca,
            server: PemPair {
                cert: PathBuf::new(),
                key: PathBuf::new(),
            },
            issuer: Issuer::new(ca_params, ca_key),
            name: name.to_owned(),
            dir: dir.to_owned(),
        };
        pki.server = pki.issue("server", &["127.0.0.1", "localhost"])?;
        Ok(pki)
    }

    /// A client certificate for branch `code` (subjectAltName DNS:code, CN=code).
    pub fn branch(&self, code: &str) -> anyhow::Result<PemPair> {
        self.issue(&format!("branch-{code}"), &[code])
    }

    /// A client certificate that names branch `code` only as its subject CN (no subjectAltName).
    pub fn branch_by_common_name(&self, code: &str) -> anyhow::Result<PemPair> {
        self.issue_named(&format!("branch-cn-{code}"), &[], code)
    }

    /// A certificate whose subjectAltName names `san` and whose subject CN is `common_name`.
    pub fn branch_with_san_and_cn(&self, san: &str, common_name: &str) -> anyhow::Result<PemPair> {
        self.issue_named(&format!("branch-san-{san}-cn-{common_name}"), &[san], common_name)
    }

    fn issue(&self, file_stem: &str, names: &[&str]) -> anyhow::Result<PemPair> {
        self.issue_named(file_stem, names, names[0])
    }

    /// A certificate with subjectAltName DNS/IP `names` and subject CN `common_name`.
    fn issue_named(&self, file_stem: &str, names: &[&str], common_name: &str) -> anyhow::Result<PemPair> {
        let key = KeyPair::generate()?;
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name.push(DnType::CommonName, common_name);
        let cert = params.signed_by(&key, &self.issuer)?;
        let pair = PemPair {
            cert: self.dir.join(format!("{}-{file_stem}.pem", self.name)),
            key: self.dir.join(format!("{}-{file_stem}-key.pem", self.name)),
        };
        std::fs::write(&pair.cert, cert.pem())?;
        std::fs::write(&pair.key, key.serialize_pem())?;
        Ok(pair)
    }

    /// `[tls]` for HQ: its certificate, and this CA as the client CA when `mutual`.
    pub fn serve_tls(&self, mutual: bool) -> TlsConfig {
        TlsConfig {
            cert: self.server.cert.clone(),
            key: self.server.key.clone(),
            client_ca: mutual.then(|| self.ca.clone()),
        }
    }
}

/// An in-process HQ started from a full config.
pub struct ConfiguredHq {
    /// "https://127.0.0.1:PORT" with TLS, else "http://127.0.0.1:PORT".
    pub url: String,
    pub db_url: String,
    config: ServeConfig,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), hq_server::serve::ServeError>>>,
    pub dir: TempDir,
}

/// Starts HQ on 127.0.0.1:0 over a fresh SQLite file, with `configure` applied to the default
/// test config (admin token, db) — e.g. to set `tls` or tighten `limits`.
pub async fn launch_configured_hq(configure: impl FnOnce(&mut ServeConfig)) -> anyhow::Result<ConfiguredHq> {
    let dir = TempDir::new("hq-secure")?;
    let db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let mut config = ServeConfig::new(&db_url, TEST_ADMIN_TOKEN);
    configure(&mut config);
    start_configured_hq(dir, config).await
}

async fn start_configured_hq(dir: TempDir, config: ServeConfig) -> anyhow::Result<ConfiguredHq> {
    let db_url = config.db.clone();
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("{scheme}://{}", listener.local_addr()?);
    let hq = Hq::open(config.clone()).await.context("opening HQ")?;
    let (shutdown, shutdown_receiver) = oneshot::channel::<()>();
    let task = tokio::spawn(hq.serve(listener, async {
        let _ = shutdown_receiver.await;
    }));
    Ok(ConfiguredHq {
        url,
        db_url,
        config,
        shutdown: Some(shutdown),
        task: Some(task),
        dir,
    })
}

impl ConfiguredHq {
    /// A second HQ replica with the same config, over the same store, on its own port.
    pub async fn replica(&self) -> anyhow::Result<ConfiguredHq> {
        start_configured_hq(TempDir::new("hq-secure-replica")?, self.config.clone()).await
    }

    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop().await
    }

    async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.context("HQ task panicked")??;
        }
        Ok(())
    }

    /// Stops HQ gracefully and starts it again over the same store and config, on a new port.
    pub async fn restart(mut self) -> anyhow::Result<ConfiguredHq> {
        self.stop().await?;
        let dir = std::mem::replace(&mut self.dir, TempDir::new("hq-secure-spent")?);
        start_configured_hq(dir, self.config.clone()).await
    }
}

impl Drop for ConfiguredHq {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// How a test client reaches HQ: which CA it trusts and which certificate it presents.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    pub ca: Option<PathBuf>,
    pub identity: Option<PemPair>,
}

/// A channel to `url`, with TLS when `tls.ca` is set.
pub async fn secure_channel(url: &str, tls: &ClientTls) -> anyhow::Result<Channel> {
    let mut endpoint = Channel::from_shared(url.to_owned())?;
    if let Some(ca) = &tls.ca {
        let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(std::fs::read(ca)?));
        if let Some(identity) = &tls.identity {
            config = config.identity(Identity::from_pem(
                std::fs::read(&identity.cert)?,
                std::fs::read(&identity.key)?,
            ));
        }
        endpoint = endpoint.tls_config(config)?;
    }
    Ok(endpoint.connect().await?)
}

pub async fn secure_admin(url: &str, tls: &ClientTls) -> anyhow::Result<SecureAdminClient> {
    let channel = secure_channel(url, tls).await?;
    Ok(AdminClient::with_interceptor(
        channel,
        Authorization::bearer(TEST_ADMIN_TOKEN)?,
    ))
}

pub async fn secure_transfer(
    url: &str,
    tls: &ClientTls,
    token: &str,
) -> anyhow::Result<SecureTransferClient> {
    let channel = secure_channel(url, tls).await?;
    Ok(
        TransferClient::with_interceptor(channel, Authorization::bearer(token)?)
            .max_encoding_message_size(256 << 20)
            .max_decoding_message_size(256 << 20),
    )
}

impl ClientTls {
    /// Trusts `ca`, presents no client certificate.
    pub fn trusting(ca: &Path) -> ClientTls {
        ClientTls {
            ca: Some(ca.to_owned()),
            identity: None,
        }
    }

    /// Trusts `ca` and presents `identity`.
    pub fn presenting(ca: &Path, identity: PemPair) -> ClientTls {
        ClientTls {
            ca: Some(ca.to_owned()),
            identity: Some(identity),
        }
    }
}

/// HQ's last applied seq for branch `code`, from the admin status call.
pub async fn branch_last_seq(admin: &mut SecureAdminClient, code: &str) -> anyhow::Result<u64> {
    let branches = admin
        .status(StatusRequest::default())
        .await?
        .into_inner()
        .branches;
    let branch = branches
        .iter()
        .find(|branch| branch.branch == code)
        .with_context(|| format!("branch {code} in HQ's status"))?;
    Ok(branch.last_seq)
}

/// Every audit event HQ lists, oldest first.
pub async fn audit_events(admin: &mut SecureAdminClient) -> anyhow::Result<Vec<AuditEvent>> {
    Ok(admin.audit(AuditRequest::default()).await?.into_inner().events)
}

/// Org 001 > 001.<suffix> and branch `code` under it; returns the branch token.
pub async fn register_branch(
    admin: &mut SecureAdminClient,
    code: &str,
    suffix: &str,
) -> anyhow::Result<String> {
    // The root may already exist from another branch's registration.
    let _ = admin
        .add_org(AddOrgRequest {
            code: "001".into(),
            name: "group".into(),
        })
        .await;
    let org = format!("001.{suffix}");
    admin
        .add_org(AddOrgRequest {
            code: org.clone(),
            name: format!("org of {code}"),
        })
        .await
        .context("org add")?;
    for (kind, record) in crate::hq::counterpart_records(code) {
        let request = ImportBaseDataRequest {
            kind: kind.as_str().to_owned(),
            records: vec![(&record).into()],
        };
        admin
            .import_base_data(request)
            .await
            .context("counterpart import")?;
    }
    let response = admin
        .add_branch(AddBranchRequest {
            code: code.into(),
            name: format!("branch {code}"),
            org,
            customer: format!("C-{code}"),
            supplier: format!("S-{code}"),
            warehouse: format!("W-{code}"),
            mode: String::new(),
            adopt_existing: false,
        })
        .await
        .context("branch add")?;
    Ok(response.into_inner().token)
}

/// A hello from `branch`'s ledger at this build's protocol version, epoch 1.
pub fn hello_request(branch: &str) -> HelloRequest {
    HelloRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        branch: branch.to_owned(),
        ..HelloRequest::default()
    }
}
