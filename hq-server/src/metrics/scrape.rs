//! One scrape of HQ's `/metrics`: the node's running counts (`counters`), then what its store
//! holds at this moment — per branch (the figures of `admin status`), pending roll-up rows, and
//! the store's connection pool.

use crate::store::registry::status::{status, BranchStatus};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BranchLabels {
    branch: String,
    org: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TemplateLabels {
    branch: String,
    template: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

type Count = Family<BranchLabels, Gauge>;
type Seconds = Family<BranchLabels, Gauge<f64, AtomicU64>>;

/// The per-branch series of one scrape.
#[derive(Default)]
struct BranchSeries {
    last_seq: Count,
    backlog: Count,
    backlog_documents: Count,
    contact_age: Seconds,
    receipt_age: Seconds,
    quarantined: Count,
    conflicts: Family<BranchLabels, Counter>,
    templates: Family<TemplateLabels, Gauge>,
    closed_day: Count,
}

impl BranchSeries {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "branch_last_seq",
            "The branch's last sequence number HQ applied",
            self.last_seq.clone(),
        );
        registry.register(
            "branch_backlog_entries",
            "Outbox entries not yet acknowledged, as the branch last reported them",
            self.backlog.clone(),
        );
        registry.register(
            "branch_backlog_documents",
            "Documents among the branch's unacknowledged entries",
            self.backlog_documents.clone(),
        );
        registry.register_with_unit(
            "branch_contact_age",
            "Time since the branch's last call of any kind (+Inf: never)",
            Unit::Seconds,
            self.contact_age.clone(),
        );
        registry.register_with_unit(
            "branch_receipt_age",
            "Time since HQ last applied an entry of the branch (+Inf: never)",
            Unit::Seconds,
            self.receipt_age.clone(),
        );
        registry.register(
            "branch_quarantined_entries",
            "The branch's entries waiting in quarantine",
            self.quarantined.clone(),
        );
        registry.register(
            "branch_conflicting_resends",
            "Resends HQ refused for carrying other content under a sequence number it holds",
            self.conflicts.clone(),
        );
        registry.register(
            "branch_template_version",
            "The newest version of each template the branch has applied",
            self.templates.clone(),
        );
        registry.register_with_unit(
            "branch_last_closed_day",
            "The start (00:00 UTC) of the latest business day whose daily close stands, as a Unix time",
            Unit::Seconds,
            self.closed_day.clone(),
        );
    }

    fn add(&self, branch: &BranchStatus, now: DateTime<Utc>) {
        let labels = BranchLabels {
            branch: branch.branch.clone(),
            org: branch.org.clone(),
        };
        let count = |family: &Count, value: u64| {
            family
                .get_or_create(&labels)
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        };
        count(&self.last_seq, branch.last_seq);
        count(&self.backlog, branch.backlog);
        count(&self.backlog_documents, branch.backlog_documents);
        count(&self.quarantined, branch.quarantined);
        self.conflicts.get_or_create(&labels).inc_by(branch.conflicts);
        self.contact_age
            .get_or_create(&labels)
            .set(age_seconds(branch.last_contact.as_deref(), now));
        self.receipt_age
            .get_or_create(&labels)
            .set(age_seconds(branch.received_at.as_deref(), now));
        let closed = branch.last_closed_day.as_deref().and_then(|day| {
            let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
            Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
        });
        if let Some(closed) = closed {
            self.closed_day.get_or_create(&labels).set(closed);
        }
        for template in &branch.templates {
            let labels = TemplateLabels {
                branch: branch.branch.clone(),
                template: template.name.clone(),
            };
            let version = i64::try_from(template.version).unwrap_or(i64::MAX);
            self.templates.get_or_create(&labels).set(version);
        }
    }
}

/// Seconds from the RFC 3339 time `at` to `now` (0 for a time ahead of this clock); +Inf for
/// never or an unreadable time.
fn age_seconds(at: Option<&str>, now: DateTime<Utc>) -> f64 {
    match at.map(DateTime::parse_from_rfc3339) {
        Some(Ok(at)) => {
            let millis = (now - at.with_timezone(&Utc)).num_milliseconds().max(0);
            millis as f64 / 1000.0
        }
        _ => f64::INFINITY,
    }
}

/// The whole exposition of one scrape at `now`, in the OpenMetrics text format.
pub(super) async fn render(store: &Store, now: DateTime<Utc>) -> Result<String, StoreError> {
    let branches = status(store, None).await?;
    let pending = store.pending_rollup_rows().await?;
    let series = BranchSeries::default();
    for branch in &branches {
        series.add(branch, now);
    }
    let mut registry = Registry::with_prefix("branchline_hq");
    series.register(&mut registry);
    let pending_rows = Gauge::<i64>::default();
    pending_rows.set(i64::try_from(pending).unwrap_or(i64::MAX));
    registry.register(
        "rollup_pending_rows",
        "Pending roll-up rows not yet folded into the blocks",
        pending_rows,
    );
    let connections = Family::<StateLabels, Gauge>::default();
    let (in_use, idle) = store.connections();
    for (state, value) in [("in_use", in_use), ("idle", idle)] {
        let labels = StateLabels {
            state: state.to_owned(),
        };
        connections.get_or_create(&labels).set(i64::from(value));
    }
    registry.register(
        "store_connections",
        "The store pool's connections, in use or idle",
        connections,
    );
    register_alerts(store, &mut registry).await?;
    let mut out = String::new();
    let encoded = store
        .counters()
        .encode(&mut out)
        .and_then(|()| encode_registry(&mut out, &registry))
        .and_then(|()| encode_eof(&mut out));
    encoded.expect("encoding into a String does not fail");
    Ok(out)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: String,
}

/// HQ's own alerts: the branches each rule fires for, and the messages not yet delivered.
async fn register_alerts(store: &Store, registry: &mut Registry) -> Result<(), StoreError> {
    let firing = Family::<RuleLabels, Gauge>::default();
    for alert in crate::store::alert::firing::firing(store).await? {
        firing.get_or_create(&RuleLabels { rule: alert.rule }).inc();
    }
    registry.register(
        "alerts_firing",
        "Branches each [[alert]] rule fires for now",
        firing,
    );
    let pending = Gauge::<i64>::default();
    let count = crate::store::alert::outbox::pending_count(store).await?;
    pending.set(i64::try_from(count).unwrap_or(i64::MAX));
    registry.register(
        "alert_messages_pending",
        "Alert messages queued for their webhooks and not yet delivered",
        pending,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::store::db::query::query;
    use crate::store::Store;

    /// A closed day and a firing alert as a scrape shows them, on a real SQLite store.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_day_and_a_firing_alert_are_scraped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("hq.db").display()), 2)
            .await
            .unwrap();
        for sql in [
            "INSERT INTO org (code, name, created_at) VALUES ('001', 'g', 'x')",
            "INSERT INTO branch (id, code, name, org, mode, customer, supplier, warehouse, token_sha256, created_at) \
             VALUES (1, 'GZ', 'g', '001', 'independent', 'C', 'S', 'W', 'h', '2026-12-01T00:00:00Z')",
            "INSERT INTO day_close VALUES (1, '2026-12-02', 'closed', 1, 1, '1', '1', '0', 1, 1, 1, 1, 'x', NULL)",
            "INSERT INTO alert_firing VALUES ('gz-silent', 1, '2026-12-03T00:00:00Z')",
        ] {
            query(sql).execute(store.pool()).await.unwrap();
        }
        let text = render(&store, chrono::Utc::now()).await.unwrap();
        let lines = [
            "branchline_hq_branch_last_closed_day_seconds{branch=\"GZ\",org=\"001\"} 1796169600",
            "branchline_hq_alerts_firing{rule=\"gz-silent\"} 1",
            "branchline_hq_alert_messages_pending 0",
        ];
        for line in lines {
            assert!(text.lines().any(|shown| shown == line), "no {line} in\n{text}");
        }
    }
}
