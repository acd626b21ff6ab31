//! `Admin/ImportBundle`'s work: a bundle file brought by hand, decoded, checked against the
//! caller's scope and ingested like a push, then audited in the caller's name.

use super::error::AdminError;
use super::AdminService;
use crate::bundle::decode_bundle;
use crate::people::principal::Principal;
use crate::service::ingest_reply::ack_to_wire;
use crate::store::ingest::batch;
use crate::store::registry::audit::{record_audit, Actor};
use branchline_proto::v1::PushAck;

impl AdminService {
    pub(super) async fn import_bundle(
        &self,
        caller: &Principal,
        bytes: &[u8],
    ) -> Result<PushAck, AdminError> {
        let bundle = decode_bundle(bytes, self.limits.max_batch_entries)?;
        let branch = self
            .branch_in_scope(caller, "Admin/ImportBundle", &bundle.source)
            .await?;
        let ack = batch::ingest(&self.store, &branch, bundle.batch).await?;
        let detail = format!("{} through seq {}", branch.code, ack.acked_seq);
        let actor = Actor::new(&caller.name, Some(&branch.org));
        record_audit(&self.store, actor, "bundle import", &detail).await?;
        Ok(ack_to_wire(ack))
    }
}
