//! A ledger driven with another branch's token: HQ refuses every push, pull and reconcile whose
//! ledger branch is not the credential's (PERMISSION_DENIED, audited), the agent stops before
//! sending or applying anything, and neither the ledger nor HQ changes. The right token then works.

use crate::hq_support::{batch, push, sales_out, wire};
use anyhow::{ensure, Context, Result};
use branchline_proto::v1::{
    AuditRequest, BranchStatus, CreateTemplateRequest, HelloRequest, PublishTemplateRequest, PullRequest,
    ReconcileDocumentsRequest, ReconcileSummaryRequest,
};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{BaseKind, BaseRecord, EntryBody};
use branchline_tests::agent::{agent_with, hq_totals, ledger_positions, ledger_totals, prepare_branch};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind};
use branchline_tests::process::TempDir;
use std::path::Path;
use tonic::Code;

/// What must not move while a wrong token is tried: HQ's status of every branch and what it
/// holds for SZ and GZ, and SZ's ledger positions.
#[derive(Debug, PartialEq)]
struct Snapshot {
    statuses: Vec<BranchStatus>,
    hq_documents: (u64, u64),
    acked_seq: u64,
    inbox_seq: u64,
}

async fn snapshot(hq: &HqHandle, sz_ledger: &Path) -> Result<Snapshot> {
    let positions = ledger_positions(sz_ledger)?;
    Ok(Snapshot {
        statuses: hq.status().await?,
        hq_documents: (
            hq_totals(hq.db_url(), "SZ").await?.documents,
            hq_totals(hq.db_url(), "GZ").await?.documents,
        ),
        acked_seq: positions.acked_seq,
        inbox_seq: positions.inbox_seq,
    })
}

/// HQ's audit rows refusing GZ's credential with permission denied for `call`.
async fn denied_audits(hq: &HqHandle, call: &str) -> Result<usize> {
    let events = hq
        .admin()
        .await
        .audit(AuditRequest::default())
        .await?
        .into_inner()
        .events;
    Ok(events
        .iter()
        .filter(|event| {
            event.actor == "GZ"
                && event.action == "refused: permission denied"
                && event.detail.starts_with(&format!("{call}:"))
                && event.detail.contains("SZ")
        })
        .count())
}

/// A template in GZ's inbox, so that a pull with GZ's token has something to take.
async fn publish_to_gz(hq: &HqHandle) -> Result<()> {
    let mut product = BaseRecord::new(BaseKind::Product, "P9001", "HQ product");
    product.unit = "pcs".to_owned();
    hq.import(BaseKind::Product, &[product]).await?;
    let mut admin = hq.admin().await;
    admin
        .create_template(CreateTemplateRequest {
            name: "catalog".into(),
            kinds: vec!["product".into()],
            codes: vec![],
        })
        .await?;
    let published = admin
        .publish_template(PublishTemplateRequest {
            name: "catalog".into(),
            orgs: vec!["001.002".into()],
        })
        .await?
        .into_inner();
    ensure!(
        published.branches == ["GZ"],
        "published to {:?}",
        published.branches
    );
    Ok(())
}

fn assert_names_both_branches(stderr: &str, ledger: &Path) {
    assert_eq!(stderr.trim().lines().count(), 1, "one-line error: {stderr}");
    for needle in ["branch SZ", "branch GZ", &ledger.display().to_string()] {
        assert!(stderr.contains(needle), "{needle:?} missing from: {stderr}");
    }
}

/// The agent on SZ's ledger with GZ's token, push, pull and reconcile as separate runs.
async fn agent_with_wrong_token(hq: &HqHandle, sz_ledger: &Path, gz_token: &str) -> Result<()> {
    let before = snapshot(hq, sz_ledger).await?;
    for args in [&["once", "--push"][..], &["once", "--pull"], &["reconcile"]] {
        let refused = agent_with(sz_ledger, hq.url(), gz_token, args)?.expect_err();
        assert_names_both_branches(&refused.stderr, sz_ledger);
        assert!(!refused.stdout.contains("drift"), "{args:?}: {}", refused.stdout);
        let after = snapshot(hq, sz_ledger).await?;
        assert_eq!(
            before, after,
            "{args:?} with another branch's token changed something"
        );
    }
    ensure!(denied_audits(hq, "hello").await? >= 1, "no audited hello refusal");
    Ok(())
}

/// Direct calls with GZ's credential naming SZ's (or no) ledger: all PERMISSION_DENIED, audited.
async fn direct_calls_with_wrong_branch(hq: &HqHandle, sz_ledger: &Path, gz_token: &str) -> Result<()> {
    let before = snapshot(hq, sz_ledger).await?;
    let mut client = hq.transfer(gz_token).await;
    for ledger_branch in ["SZ", ""] {
        let hello = HelloRequest {
            protocol_version: PROTOCOL_VERSION,
            epoch: 1,
            backlog: 99,
            branch: ledger_branch.into(),
            ..HelloRequest::default()
        };
        let refused = client.hello(hello).await.unwrap_err();
        assert_eq!(
            refused.code(),
            Code::PermissionDenied,
            "hello {ledger_branch:?}: {refused:?}"
        );
    }
    let foreign = batch(
        "SZ",
        1,
        vec![wire(1, EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "3")))],
    );
    let refused = push(&mut client, foreign).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "push: {refused:?}");
    let pull = PullRequest {
        protocol_version: PROTOCOL_VERSION,
        after_seq: 1,
        max_entries: 10,
        branch: "SZ".into(),
    };
    let refused = client.pull(pull).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "pull: {refused:?}");
    let summary = ReconcileSummaryRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        branch: "SZ".into(),
    };
    let refused = client.reconcile_summary(summary).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::PermissionDenied,
        "reconcile summary: {refused:?}"
    );
    let documents = ReconcileDocumentsRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        doc_type: "sales-out".into(),
        month: "2026-01".into(),
        branch: "SZ".into(),
    };
    let refused = client.reconcile_documents(documents).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::PermissionDenied,
        "reconcile documents: {refused:?}"
    );
    assert_eq!(
        before,
        snapshot(hq, sz_ledger).await?,
        "a refused call changed something"
    );
    for call in ["push", "pull", "reconcile_summary", "reconcile_documents"] {
        ensure!(denied_audits(hq, call).await? == 1, "no audited {call} refusal");
    }
    Ok(())
}

async fn wrong_branch_token_changes_nothing(store: HqStoreKind, label: &str) -> Result<()> {
    let hq = launch_hq(store).await;
    let dir = TempDir::new(label)?;
    let (sz_ledger, sz_token) = prepare_branch(hq.url(), dir.path(), "SZ", "001", 20, 7).await?;
    let (gz_ledger, gz_token) = prepare_branch(hq.url(), dir.path(), "GZ", "002", 10, 8).await?;
    publish_to_gz(&hq).await?;

    agent_with_wrong_token(&hq, &sz_ledger, &gz_token).await?;
    direct_calls_with_wrong_branch(&hq, &sz_ledger, &gz_token).await?;

    // The right tokens work, and each branch's data is filed as its own.
    agent_with(&sz_ledger, hq.url(), &sz_token, &["once"])?.expect_ok();
    agent_with(&gz_ledger, hq.url(), &gz_token, &["once"])?.expect_ok();
    for (code, ledger) in [("SZ", &sz_ledger), ("GZ", &gz_ledger)] {
        let at_hq = hq_totals(hq.db_url(), code).await?;
        assert_eq!(
            at_hq,
            ledger_totals(ledger)?,
            "{code}: HQ differs from the ledger"
        );
        agent_with(
            ledger,
            hq.url(),
            if code == "SZ" { &sz_token } else { &gz_token },
            &["reconcile"],
        )?
        .expect_ok();
    }
    assert_eq!(
        ledger_positions(&sz_ledger)?.inbox_seq,
        0,
        "SZ received GZ's template"
    );
    assert_eq!(
        ledger_positions(&gz_ledger)?.inbox_seq,
        1,
        "GZ did not receive its template"
    );
    hq.shutdown().await.context("HQ shutdown")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_wrong_branch_token_is_refused_on_sqlite() {
    wrong_branch_token_changes_nothing(HqStoreKind::Sqlite, "wrong-branch-sqlite")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_wrong_branch_token_is_refused_on_postgres() {
    let Some(store) = HqStoreKind::postgres("security_wrong_branch").await else {
        return;
    };
    wrong_branch_token_changes_nothing(store, "wrong-branch-pg")
        .await
        .unwrap();
}
