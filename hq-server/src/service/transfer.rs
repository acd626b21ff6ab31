//! The transfer service: what a branch's transfer agent calls with the branch's own token.
//!
//! Status codes: UNAUTHENTICATED (missing or unknown token), FAILED_PRECONDITION (protocol
//! version, older epoch, gap), ALREADY_EXISTS (same seq, different content), INVALID_ARGUMENT
//! (badly numbered batch, unreadable bundle), PERMISSION_DENIED (another branch's bundle),
//! RESOURCE_EXHAUSTED (batch over the limit), INTERNAL (store failure).

use crate::auth::{bearer_token, token_sha256};
use crate::bundle::{decode_bundle, BundleError};
use crate::config::Limits;
use crate::store::ingest::{self, Incoming, IngestAck, IngestBatch, IngestError};
use crate::store::registry::{self, BranchRef};
use crate::store::{inbox, reconcile, Store, StoreError};
use branchline_proto::v1::transfer_server::Transfer;
use branchline_proto::v1::{
    BundleUpload, DocumentChecksum, HelloRequest, HelloResponse, PullRequest, PullResponse, PushAck,
    PushBatch, ReconcileBucket, ReconcileDocumentsRequest, ReconcileDocumentsResponse,
    ReconcileSummaryRequest, ReconcileSummaryResponse,
};
use branchline_proto::{v1, PROTOCOL_VERSION};
use branchline_shared::OutboxEntry;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// Acks buffered per push stream before HQ waits for the client to read them.
const PUSH_ACKS_IN_FLIGHT_MAX: usize = 4;
/// Batches decoded ahead of the one being applied, per push stream.
const PUSH_BATCHES_DECODED_AHEAD_MAX: usize = 2;

#[derive(Debug, thiserror::Error)]
enum TransferError {
    #[error("missing or unknown branch credential")]
    Unauthenticated,
    #[error("protocol version {found} is not supported: HQ speaks {PROTOCOL_VERSION}")]
    ProtocolVersion { found: u32 },
    #[error("batch of {count} entries exceeds the limit of {max}")]
    BatchTooLarge { count: usize, max: usize },
    #[error("bundle is from branch {source_branch}, not from the calling branch {caller}")]
    ForeignBundle { source_branch: String, caller: String },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn to_status(error: TransferError) -> Status {
    let message = error.to_string();
    match error {
        TransferError::Unauthenticated => Status::unauthenticated(message),
        TransferError::ProtocolVersion { .. } => Status::failed_precondition(message),
        TransferError::BatchTooLarge { .. } => Status::resource_exhausted(message),
        TransferError::ForeignBundle { .. } => Status::permission_denied(message),
        TransferError::Bundle(_) => Status::invalid_argument(message),
        TransferError::Ingest(error) => ingest_status(error),
        TransferError::Store(error) => {
            tracing::error!(%error, "transfer call failed");
            Status::internal(message)
        }
    }
}

/// The status of an ingestion refusal; shared with the admin service's bundle import.
pub(crate) fn ingest_status(error: IngestError) -> Status {
    let message = error.to_string();
    match error {
        IngestError::ZeroEpoch | IngestError::ZeroSeq | IngestError::NotContiguous { .. } => {
            Status::invalid_argument(message)
        }
        IngestError::EpochTooOld { .. } | IngestError::Gap { .. } => Status::failed_precondition(message),
        IngestError::Conflict { .. } => Status::already_exists(message),
        IngestError::UnknownBranch { .. } => Status::not_found(message),
        IngestError::Store(error) => {
            tracing::error!(%error, "ingestion failed");
            Status::internal(message)
        }
    }
}

pub(crate) fn ack_to_wire(ack: IngestAck) -> PushAck {
    PushAck {
        epoch: ack.epoch,
        acked_seq: ack.acked_seq,
        applied: ack.applied,
        duplicates: ack.duplicates,
        quarantined: ack.quarantined,
    }
}

/// A wire entry as ingestion sees it; one that fails conversion is kept as malformed.
fn incoming_from_wire(entry: &v1::OutboxEntry) -> Incoming {
    match OutboxEntry::try_from(entry) {
        Ok(entry) => Incoming::from_entry(entry),
        Err(error) => Incoming::malformed(entry.seq, &entry.encode_to_vec(), error.to_string()),
    }
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
}

impl TransferService {
    pub fn new(store: Store, limits: Limits) -> TransferService {
        TransferService { store, limits }
    }

    /// The calling branch, from its bearer token.
    async fn authenticate<T>(&self, request: &Request<T>) -> Result<BranchRef, TransferError> {
        let token = bearer_token(request.metadata()).ok_or(TransferError::Unauthenticated)?;
        registry::branch_by_token_hash(&self.store, &token_sha256(token))
            .await?
            .ok_or(TransferError::Unauthenticated)
    }
}

/// Checks and decodes one pushed batch (CPU work done outside the store transaction).
fn decode_batch(limits: &Limits, batch: PushBatch) -> Result<IngestBatch, TransferError> {
    check_protocol(batch.protocol_version)?;
    if batch.entries.len() > limits.max_batch_entries {
        return Err(TransferError::BatchTooLarge {
            count: batch.entries.len(),
            max: limits.max_batch_entries,
        });
    }
    Ok(IngestBatch {
        epoch: batch.epoch,
        backlog: Some(batch.backlog),
        entries: batch.entries.iter().map(incoming_from_wire).collect(),
    })
}

/// Reads and decodes batches while the previous one is being applied.
async fn read_batches(
    mut inbound: Streaming<PushBatch>,
    limits: Limits,
    decoded: mpsc::Sender<Result<IngestBatch, Status>>,
) {
    loop {
        let next = match inbound.message().await {
            Ok(Some(batch)) => {
                let limits = limits.clone();
                match tokio::task::spawn_blocking(move || decode_batch(&limits, batch)).await {
                    Ok(result) => result.map_err(to_status),
                    Err(error) => Err(Status::internal(format!("decoding a batch failed: {error}"))),
                }
            }
            Ok(None) => break,
            Err(status) => Err(status),
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
            let branch = self.authenticate(&request).await?;
            let hello = request.get_ref();
            check_protocol(hello.protocol_version)?;
            let state = ingest::hello(&self.store, &branch, hello.epoch, hello.backlog).await?;
            Ok(HelloResponse {
                protocol_version: PROTOCOL_VERSION,
                branch: branch.code,
                epoch: state.epoch,
                applied_seq: state.applied_seq,
                inbox_last_seq: state.inbox_last_seq,
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
        let branch = self.authenticate(&request).await.map_err(to_status)?;
        let inbound = request.into_inner();
        let (decoded, mut batches) = mpsc::channel(PUSH_BATCHES_DECODED_AHEAD_MAX);
        let (acks, receiver) = mpsc::channel(PUSH_ACKS_IN_FLIGHT_MAX);
        tokio::spawn(read_batches(inbound, self.limits.clone(), decoded));
        let store = self.store.clone();
        tokio::spawn(async move {
            while let Some(batch) = batches.recv().await {
                let result = match batch {
                    Ok(batch) => ingest::ingest(&store, &branch, batch)
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
            let branch = self.authenticate(&request).await?;
            let pull = request.get_ref();
            check_protocol(pull.protocol_version)?;
            let max_entries = match pull.max_entries {
                0 => self.limits.max_pull_entries,
                asked => asked.min(self.limits.max_pull_entries),
            };
            let page = inbox::pull(&self.store, &branch, pull.after_seq, max_entries).await?;
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
            let branch = self.authenticate(&request).await?;
            let bundle = decode_bundle(&request.get_ref().bundle, self.limits.max_batch_entries)?;
            if bundle.source != branch.code {
                let detail = format!("upload of a bundle from branch {}", bundle.source);
                registry::record_audit(&self.store, &branch.code, "refused: permission denied", &detail)
                    .await?;
                return Err(TransferError::ForeignBundle {
                    source_branch: bundle.source,
                    caller: branch.code,
                });
            }
            Ok(ack_to_wire(
                ingest::ingest(&self.store, &branch, bundle.batch).await?,
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
            let branch = self.authenticate(&request).await?;
            check_protocol(request.get_ref().protocol_version)?;
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
            let branch = self.authenticate(&request).await?;
            let asked = request.get_ref();
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
}
