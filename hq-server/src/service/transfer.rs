//! The transfer service: what a branch's transfer agent calls with the branch's own token.
//!
//! Status codes: UNAUTHENTICATED (missing, unknown or revoked token; no client certificate when
//! mutual TLS is on), FAILED_PRECONDITION (protocol version, older epoch, gap), ALREADY_EXISTS
//! (same seq, different content), INVALID_ARGUMENT (badly numbered batch, unreadable bundle),
//! PERMISSION_DENIED (another branch's bundle or ledger, a request naming no ledger branch, a
//! client certificate of another branch),
//! RESOURCE_EXHAUSTED (batch over the limit, request rate over the limit), OUT_OF_RANGE (a message
//! over the size limit, from tonic), INTERNAL (store failure). Every refusal of a credential or a
//! limit is written to the audit log. Credentials and the request rate are checked by the
//! [`CredentialGate`] before the request body is read; the service takes the branch it resolved.

use crate::bundle::{decode_bundle, BundleError};
use crate::config::Limits;
use crate::service::credential_gate::caller::Caller;
use crate::service::credential_gate::{AuthenticatedBranch, CredentialGate, GateError};
use crate::service::ingest_reply::{ack_to_wire, ingest_code, ingest_status};
use crate::service::refusal_audit::{code_name, RefusalLog};
use crate::store::close::register::close_day;
use crate::store::ingest::batch::{self, Backlog, Incoming, IngestBatch, IngestError};
use crate::store::ingest::hello::{self, HelloReport};
use crate::store::ingest::reconcile;
use crate::store::registry::branches::BranchRef;
use crate::store::trade::inbox;
use crate::store::{Store, StoreError};
use branchline_proto::v1::transfer_server::Transfer;
use branchline_proto::v1::{
    BundleUpload, CloseDayRequest, CloseDayResponse, DocumentChecksum, HelloRequest, HelloResponse,
    PullRequest, PullResponse, PushAck, PushBatch, ReconcileBucket, ReconcileDocumentsRequest,
    ReconcileDocumentsResponse, ReconcileSummaryRequest, ReconcileSummaryResponse,
};
use branchline_proto::{v1, PROTOCOL_VERSION};
use branchline_shared::OutboxEntry;
use prost::Message;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// Acks buffered per push stream before HQ waits for the client to read them.
const PUSH_ACKS_IN_FLIGHT_MAX: usize = 4;
/// Batches decoded ahead of the one being applied, per push stream.
const PUSH_BATCHES_DECODED_AHEAD_MAX: usize = 2;
/// The longest agent release name a Hello may carry (HQ stores it with the branch).
const AGENT_VERSION_CHARS_MAX: usize = 64;

#[derive(Debug, thiserror::Error)]
enum TransferError {
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error("protocol version {found} is not supported: HQ speaks {PROTOCOL_VERSION}")]
    ProtocolVersion { found: u32 },
    #[error("batch of {count} entries exceeds the limit of {max} (limits.max_batch_entries)")]
    BatchTooLarge { count: usize, max: usize },
    #[error("bundle is from branch {source_branch}, not from the calling branch {caller}")]
    ForeignBundle { source_branch: String, caller: String },
    #[error("the ledger is branch {ledger_branch}'s but the credential is branch {caller}'s")]
    ForeignLedger { ledger_branch: String, caller: String },
    #[error("the request does not name its ledger's branch (the credential is branch {caller}'s)")]
    LedgerBranchMissing { caller: String },
    #[error("agent_version {shown:?} is not a release name: at most {AGENT_VERSION_CHARS_MAX} printable characters")]
    BadAgentVersion { shown: String },
    #[error("day {shown:?} is not a date YYYY-MM-DD in 1900-01-01..9999-12-31")]
    BadDay { shown: String },
    #[error("the ledger's day figures are unreadable: {0}")]
    BadDayFigures(branchline_proto::WireError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TransferError {
    /// The status code of each refusal: the one mapping of this service's errors, which both
    /// the caller's status and the audit log's word for a refusal are made from.
    fn code(&self) -> tonic::Code {
        match self {
            TransferError::Gate(error) => error.code(),
            TransferError::ProtocolVersion { .. } => tonic::Code::FailedPrecondition,
            TransferError::BatchTooLarge { .. } => tonic::Code::ResourceExhausted,
            TransferError::ForeignBundle { .. }
            | TransferError::ForeignLedger { .. }
            | TransferError::LedgerBranchMissing { .. } => tonic::Code::PermissionDenied,
            TransferError::Bundle(_)
            | TransferError::BadAgentVersion { .. }
            | TransferError::BadDay { .. }
            | TransferError::BadDayFigures(_) => tonic::Code::InvalidArgument,
            TransferError::Ingest(error) => ingest_code(error),
            TransferError::Store(_) => tonic::Code::Internal,
        }
    }
}

fn to_status(error: TransferError) -> Status {
    match error {
        TransferError::Gate(error) => error.to_status(),
        TransferError::Ingest(error) => ingest_status(error),
        TransferError::Store(error) => {
            tracing::error!(%error, "transfer call failed");
            Status::internal(error.to_string())
        }
        error => Status::new(error.code(), error.to_string()),
    }
}

/// A wire entry as ingestion sees it; one that fails conversion is kept as malformed.
fn incoming_from_wire(entry: &v1::OutboxEntry) -> Incoming {
    match OutboxEntry::try_from(entry) {
        Ok(entry) => Incoming::from_entry(entry),
        Err(error) => Incoming::malformed(entry.seq, &entry.encode_to_vec(), error.to_string()),
    }
}

/// The agent release a Hello names, `None` when it names none (an older agent).
fn agent_version(hello: &HelloRequest) -> Result<Option<&str>, TransferError> {
    let version = hello.agent_version.as_str();
    if version.chars().count() > AGENT_VERSION_CHARS_MAX || version.chars().any(char::is_control) {
        return Err(TransferError::BadAgentVersion {
            shown: branchline_shared::echo_prefix(version),
        });
    }
    Ok(Some(version).filter(|version| !version.is_empty()))
}

fn check_protocol(found: u32) -> Result<(), TransferError> {
    if found == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(TransferError::ProtocolVersion { found })
    }
}

pub struct TransferService {
    store: Store,
    limits: Limits,
    /// Credentials, client certificates (mutual TLS) and request rates.
    gate: Arc<CredentialGate>,
    refusals: RefusalLog,
}

impl TransferService {
    /// The service behind `gate`, which the server also runs as a layer in front of it.
    pub fn new(store: Store, limits: Limits, gate: Arc<CredentialGate>) -> TransferService {
        let window = std::time::Duration::from_secs(limits.audit_refusal_window_seconds);
        TransferService {
            refusals: RefusalLog::new(store.clone(), window),
            store,
            limits,
            gate,
        }
    }

    /// Shares the server's refusal log (one coalescing window per refusal kind across services).
    pub fn with_refusal_log(mut self, refusals: RefusalLog) -> TransferService {
        self.refusals = refusals;
        self
    }

    /// The calling branch: the one the [`CredentialGate`] layer resolved, or (a service served
    /// without the layer) checked by the gate here. A refusal is written to the audit log.
    async fn authenticate<T>(&self, call: &str, request: &Request<T>) -> Result<BranchRef, TransferError> {
        if let Some(AuthenticatedBranch(branch)) = request.extensions().get::<AuthenticatedBranch>() {
            return Ok(branch.clone());
        }
        let caller = Caller::from_tonic(request);
        Ok(self.gate.authenticate_branch(call, &caller).await?)
    }
}

/// Appends a refusal to the audit log (coalesced, see [`RefusalLog`]); a failing audit write is
/// logged, not returned, so the caller still gets the refusal's own status.
async fn audit_refusal(refusals: &RefusalLog, branch: &BranchRef, call: &str, error: &TransferError) {
    let code = error.code();
    let detail = format!("{call}: {error}");
    let action = format!("refused: {}", code_name(code));
    refusals.record(branch.actor(), &action, call, &detail).await;
}

/// The one check that a request comes from the calling branch's own ledger: the branch it names
/// (the ledger's) must be the credential's. A refusal is written to the audit log, before the
/// call reads or records anything.
async fn check_ledger_branch(
    refusals: &RefusalLog,
    call: &'static str,
    branch: &BranchRef,
    ledger_branch: &str,
) -> Result<(), TransferError> {
    let caller = branch.code.as_str();
    let error = if ledger_branch.is_empty() {
        TransferError::LedgerBranchMissing {
            caller: caller.to_owned(),
        }
    } else if ledger_branch != caller {
        TransferError::ForeignLedger {
            ledger_branch: ledger_branch.to_owned(),
            caller: caller.to_owned(),
        }
    } else {
        return Ok(());
    };
    audit_refusal(refusals, branch, call, &error).await;
    Err(error)
}

/// Checks and decodes one pushed batch (CPU work done outside the store transaction).
fn decode_batch(limits: &Limits, store: &Store, batch: PushBatch) -> Result<IngestBatch, TransferError> {
    check_protocol(batch.protocol_version)?;
    if batch.entries.len() > limits.max_batch_entries {
        return Err(TransferError::BatchTooLarge {
            count: batch.entries.len(),
            max: limits.max_batch_entries,
        });
    }
    let entries = batch.entries.iter().map(incoming_from_wire).collect();
    let backlog = Backlog {
        entries: batch.backlog,
        documents: batch.backlog_documents,
    };
    Ok(IngestBatch::new(batch.epoch, Some(backlog), entries).with_rollups_prepared(store))
}

/// Reads and decodes batches while the previous one is being applied.
async fn read_batches(
    mut inbound: Streaming<PushBatch>,
    (limits, store): (Limits, Store),
    audit: (RefusalLog, BranchRef),
    decoded: mpsc::Sender<Result<IngestBatch, Status>>,
) {
    let (refusals, branch) = audit;
    loop {
        let next = match inbound.message().await {
            Ok(Some(batch)) => {
                if let Err(error) = check_ledger_branch(&refusals, "push", &branch, &batch.branch).await {
                    let _ = decoded.send(Err(to_status(error))).await;
                    break;
                }
                let (limits, store) = (limits.clone(), store.clone());
                match tokio::task::spawn_blocking(move || decode_batch(&limits, &store, batch)).await {
                    Ok(Err(error @ TransferError::BatchTooLarge { .. })) => {
                        audit_refusal(&refusals, &branch, "push", &error).await;
                        Err(to_status(error))
                    }
                    Ok(result) => result.map_err(to_status),
                    Err(error) => Err(Status::internal(format!("decoding a batch failed: {error}"))),
                }
            }
            Ok(None) => break,
            Err(status) => {
                if status.code() == tonic::Code::OutOfRange {
                    let detail = format!("push: {}", status.message());
                    let action = format!("refused: {}", code_name(status.code()));
                    let actor = branch.actor();
                    refusals.record(actor, &action, "push", &detail).await;
                }
                Err(status)
            }
        };
        let stop = next.is_err();
        if decoded.send(next).await.is_err() || stop {
            break;
        }
    }
}

#[tonic::async_trait]
impl Transfer for TransferService {
    #[tracing::instrument(skip_all)]
    async fn hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloResponse>, Status> {
        let result = async {
            let branch = self.authenticate("hello", &request).await?;
            let hello = request.get_ref();
            check_ledger_branch(&self.refusals, "hello", &branch, &hello.branch).await?;
            check_protocol(hello.protocol_version)?;
            let report = HelloReport {
                epoch: hello.epoch,
                backlog: Backlog {
                    entries: hello.backlog,
                    documents: hello.backlog_documents,
                },
                acked_seq: hello.acked_seq,
                inbox_seq: hello.inbox_seq,
                agent_version: agent_version(hello)?,
            };
            let state = hello::hello(&self.store, &branch, report).await?;
            Ok(HelloResponse {
                protocol_version: PROTOCOL_VERSION,
                branch: branch.code,
                epoch: state.epoch,
                applied_seq: state.applied_seq,
                inbox_last_seq: state.inbox_last_seq,
                current_epoch: state.current_epoch,
                current_applied_seq: state.current_applied_seq,
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    type PushStream = ReceiverStream<Result<PushAck, Status>>;

    #[tracing::instrument(skip_all)]
    async fn push(
        &self,
        request: Request<Streaming<PushBatch>>,
    ) -> Result<Response<Self::PushStream>, Status> {
        let branch = self.authenticate("push", &request).await.map_err(to_status)?;
        let inbound = request.into_inner();
        let (decoded, mut batches) = mpsc::channel(PUSH_BATCHES_DECODED_AHEAD_MAX);
        let (acks, receiver) = mpsc::channel(PUSH_ACKS_IN_FLIGHT_MAX);
        let audit = (self.refusals.clone(), branch.clone());
        let decoding = (self.limits.clone(), self.store.clone());
        tokio::spawn(read_batches(inbound, decoding, audit, decoded));
        let store = self.store.clone();
        tokio::spawn(async move {
            while let Some(batch) = batches.recv().await {
                let result = match batch {
                    Ok(batch) => batch::ingest(&store, &branch, batch)
                        .await
                        .map(ack_to_wire)
                        .map_err(|error| to_status(error.into())),
                    Err(status) => Err(status),
                };
                let refused = result.is_err();
                if acks.send(result).await.is_err() || refused {
                    break;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    #[tracing::instrument(skip_all)]
    async fn pull(&self, request: Request<PullRequest>) -> Result<Response<PullResponse>, Status> {
        let result = async {
            let branch = self.authenticate("pull", &request).await?;
            let pull = request.get_ref();
            check_ledger_branch(&self.refusals, "pull", &branch, &pull.branch).await?;
            check_protocol(pull.protocol_version)?;
            let max_entries = match pull.max_entries {
                0 => self.limits.max_pull_entries,
                asked => asked.min(self.limits.max_pull_entries),
            };
            let bound = inbox::PageBound {
                max_entries,
                max_bytes: self.limits.max_pull_bytes,
            };
            let page = inbox::pull(&self.store, &branch, pull.after_seq, bound).await?;
            Ok(PullResponse {
                entries: page.entries.iter().map(Into::into).collect(),
                last_seq: page.last_seq,
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn upload_bundle(&self, request: Request<BundleUpload>) -> Result<Response<PushAck>, Status> {
        let result = async {
            let branch = self.authenticate("upload_bundle", &request).await?;
            let bundle = decode_bundle(&request.get_ref().bundle, self.limits.max_batch_entries)?;
            if bundle.source != branch.code {
                let detail = format!("upload_bundle: a bundle from branch {}", bundle.source);
                let action = "refused: permission denied";
                let actor = branch.actor();
                self.refusals
                    .record(actor, action, "upload_bundle", &detail)
                    .await;
                return Err(TransferError::ForeignBundle {
                    source_branch: bundle.source,
                    caller: branch.code,
                });
            }
            Ok(ack_to_wire(
                batch::ingest(&self.store, &branch, bundle.batch).await?,
            ))
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn reconcile_summary(
        &self,
        request: Request<ReconcileSummaryRequest>,
    ) -> Result<Response<ReconcileSummaryResponse>, Status> {
        let result = async {
            let branch = self.authenticate("reconcile_summary", &request).await?;
            let asked = request.get_ref();
            check_ledger_branch(&self.refusals, "reconcile_summary", &branch, &asked.branch).await?;
            check_protocol(asked.protocol_version)?;
            let buckets = reconcile::summary(&self.store, &branch).await?;
            Ok(ReconcileSummaryResponse {
                buckets: buckets
                    .into_iter()
                    .map(|bucket| ReconcileBucket {
                        doc_type: bucket.doc_type,
                        month: bucket.month,
                        count: bucket.count,
                        checksum: bucket.checksum,
                    })
                    .collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn reconcile_documents(
        &self,
        request: Request<ReconcileDocumentsRequest>,
    ) -> Result<Response<ReconcileDocumentsResponse>, Status> {
        let result = async {
            let branch = self.authenticate("reconcile_documents", &request).await?;
            let asked = request.get_ref();
            check_ledger_branch(&self.refusals, "reconcile_documents", &branch, &asked.branch).await?;
            check_protocol(asked.protocol_version)?;
            let documents = reconcile::documents(&self.store, &branch, &asked.doc_type, &asked.month).await?;
            Ok(ReconcileDocumentsResponse {
                documents: documents
                    .into_iter()
                    .map(|(number, checksum)| DocumentChecksum { number, checksum })
                    .collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn close_day(
        &self,
        request: Request<CloseDayRequest>,
    ) -> Result<Response<CloseDayResponse>, Status> {
        let result = async {
            let branch = self.authenticate("close_day", &request).await?;
            let asked = request.get_ref();
            check_ledger_branch(&self.refusals, "close_day", &branch, &asked.branch).await?;
            check_protocol(asked.protocol_version)?;
            let day = branchline_shared::parse_date(&asked.day).map_err(|_| TransferError::BadDay {
                shown: branchline_shared::echo_prefix(&asked.day),
            })?;
            let ledger = asked.ledger.as_ref().map(branchline_shared::DayFigures::try_from);
            let ledger = ledger
                .transpose()
                .map_err(TransferError::BadDayFigures)?
                .unwrap_or_default();
            let outcome = close_day(&self.store, &branch, day, &ledger).await?;
            Ok(CloseDayResponse {
                hq: Some(v1::DayFigures::from(&outcome.hq)),
                closed: outcome.closed_at.is_some(),
                closed_at: outcome.closed_at.unwrap_or_default(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }
}
