//! `hq-server serve`: the gRPC server — transfer and admin services, the standard health
//! service and server reflection — over one store, until the shutdown future completes; over
//! TLS (rustls) when `[tls]` is configured, with mutual TLS when it names a `client_ca`.

use crate::alert::rule::check_rules;
use crate::alert::webhook::WebhookError;
use crate::alert::Alerting;
use crate::config::{ConfigError, Limits, ServeConfig};
use crate::console::api::Api;
use crate::console::listen::{tls_acceptor, ConsoleTlsError};
use crate::console::state::Console;
use crate::health::HealthThresholds;
use crate::tls::{TlsConfig, TlsPem};

use crate::service::account::AccountService;
use crate::service::admin::AdminService;
use crate::service::commission::CommissionService;
use crate::service::credential_gate::layer::CredentialGateLayer;
use crate::service::credential_gate::CredentialGate;
use crate::service::refusal_audit::{flush_refusals_until, RefusalAuditLayer, RefusalLog};
use crate::service::report::ReportService;
use crate::service::transfer::TransferService;
use crate::store::db::standby::{Standby, StandbyError};
use crate::store::report::report_db::ReportDb;
use crate::store::{Store, StoreError};
use branchline_proto::v1::account_server::AccountServer;
use branchline_proto::v1::admin_server::AdminServer;
use branchline_proto::v1::commission_server::CommissionServer;
use branchline_proto::v1::report_server::ReportServer;
use branchline_proto::v1::transfer_server::TransferServer;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    ReportDb(#[from] StandbyError),
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error(transparent)]
    ConsoleTls(#[from] ConsoleTlsError),
    #[error("alerts: {0}")]
    Alerts(#[from] WebhookError),
}

/// An HQ node whose store is open and migrated, ready to serve.
pub struct Hq {
    config: ServeConfig,
    tls: Option<TlsPem>,
    store: Store,
    /// Where reports are read: the store, or the standby of `report_db`.
    reports: ReportDb,
    console: Option<TcpListener>,
    metrics: Option<TcpListener>,
}

impl Hq {
    /// Validates `config`, opens (and migrates) the store and, with `report_db`, opens its
    /// standby for reports and checks it.
    pub async fn open(config: ServeConfig) -> Result<Hq, ServeError> {
        config.validate()?;
        let tls = config
            .tls
            .as_ref()
            .map(TlsConfig::read)
            .transpose()
            .map_err(ConfigError::from)?;
        let store = Store::open(&config.db, config.limits.db_max_connections)
            .await?
            .with_rollup_fold_batches(config.limits.rollup_fold_batches);
        let reports = match &config.report_db {
            None => ReportDb::Store(store.clone()),
            Some(url) => match Standby::open(&store, url, config.limits.db_max_connections).await {
                Ok(standby) => ReportDb::Standby {
                    standby,
                    store: store.clone(),
                },
                Err(error) => {
                    store.close().await;
                    return Err(error.into());
                }
            },
        };
        Ok(Hq {
            config,
            tls,
            store,
            reports,
            console: None,
            metrics: None,
        })
    }

    /// Serves the web console on `listener` too (over TLS when HQ has `[tls]`).
    pub fn with_console(mut self, listener: TcpListener) -> Hq {
        self.console = Some(listener);
        self
    }

    /// Serves `/metrics` on `listener` too (plain HTTP).
    pub fn with_metrics(mut self, listener: TcpListener) -> Hq {
        self.metrics = Some(listener);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight calls finish.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Hq {
            config,
            tls,
            store,
            reports,
            console,
            metrics,
        } = self;
        let mutual_tls = tls.as_ref().is_some_and(|tls| tls.client_ca.is_some());
        let limits = config.limits.clone();
        let admin_token = config.admin_token.as_ref().map_or("", |token| token.0.as_str());

        let refusals = RefusalLog::new(
            store.clone(),
            std::time::Duration::from_secs(limits.audit_refusal_window_seconds),
        );
        let alerting = alerting(&config, &store)?;
        let background = Background::spawn(&store, &limits, &refusals, alerting);
        let services = BranchlineServices::new(
            (&store, &reports),
            &limits,
            config.health,
            admin_token,
            mutual_tls,
            &refusals,
        );
        let stopped = fan_out(shutdown);
        let metrics = metrics.map(|listener| {
            let stopped = until_stopped(stopped.clone());
            tokio::spawn(crate::metrics::http::serve(listener, store.clone(), stopped))
        });
        let console = match console {
            Some(listener) => Some(spawn_console(
                listener,
                tls.as_ref(),
                &services,
                &refusals,
                &limits,
                stopped.clone(),
            )?),
            None => None,
        };
        let (health, reflection_v1, reflection_v1alpha) = standard_services().await?;

        if let Ok(address) = listener.local_addr() {
            tracing::info!(%address, "serving");
        }
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(server_tls_config(tls))?;
        }
        let served = builder
            .concurrency_limit_per_connection(limits.max_concurrent_requests)
            .max_concurrent_streams(limits.max_concurrent_streams)
            // Outermost first: the refusal layer sees every answer, the gate's refusals too.
            .layer(RefusalAuditLayer::new(refusals))
            .layer(CredentialGateLayer::new(services.gate))
            .initial_stream_window_size(limits.stream_window_bytes)
            .initial_connection_window_size(limits.connection_window_bytes)
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(services.transfer)
            .add_service(services.admin)
            .add_service(services.report)
            .add_service(services.account)
            .add_service(services.commission)
            // Without TCP_NODELAY a reply's last segment waits for the client's delayed ACK:
            // every small call took 40 ms more over loopback.
            .serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                until_stopped(stopped),
            )
            .await;
        joined(console, "the console").await;
        joined(metrics, "the metrics endpoint").await;
        background.stop().await;
        served?;
        reports.close().await;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Waits for the task serving `what`, if it runs, once the server has stopped.
async fn joined(task: Option<tokio::task::JoinHandle<()>>, what: &str) {
    if let Some(task) = task {
        if let Err(error) = task.await {
            tracing::error!(%error, "{what} failed");
        }
    }
}

/// The standard gRPC health service (every Branchline service serving) and server reflection.
async fn standard_services() -> Result<
    (
        tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    ServeError,
> {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<TransferServer<TransferService>>()
        .await;
    health_reporter.set_serving::<AdminServer<AdminService>>().await;
    health_reporter.set_serving::<ReportServer<ReportService>>().await;
    health_reporter
        .set_serving::<CommissionServer<CommissionService>>()
        .await;
    health_reporter
        .set_serving::<AccountServer<AccountService>>()
        .await;

    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(branchline_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    Ok((health, reflection_v1, reflection_v1alpha))
}

/// `shutdown` as a signal several servers can wait for ([`until_stopped`]).
fn fan_out(shutdown: impl Future<Output = ()> + Send + 'static) -> tokio::sync::watch::Receiver<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    stopped
}

/// Completes once [`fan_out`]'s shutdown has.
async fn until_stopped(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stopped| *stopped).await;
}

/// Starts the web console on `listener` (over TLS when HQ has it) until `stopped`.
fn spawn_console(
    listener: TcpListener,
    tls: Option<&TlsPem>,
    services: &BranchlineServices,
    refusals: &RefusalLog,
    limits: &Limits,
    stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, ServeError> {
    let acceptor = tls.map(tls_acceptor).transpose()?;
    let console = Console::new(services.console_api(refusals, limits), limits, acceptor.is_some());
    Ok(tokio::spawn(crate::console::app::serve(
        console,
        listener,
        acceptor,
        until_stopped(stopped),
    )))
}

/// The alert rules of `config` over `store`; `None` without any.
fn alerting(config: &ServeConfig, store: &Store) -> Result<Option<Alerting>, ServeError> {
    let rules = check_rules(&config.alert_rules, &config.alerts).map_err(ConfigError::from)?;
    if rules.is_empty() {
        return Ok(None);
    }
    Ok(Some(Alerting::new(store.clone(), rules, config.alerts.clone())?))
}

/// The tasks a server runs beside its services: the refusal flusher, the idle roll-up folder
/// and, with rules, the alert checks.
struct Background {
    stop_flusher: tokio::sync::oneshot::Sender<()>,
    flusher: tokio::task::JoinHandle<()>,
    stop_folder: tokio::sync::oneshot::Sender<()>,
    folder: tokio::task::JoinHandle<()>,
    alerts: Option<(tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>)>,
}

impl Background {
    fn spawn(
        store: &Store,
        limits: &Limits,
        refusals: &RefusalLog,
        alerting: Option<Alerting>,
    ) -> Background {
        let (stop_flusher, flusher_stopped) = tokio::sync::oneshot::channel::<()>();
        let flusher = tokio::spawn(flush_refusals_until(refusals.clone(), async {
            let _ = flusher_stopped.await;
        }));

        let (stop_folder, folder_stopped) = tokio::sync::oneshot::channel::<()>();
        let idle = std::time::Duration::from_secs(limits.rollup_idle_fold_seconds);
        let folder = tokio::spawn(crate::store::rollup::fold::fold_when_idle(
            store.clone(),
            idle,
            async {
                let _ = folder_stopped.await;
            },
        ));
        let alerts = alerting.map(|alerting| {
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(alerting.run_until(async {
                let _ = stopped.await;
            }));
            (stop, task)
        });
        Background {
            stop_flusher,
            flusher,
            stop_folder,
            folder,
            alerts,
        }
    }

    /// Stops both once the server has stopped: the refusals still counted in open windows
    /// reach the audit log before the store closes.
    async fn stop(self) {
        let _ = self.stop_flusher.send(());
        if let Err(error) = self.flusher.await {
            tracing::error!(%error, "the audit flusher failed");
        }
        let _ = self.stop_folder.send(());
        if let Err(error) = self.folder.await {
            tracing::error!(%error, "the idle roll-up folder failed");
        }
        if let Some((stop, task)) = self.alerts {
            let _ = stop.send(());
            if let Err(error) = task.await {
                tracing::error!(%error, "the alert checks failed");
            }
        }
    }
}

/// The five Branchline services over one store, and the credential gate in front of them.
struct BranchlineServices {
    gate: Arc<CredentialGate>,
    transfer: TransferServer<TransferService>,
    admin: AdminServer<AdminService>,
    report: ReportServer<ReportService>,
    account: AccountServer<AccountService>,
    commission: CommissionServer<CommissionService>,
}

impl BranchlineServices {
    /// The console's way into the admin, report, account and commission services, behind this
    /// gate.
    fn console_api(&self, refusals: &RefusalLog, limits: &Limits) -> Api {
        Api::new(
            Arc::clone(&self.gate),
            refusals.clone(),
            (
                self.admin.clone(),
                self.report.clone(),
                self.account.clone(),
                self.commission.clone(),
            ),
            limits.max_message_bytes,
        )
    }

    fn new(
        (store, reports): (&Store, &ReportDb),
        limits: &Limits,
        health: HealthThresholds,
        admin_token: &str,
        mutual_tls: bool,
        refusals: &RefusalLog,
    ) -> BranchlineServices {
        let gate = Arc::new(CredentialGate::new(
            store.clone(),
            limits,
            admin_token,
            mutual_tls,
            refusals.clone(),
        ));
        let transfer = TransferServer::new(
            TransferService::new(store.clone(), limits.clone(), Arc::clone(&gate))
                .with_refusal_log(refusals.clone()),
        )
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
        let admin = AdminServer::new(
            AdminService::new(store.clone(), limits.clone(), health).with_refusal_log(refusals.clone()),
        )
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
        let report = ReportServer::new(
            ReportService::new(store.clone(), limits.clone())
                .with_report_db(reports.clone())
                .with_refusal_log(refusals.clone()),
        )
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
        let account = AccountServer::new(AccountService::new(
            store.clone(),
            limits.clone(),
            refusals.clone(),
        ))
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
        let commission = CommissionServer::new(CommissionService::new(store.clone(), refusals.clone()))
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        BranchlineServices {
            gate,
            transfer,
            admin,
            report,
            account,
            commission,
        }
    }
}

/// The rustls server config. With a client CA, a client certificate is verified when one is
/// presented but stays optional at the TLS layer: admin, report and account calls authenticate
/// with a person's token or the admin token, and the transfer service refuses a branch that
/// presents none.
fn server_tls_config(tls: TlsPem) -> ServerTlsConfig {
    let config = ServerTlsConfig::new().identity(Identity::from_pem(tls.cert, tls.key));
    match tls.client_ca {
        Some(client_ca) => config
            .client_ca_root(Certificate::from_pem(client_ca))
            .client_auth_optional(true),
        None => config,
    }
}

/// Opens the store of `config` and serves on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Hq::open(config).await?.serve(listener, shutdown).await
}
