//! Resending an older epoch's tail to an HQ restored to before the ledger's newest epoch: HQ
//! accepts only entries of its own newest epoch or a later one, so what it lost of that older
//! epoch must reach it before the ledger's current epoch does (which closes the older one for
//! good). The entries travel as bundles (`UploadBundle`, the same guarantees as a push), bounded
//! like exported bundle files, each acknowledgement recorded as it arrives.

use crate::client::{ClientError, Hq};
use crate::ledger_access::{run_blocking, LedgerAccessError, SharedLedger};
use branch_node::LedgerStatus;
use branch_node::{BundleBound, BundleFile};
use branchline_proto::v1::{BundleUpload, HelloResponse};

#[derive(Debug, thiserror::Error)]
pub enum RefillError {
    #[error(transparent)]
    Ledger(#[from] LedgerAccessError),
    #[error(transparent)]
    Hq(#[from] ClientError),
    #[error(
        "resending epoch {epoch}: HQ acknowledged seq {acked_seq} for a bundle ending at seq {last_seq}"
    )]
    AckMismatch {
        epoch: u64,
        last_seq: u64,
        acked_seq: u64,
    },
}

/// When HQ's newest epoch for the branch is older than the ledger's and holds less of it than
/// the ledger wrote, resends that epoch's entries after HQ's position; returns how many.
pub async fn refill_older_epoch(
    ledger: &SharedLedger,
    hq: &Hq,
    status: &LedgerStatus,
    greeting: &HelloResponse,
) -> Result<u64, RefillError> {
    let (epoch, hq_applied_seq) = (greeting.current_epoch, greeting.current_applied_seq);
    if epoch == 0 || epoch >= status.epoch {
        return Ok(0);
    }
    let position = run_blocking(ledger, move |ledger| {
        ledger.epoch_position(epoch).map_err(Box::new)
    })
    .await?;
    let Some((acked_seq, last_seq)) = position else {
        return Ok(0);
    };
    if last_seq <= hq_applied_seq {
        return Ok(0);
    }
    if acked_seq > hq_applied_seq {
        run_blocking(ledger, move |ledger| {
            ledger.rewind_ack(epoch, hq_applied_seq).map_err(Box::new)
        })
        .await?;
    }
    tracing::warn!(
        epoch,
        hq_applied_seq,
        ledger_last_seq = last_seq,
        "HQ holds less of an older epoch than the ledger wrote (HQ restored from a copy?): resending it first"
    );
    let bundles = run_blocking(ledger, move |ledger| {
        let mut bundles: Vec<BundleFile> = Vec::new();
        // Boxed, as every ledger error the agent carries (they are large).
        ledger.export_epoch_bundles(epoch, hq_applied_seq, BundleBound::default(), |bundle| {
            bundles.push(bundle);
            Ok::<(), Box<branch_node::LedgerError>>(())
        })?;
        Ok(bundles)
    })
    .await?;
    let mut resent = 0;
    for bundle in bundles.into_iter().filter(|bundle| bundle.entries > 0) {
        let mut client = hq.client.clone();
        let (bundle_last_seq, entries) = (bundle.last_seq, bundle.entries);
        let upload = BundleUpload { bundle: bundle.bytes };
        let ack = hq.unary("upload_bundle", client.upload_bundle(upload)).await?;
        if ack.epoch != epoch || ack.acked_seq < bundle_last_seq {
            return Err(RefillError::AckMismatch {
                epoch,
                last_seq: bundle_last_seq,
                acked_seq: ack.acked_seq,
            });
        }
        let acked = ack.acked_seq.min(last_seq);
        run_blocking(ledger, move |ledger| {
            ledger.record_ack(epoch, acked).map_err(Box::new)
        })
        .await?;
        resent += entries;
    }
    Ok(resent)
}
