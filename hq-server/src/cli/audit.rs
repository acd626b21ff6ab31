//! `hq-server admin audit`: refusals and administrative actions, filtered by time, actor,
//! branch, kind and organization (each filter checked here too, so a typo is named before
//! anything is sent).

use super::client::{refused, Client};
use super::output::{empty_as_null, or_dash, print_table, Format};
use crate::store::registry::audit::{audit_actor, audit_kind, audit_time};
use branchline_proto::v1::{AuditEvent, AuditRequest};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub(super) struct AuditArgs {
    /// Events at or after this RFC 3339 time, e.g. 2026-01-05T00:00:00Z
    #[arg(long)]
    since: Option<String>,
    /// Events at or before this RFC 3339 time.
    #[arg(long)]
    until: Option<String>,
    /// Events of this actor: an account's name, "admin" (the bootstrap token) or a branch code.
    #[arg(long)]
    actor: Option<String>,
    /// Events of this branch's organization: its own calls and refusals, and what was done to it.
    #[arg(long)]
    branch: Option<String>,
    /// Events of this action ("user add"), or of every action starting with these words
    /// ("refused", "user token").
    #[arg(long)]
    kind: Option<String>,
    /// Only the events of this organization's subtree (default: your whole scope).
    #[arg(long)]
    org: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

impl AuditArgs {
    fn request(self) -> anyhow::Result<AuditRequest> {
        let time = |field: &'static str, text: Option<String>| -> anyhow::Result<String> {
            Ok(text
                .map(|text| audit_time(field, &text))
                .transpose()?
                .unwrap_or_default())
        };
        let since = time("since", self.since)?;
        let until = time("until", self.until)?;
        if let Some(actor) = &self.actor {
            audit_actor(actor)?;
        }
        if let Some(kind) = &self.kind {
            audit_kind(kind)?;
        }
        Ok(AuditRequest {
            since,
            until,
            actor: self.actor.unwrap_or_default(),
            branch: self.branch.unwrap_or_default(),
            kind: self.kind.unwrap_or_default(),
            org: self.org.unwrap_or_default(),
            newest_first: false,
            limit: 0,
        })
    }
}

pub(super) async fn audit(client: &mut Client, args: AuditArgs) -> anyhow::Result<()> {
    let format = args.format;
    let request = args.request()?;
    let response = client.audit(request).await.map_err(refused)?.into_inner();
    print_audit(&response.events, format);
    Ok(())
}

fn print_audit(events: &[AuditEvent], format: Format) {
    match format {
        Format::Json => {
            let events: Vec<_> = events
                .iter()
                .map(|event| {
                    json!({
                        "id": event.id, "at": event.at, "actor": event.actor,
                        "action": event.action, "detail": event.detail,
                        "org": empty_as_null(&event.org),
                    })
                })
                .collect();
            println!("{}", json!({ "events": events }));
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = events
                .iter()
                .map(|event| {
                    vec![
                        event.at.clone(),
                        event.actor.clone(),
                        or_dash(&event.org),
                        event.action.clone(),
                        event.detail.clone(),
                    ]
                })
                .collect();
            print_table(&["at", "actor", "org", "action", "detail"], &rows);
        }
    }
}
