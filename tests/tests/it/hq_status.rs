//! Admin/Status as the board reads it, on SQLite and on PostgreSQL: the agent's release and the
//! ledger's backlog in entries and documents reach HQ (equal at both ends), applied templates
//! count only once the branch acknowledged their delivery, and health follows the `[health]`
//! thresholds: never in contact is red, a backlog past a threshold amber, silence past the red
//! threshold red, and a branch that speaks again turns back.

use crate::hq_support::{batch, push, sales_out, setup_branch, wire};
use anyhow::Context;
use branchline_proto::v1::{BranchStatus, CreateTemplateRequest, HelloRequest, PublishTemplateRequest};
use branchline_shared::EntryBody;
use branchline_tests::agent::{agent_with, ledger_positions, prepare_branch};
use branchline_tests::hq::{launch_hq, launch_hq_with, HqHandle, HqStoreKind};
use branchline_tests::process::TempDir;
use branchline_tests::security::hello_request;
use hq_server::health::HealthThresholds;
use std::time::{Duration, Instant};

/// Far longer than a silence of a few seconds takes to turn red; a bound, not a measurement.
const RED_WAIT: Duration = Duration::from_secs(60);

async fn branch_status(hq: &HqHandle, code: &str) -> anyhow::Result<BranchStatus> {
    hq.status()
        .await?
        .into_iter()
        .find(|branch| branch.branch == code)
        .with_context(|| format!("branch {code} in Admin/Status"))
}

async fn agent_release_and_document_backlog(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let dir = TempDir::new("hq-status-agent").unwrap();
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "SZ", "002", 6, 11)
        .await
        .unwrap();

    let never = branch_status(&hq, "SZ").await.unwrap();
    assert_eq!(
        (never.health.as_str(), never.health_reason.as_str()),
        ("red", "never in contact with HQ")
    );
    assert_eq!(
        (never.name.as_str(), never.agent_version.as_str()),
        ("branch SZ", "")
    );

    // Hello alone (a pull with nothing to pull) reports the backlog the ledger counts.
    agent_with(&ledger, hq.url(), &token, &["once", "--pull"])
        .unwrap()
        .expect_ok();
    let at_branch = ledger_positions(&ledger).unwrap();
    assert!(at_branch.backlog_documents >= 6, "{at_branch:?}");
    let at_hq = branch_status(&hq, "SZ").await.unwrap();
    assert_eq!(
        (at_hq.backlog, at_hq.backlog_documents),
        (at_branch.backlog, at_branch.backlog_documents)
    );
    assert_eq!(at_hq.agent_version, transfer_agent::greeting::AGENT_VERSION);
    assert!(!at_hq.agent_version.is_empty());
    assert_eq!(
        (at_hq.health.as_str(), at_hq.health_reason.as_str()),
        ("green", "")
    );

    // A template queued but not yet applied is not the branch's.
    let mut admin = hq.admin().await;
    admin
        .create_template(CreateTemplateRequest {
            name: "base".into(),
            kinds: vec!["product".into(), "customer".into()],
            codes: Vec::new(),
        })
        .await
        .unwrap();
    admin
        .publish_template(PublishTemplateRequest {
            name: "base".into(),
            orgs: vec!["001.002".into()],
        })
        .await
        .unwrap();
    assert!(branch_status(&hq, "SZ").await.unwrap().templates.is_empty());

    // Push and pull, then Hello again: nothing left to send, the template applied.
    agent_with(&ledger, hq.url(), &token, &["once"])
        .unwrap()
        .expect_ok();
    agent_with(&ledger, hq.url(), &token, &["once", "--pull"])
        .unwrap()
        .expect_ok();
    let at_branch = ledger_positions(&ledger).unwrap();
    let at_hq = branch_status(&hq, "SZ").await.unwrap();
    assert_eq!((at_branch.backlog, at_branch.backlog_documents), (0, 0));
    assert_eq!((at_hq.backlog, at_hq.backlog_documents), (0, 0));
    assert_eq!(at_hq.inbox_seq, at_branch.inbox_seq);
    let applied: Vec<(&str, u64)> = at_hq
        .templates
        .iter()
        .map(|template| (template.name.as_str(), template.version))
        .collect();
    assert_eq!(applied, [("base", 1)]);
    hq.shutdown().await.unwrap();
}

on_both_stores!(
    agent_release_and_document_backlog,
    status_carries_the_agent_release_document_backlog_and_templates_on_sqlite,
    status_carries_the_agent_release_document_backlog_and_templates_on_postgres
);

/// Thresholds of a few seconds and entries, so that a test sees every state.
fn tiny_thresholds() -> HealthThresholds {
    HealthThresholds {
        amber_silence_seconds: 5,
        red_silence_seconds: 6,
        amber_backlog: 3,
        red_backlog: 50,
    }
}

fn hello_with_backlog(entries: u64, documents: u64) -> HelloRequest {
    HelloRequest {
        backlog: entries,
        backlog_documents: documents,
        agent_version: "9.9.9-test".into(),
        ..hello_request("SZ")
    }
}

async fn silence_turns_red(store: HqStoreKind) {
    let hq = launch_hq_with(store, |config| config.health = tiny_thresholds()).await;
    let token = setup_branch(hq.url(), "SZ", "001.001").await;
    let mut client = hq.transfer(&token).await;

    client.hello(hello_with_backlog(0, 0)).await.unwrap();
    let spoke = branch_status(&hq, "SZ").await.unwrap();
    assert_eq!(
        (spoke.health.as_str(), spoke.agent_version.as_str()),
        ("green", "9.9.9-test")
    );

    // A batch's backlog replaces Hello's: past amber_backlog, the branch is amber.
    let mut pushed = batch(
        "SZ",
        1,
        vec![wire(1, EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "1")))],
    );
    (pushed.backlog, pushed.backlog_documents) = (4, 3);
    push(&mut client, pushed).await.unwrap();
    let behind = branch_status(&hq, "SZ").await.unwrap();
    assert_eq!((behind.backlog, behind.backlog_documents), (4, 3));
    assert_eq!(
        (behind.health.as_str(), behind.health_reason.as_str()),
        ("amber", "backlog 4 entries (amber from 3)")
    );

    // Then nothing more: past red_silence_seconds it is red, the worst cause first.
    let started = Instant::now();
    let red = loop {
        let status = branch_status(&hq, "SZ").await.unwrap();
        if status.health == "red" {
            break status;
        }
        assert!(started.elapsed() < RED_WAIT, "still {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        red.health_reason.starts_with("silent for ")
            && red
                .health_reason
                .ends_with(" (red after 6s); backlog 4 entries (amber from 3)"),
        "{}",
        red.health_reason
    );

    // A branch that speaks again, with nothing left to send, is green again.
    client.hello(hello_with_backlog(0, 0)).await.unwrap();
    let back = branch_status(&hq, "SZ").await.unwrap();
    assert_eq!((back.health.as_str(), back.health_reason.as_str()), ("green", ""));
    hq.shutdown().await.unwrap();
}

on_both_stores!(
    silence_turns_red,
    a_branch_silent_past_the_red_threshold_turns_red_on_sqlite,
    a_branch_silent_past_the_red_threshold_turns_red_on_postgres
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_release_that_is_not_one_is_refused() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let token = setup_branch(hq.url(), "SZ", "001.001").await;
    let mut client = hq.transfer(&token).await;
    let mut hello = hello_with_backlog(0, 0);
    hello.agent_version = "x".repeat(65);
    let refused = client.hello(hello).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().starts_with("agent_version \"xxx"),
        "{}",
        refused.message()
    );
    assert_eq!(branch_status(&hq, "SZ").await.unwrap().health, "red");
    hq.shutdown().await.unwrap();
}
