//! Test harness: HQ servers. `launch_hq` runs `hq_server::serve::run` in-process on an ephemeral
//! loopback port; `spawn_hq_process` runs the built `hq-server serve` binary as a child process
//! (for kill tests). Both come with real gRPC clients carrying the right credentials.

use crate::postgres::shared_cluster;
use crate::process::{binary, TempDir};
use anyhow::{bail, Context};
use branchline_proto::v1::admin_client::AdminClient;
use branchline_proto::v1::transfer_client::TransferClient;
use branchline_proto::v1::{
    AddBranchRequest, AddOrgRequest, BranchStatus, ImportBaseDataRequest, QuarantineListRequest,
    QuarantinedEntry, StatusRequest,
};
use branchline_shared::{BaseKind, BaseRecord};
use hq_server::cli::client::Authorization;
use hq_server::config::ServeConfig;
use hq_server::store::registry::branches::{self, BranchRef};
use hq_server::store::Store;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The admin credential every test HQ uses.
pub const TEST_ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub type HqAdminClient = AdminClient<InterceptedService<Channel, Authorization>>;
pub type HqTransferClient = TransferClient<InterceptedService<Channel, Authorization>>;

/// Which store a test HQ runs on.
#[derive(Debug, Clone)]
pub enum HqStoreKind {
    /// A fresh SQLite file in the HQ's temp dir.
    Sqlite,
    /// An existing database URL (`postgres://...` or `sqlite://...`), e.g. shared by replicas.
    Url(String),
}

impl HqStoreKind {
    /// A fresh database in the shared test PostgreSQL cluster; `None` (after a printed notice)
    /// when PostgreSQL is not installed and not required.
    pub async fn postgres(test: &str) -> Option<HqStoreKind> {
        let cluster = shared_cluster(test)?;
        let url = cluster.database(test).await.expect("creating a test database");
        Some(HqStoreKind::Url(url))
    }
}

/// An in-process HQ server.
pub struct HqHandle {
    url: String,
    /// "http://127.0.0.1:PORT" of the web console, when it was launched with one.
    console_url: Option<String>,
    db_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), hq_server::serve::ServeError>>>,
    _dir: TempDir,
}

/// Starts an HQ on 127.0.0.1:0 over `store`, serving until `shutdown()` (or drop).
pub async fn launch_hq(store: HqStoreKind) -> HqHandle {
    try_launch_hq(store).await.expect("launching HQ")
}

pub async fn try_launch_hq(store: HqStoreKind) -> anyhow::Result<HqHandle> {
    try_launch_hq_with(store, |_| {}).await
}

/// `launch_hq` with the config changed by `tune` first.
pub async fn launch_hq_with(store: HqStoreKind, tune: impl FnOnce(&mut ServeConfig)) -> HqHandle {
    try_launch_hq_with(store, tune).await.expect("launching HQ")
}

/// `launch_hq_with`, serving the web console too, on another ephemeral loopback port
/// ([`HqHandle::console_url`]).
pub async fn launch_hq_console(store: HqStoreKind, tune: impl FnOnce(&mut ServeConfig)) -> HqHandle {
    try_launch(store, tune, true)
        .await
        .expect("launching HQ with its console")
}

async fn try_launch_hq_with(
    store: HqStoreKind,
    tune: impl FnOnce(&mut ServeConfig),
) -> anyhow::Result<HqHandle> {
    try_launch(store, tune, false).await
}

async fn try_launch(
    store: HqStoreKind,
    tune: impl FnOnce(&mut ServeConfig),
    with_console: bool,
) -> anyhow::Result<HqHandle> {
    let dir = TempDir::new("hq")?;
    let db_url = match store {
        HqStoreKind::Sqlite => format!("sqlite://{}", dir.join("hq.db").display()),
        HqStoreKind::Url(url) => url,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding HQ")?;
    let url = format!("http://{}", listener.local_addr()?);
    let mut config = ServeConfig::new(&db_url, TEST_ADMIN_TOKEN);
    tune(&mut config);
    let console_scheme = if config.tls.is_some() { "https" } else { "http" };
    // Open (and migrate) first so that a broken store fails here, not in the first call.
    let mut hq = hq_server::serve::Hq::open(config)
        .await
        .context("opening the HQ store")?;
    let mut console_url = None;
    if with_console {
        let console = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding HQ's console")?;
        console_url = Some(format!("{console_scheme}://{}", console.local_addr()?));
        hq = hq.with_console(console);
    }
    let (shutdown, shutdown_receiver) = oneshot::channel::<()>();
    let task = tokio::spawn(hq.serve(listener, async {
        let _ = shutdown_receiver.await;
    }));
    Ok(HqHandle {
        url,
        console_url,
        db_url,
        shutdown: Some(shutdown),
        task: Some(task),
        _dir: dir,
    })
}

impl HqHandle {
    /// "http://127.0.0.1:PORT"
    pub fn url(&self) -> &str {
        &self.url
    }

    /// "http://127.0.0.1:PORT" of the web console ("https://" when `tune` gave HQ `[tls]`).
    ///
    /// # Panics
    /// When this HQ was not started by [`launch_hq_console`].
    pub fn console_url(&self) -> &str {
        self.console_url
            .as_deref()
            .expect("this HQ serves no console: start it with launch_hq_console")
    }

    pub fn admin_token(&self) -> &str {
        TEST_ADMIN_TOKEN
    }

    /// The store URL, to open a second replica or inspect the store.
    pub fn db_url(&self) -> &str {
        &self.db_url
    }

    /// Stops the server gracefully and reports how it ended.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .context("HQ task panicked")?
                .context("HQ server failed")?;
        }
        Ok(())
    }

    pub async fn admin(&self) -> HqAdminClient {
        admin_client(&self.url, TEST_ADMIN_TOKEN).await
    }

    pub async fn transfer(&self, token: &str) -> HqTransferClient {
        transfer_client(&self.url, token).await
    }

    pub async fn add_org(&self, code: &str, name: &str) -> anyhow::Result<()> {
        add_org(&self.url, code, name).await
    }

    /// Registers branch `code` under `org` with counterparts `C-<code>`, `S-<code>`, `W-<code>`
    /// (imported first, see [`counterpart_records`]); returns its transfer token.
    pub async fn add_branch(&self, code: &str, org: &str) -> anyhow::Result<String> {
        add_branch(&self.url, code, org).await
    }

    pub async fn import(&self, kind: BaseKind, records: &[BaseRecord]) -> anyhow::Result<()> {
        import(&self.url, kind, records).await
    }

    pub async fn status(&self) -> anyhow::Result<Vec<BranchStatus>> {
        status(&self.url).await
    }

    pub async fn quarantine(&self) -> anyhow::Result<Vec<QuarantinedEntry>> {
        let mut admin = self.admin().await;
        Ok(admin
            .quarantine_list(QuarantineListRequest::default())
            .await?
            .into_inner()
            .entries)
    }

    /// Opens the HQ's store directly, for pair assertions on what HQ holds.
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.db_url, 2).await?)
    }
}

impl Drop for HqHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub async fn admin_client(url: &str, token: &str) -> HqAdminClient {
    let channel = Channel::from_shared(url.to_owned())
        .expect("HQ url")
        .connect()
        .await
        .expect("connecting to HQ");
    AdminClient::with_interceptor(channel, Authorization::bearer(token).expect("token"))
        .max_decoding_message_size(256 << 20)
        .max_encoding_message_size(256 << 20)
}

pub async fn transfer_client(url: &str, token: &str) -> HqTransferClient {
    let channel = Channel::from_shared(url.to_owned())
        .expect("HQ url")
        .connect()
        .await
        .expect("connecting to HQ");
    TransferClient::with_interceptor(channel, Authorization::bearer(token).expect("token"))
        .max_decoding_message_size(256 << 20)
        .max_encoding_message_size(256 << 20)
}

pub async fn add_org(url: &str, code: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = admin_client(url, TEST_ADMIN_TOKEN).await;
    admin
        .add_org(AddOrgRequest {
            code: code.to_owned(),
            name: name.to_owned(),
        })
        .await
        .with_context(|| format!("adding organization {code}"))?;
    Ok(())
}

/// The master records a test branch's counterparts must be at HQ before `branch add`: customer
/// `C-<code>`, supplier `S-<code>` and warehouse `W-<code>` of branch `code`, one import each.
pub fn counterpart_records(code: &str) -> [(BaseKind, BaseRecord); 3] {
    let mut warehouse = BaseRecord::new(
        BaseKind::Warehouse,
        &format!("W-{code}"),
        &format!("{code} counterpart"),
    );
    warehouse.branch = code.to_owned();
    [
        (
            BaseKind::Customer,
            BaseRecord::new(BaseKind::Customer, &format!("C-{code}"), code),
        ),
        (
            BaseKind::Supplier,
            BaseRecord::new(BaseKind::Supplier, &format!("S-{code}"), code),
        ),
        (BaseKind::Warehouse, warehouse),
    ]
}

pub async fn add_branch(url: &str, code: &str, org: &str) -> anyhow::Result<String> {
    for (kind, record) in counterpart_records(code) {
        import(url, kind, &[record]).await?;
    }
    let mut admin = admin_client(url, TEST_ADMIN_TOKEN).await;
    let response = admin
        .add_branch(AddBranchRequest {
            code: code.to_owned(),
            name: format!("branch {code}"),
            org: org.to_owned(),
            customer: format!("C-{code}"),
            supplier: format!("S-{code}"),
            warehouse: format!("W-{code}"),
            mode: String::new(),
            adopt_existing: false,
        })
        .await
        .with_context(|| format!("adding branch {code}"))?;
    Ok(response.into_inner().token)
}

pub async fn import(url: &str, kind: BaseKind, records: &[BaseRecord]) -> anyhow::Result<()> {
    let mut admin = admin_client(url, TEST_ADMIN_TOKEN).await;
    admin
        .import_base_data(ImportBaseDataRequest {
            kind: kind.as_str().to_owned(),
            records: records.iter().map(Into::into).collect(),
        })
        .await
        .with_context(|| format!("importing {kind} records"))?;
    Ok(())
}

pub async fn status(url: &str) -> anyhow::Result<Vec<BranchStatus>> {
    let mut admin = admin_client(url, TEST_ADMIN_TOKEN).await;
    Ok(admin
        .status(StatusRequest::default())
        .await?
        .into_inner()
        .branches)
}

/// The branch `code` as the store knows it (for `hq_server::store` calls in assertions).
pub async fn branch_ref(store: &Store, code: &str) -> anyhow::Result<BranchRef> {
    branches::branch_by_code(store, code)
        .await?
        .with_context(|| format!("branch {code} at HQ"))
}

/// `hq-server serve` running as a child process.
pub struct HqProcess {
    /// "http://127.0.0.1:PORT"
    pub url: String,
    /// "http://127.0.0.1:PORT/metrics", when started with `--metrics-listen`.
    pub metrics_url: Option<String>,
    pub child: Child,
    _dir: TempDir,
}

/// Starts the built `hq-server serve --listen 127.0.0.1:0 --db DB_URL` with the test admin
/// token and waits for its `listening on HOST:PORT` line. Its log goes to `hq.log` in a temp dir.
pub fn spawn_hq_process(db_url: &str) -> anyhow::Result<HqProcess> {
    spawn_hq_process_with(db_url, &[], None)
}

/// `spawn_hq_process` with `extra` arguments, e.g. `--log-format json` or `--metrics-listen
/// 127.0.0.1:0` (then its address is read from the `metrics on URL` line), logging at
/// `rust_log` (default: the test's `RUST_LOG`, else warn).
pub fn spawn_hq_process_with(
    db_url: &str,
    extra: &[&str],
    rust_log: Option<&str>,
) -> anyhow::Result<HqProcess> {
    let dir = TempDir::new("hq-process")?;
    let log = std::fs::File::create(dir.join("hq.log")).context("creating hq.log")?;
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--db", db_url];
    args.extend(extra);
    let metrics = extra.contains(&"--metrics-listen");
    let mut child = Command::new(binary("hq-server"))
        .args(args)
        .env("BRANCHLINE_ADMIN_TOKEN", TEST_ADMIN_TOKEN)
        .env(
            "RUST_LOG",
            rust_log.map_or_else(
                || std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
                str::to_owned,
            ),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .context("starting hq-server serve")?;
    let stdout = child.stdout.take().context("hq-server stdout")?;
    let mut stdout = BufReader::new(stdout);
    let mut first_line = String::new();
    stdout
        .read_line(&mut first_line)
        .context("reading hq-server stdout")?;
    let Some(address) = first_line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(dir.join("hq.log")).unwrap_or_default();
        bail!("hq-server did not print `listening on`; stdout {first_line:?}, log:\n{log}");
    };
    let mut metrics_url = None;
    if metrics {
        let mut line = String::new();
        stdout.read_line(&mut line).context("reading hq-server stdout")?;
        let url = line.trim().strip_prefix("metrics on ");
        metrics_url = Some(
            url.with_context(|| format!("no `metrics on` line: {line:?}"))?
                .to_owned(),
        );
    }
    Ok(HqProcess {
        url: format!("http://{address}"),
        metrics_url,
        child,
        _dir: dir,
    })
}

impl HqProcess {
    /// Its log (stderr).
    pub fn log(&self) -> std::path::PathBuf {
        self._dir.join("hq.log")
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait: a graceful stop; returns the exit status.
    pub fn terminate(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        crate::process::send_signal(&self.child, rustix::process::Signal::TERM);
        self.child.wait().context("waiting for hq-server")
    }
}

impl Drop for HqProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
