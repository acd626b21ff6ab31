//! Floods: a branch calling far over its request rate gets RESOURCE_EXHAUSTED while
//! another branch's pushes all succeed; and a flood of refused calls leaves a bounded number of
//! rows in the append-only audit log, the rest counted in one "N more ... suppressed" row that
//! `hq-server admin audit` lists.

use crate::hq_support::{batch, push, sales_out, setup_branch, wire};
use branchline_shared::EntryBody;
use branchline_tests::hq::{admin_client, transfer_client, HqTransferClient, TEST_ADMIN_TOKEN};
use branchline_tests::process::run;
use branchline_tests::security::{audit_events, branch_last_seq, hello_request, launch_configured_hq};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tonic::Code;

const GOOD_BATCHES: u64 = 8;
const DOCS_PER_BATCH: u64 = 5;
const FLOOD_TASKS: usize = 6;
const UNAUTHENTICATED_CALLS: u64 = 200;

/// Calls hello back to back until `stop` is set and at least `min_refused` calls were refused
/// with RESOURCE_EXHAUSTED (counted in `refused`); returns how many were admitted.
async fn flood(
    mut client: HqTransferClient,
    stop: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
    min_refused: u64,
) -> u64 {
    let mut admitted = 0;
    while !(stop.load(Ordering::Relaxed) && refused.load(Ordering::Relaxed) >= min_refused) {
        match client.hello(hello_request("FL")).await {
            Ok(_) => admitted += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    admitted
}

/// Starts `FLOOD_TASKS` callers flooding as branch `token`'s owner.
async fn start_flood(
    url: &str,
    token: &str,
    min_refused: u64,
) -> (Arc<AtomicBool>, Arc<AtomicU64>, Vec<tokio::task::JoinHandle<u64>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let client = transfer_client(url, token).await;
    let tasks = (0..FLOOD_TASKS)
        .map(|_| {
            tokio::spawn(flood(
                client.clone(),
                Arc::clone(&stop),
                Arc::clone(&refused),
                min_refused,
            ))
        })
        .collect();
    (stop, refused, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_flood_is_refused_while_another_branch_pushes() {
    let hq = launch_configured_hq(|config| {
        config.limits.branch_requests_per_second = 5;
        config.limits.branch_request_burst = 10;
    })
    .await
    .unwrap();
    let good_token = setup_branch(&hq.url, "SZ", "001.001").await;
    let flood_token = setup_branch(&hq.url, "FL", "001.002").await;
    let (stop, refused, flooders) = start_flood(&hq.url, &flood_token, 1).await;

    // The good branch pushes its batches (one call each, within its own burst) during the flood.
    let mut good = transfer_client(&hq.url, &good_token).await;
    for batch_idx in 0..GOOD_BATCHES {
        let entries = (1..=DOCS_PER_BATCH)
            .map(|doc_idx| {
                let seq = batch_idx * DOCS_PER_BATCH + doc_idx;
                wire(
                    seq,
                    EntryBody::Document(sales_out(&format!("SZ-{seq}"), "SZ", "C001", "2")),
                )
            })
            .collect();
        let ack = push(&mut good, batch("SZ", 1, entries))
            .await
            .unwrap_or_else(|status| panic!("good batch {batch_idx} refused during the flood: {status:?}"));
        assert_eq!(ack.applied as u64, DOCS_PER_BATCH);
    }
    stop.store(true, Ordering::Relaxed);
    let mut admitted = 0;
    for flooder in flooders {
        admitted += flooder.await.unwrap();
    }
    assert!(refused.load(Ordering::Relaxed) > 0, "the flood was never refused");
    assert!(
        admitted >= 10,
        "the flooding branch's burst was admitted: {admitted}"
    );

    let mut admin = admin_client(&hq.url, TEST_ADMIN_TOKEN).await;
    assert_eq!(
        branch_last_seq(&mut admin, "SZ").await.unwrap(),
        GOOD_BATCHES * DOCS_PER_BATCH
    );
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_flood_of_refusals_keeps_the_audit_log_bounded() {
    let hq = launch_configured_hq(|config| {
        config.limits.branch_requests_per_second = 2;
        config.limits.branch_request_burst = 4;
        config.limits.audit_refusal_window_seconds = 3600;
        // Every unknown-token call below is UNAUTHENTICATED, none over the address limit.
        config.limits.unauthenticated_request_burst = 10 * UNAUTHENTICATED_CALLS as u32;
    })
    .await
    .unwrap();
    let flood_token = setup_branch(&hq.url, "FL", "001.002").await;

    // A branch over its rate, then callers with an unknown token.
    let (stop, refused, flooders) = start_flood(&hq.url, &flood_token, 100).await;
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        flooder.await.unwrap();
    }
    let rate_refusals = refused.load(Ordering::Relaxed);
    let mut stranger = transfer_client(&hq.url, "not-a-token").await;
    for _ in 0..UNAUTHENTICATED_CALLS {
        let status = stranger.hello(hello_request("SZ")).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }

    // While the window is open, each kind of refusal is one row.
    let mut admin = admin_client(&hq.url, TEST_ADMIN_TOKEN).await;
    let events = audit_events(&mut admin).await.unwrap();
    let rows = |actor: &str, action: &str| {
        events
            .iter()
            .filter(|event| event.actor == actor && event.action == action)
            .count()
    };
    assert_eq!(rows("FL", "refused: resource exhausted"), 1, "{events:?}");
    assert_eq!(rows("unknown", "refused: unauthenticated"), 1, "{events:?}");

    // At shutdown the counts are appended; after a restart the CLI lists them.
    let hq = hq.restart().await.unwrap();
    let listed = run(
        "hq-server",
        [
            "admin",
            "--hq",
            &hq.url,
            "--token",
            TEST_ADMIN_TOKEN,
            "audit",
            "--format",
            "json",
        ],
    )
    .unwrap()
    .expect_ok();
    let json: serde_json::Value = serde_json::from_str(listed.stdout.trim()).unwrap();
    let events = json["events"].as_array().unwrap();
    let refusal_rows: Vec<&serde_json::Value> = events
        .iter()
        .filter(|event| event["action"].as_str().unwrap().starts_with("refused"))
        .collect();
    assert_eq!(refusal_rows.len(), 4, "{refusal_rows:#?}");
    let suppressed = |actor: &str, count: u64| {
        let wanted = format!("hello: {count} more identical refusals suppressed between");
        refusal_rows
            .iter()
            .any(|event| event["actor"] == actor && event["detail"].as_str().unwrap().starts_with(&wanted))
    };
    assert!(
        suppressed("FL", rate_refusals - 1),
        "no FL row counting {} more in {refusal_rows:#?}",
        rate_refusals - 1
    );
    assert!(
        suppressed("unknown", UNAUTHENTICATED_CALLS - 1),
        "{refusal_rows:#?}"
    );
    hq.shutdown().await.unwrap();
}
