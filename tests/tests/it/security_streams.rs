//! `limits.max_concurrent_streams`: HQ advertises it as the HTTP/2 stream limit of
//! each connection, so a client with that many calls open on one connection holds any further
//! call back until one of them ends; nothing is refused and nothing is lost.

use crate::hq_support::setup_branch;
use branchline_proto::v1::{HelloRequest, PushBatch};
use branchline_proto::PROTOCOL_VERSION;
use branchline_tests::hq::{admin_client, transfer_client, TEST_ADMIN_TOKEN};
use branchline_tests::security::launch_configured_hq;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

const STREAMS_MAX: u32 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_streams_over_the_limit_wait_for_a_free_stream() {
    let hq = launch_configured_hq(|config| config.limits.max_concurrent_streams = STREAMS_MAX)
        .await
        .unwrap();
    let token = setup_branch(&hq.url, "SZ", "001.001").await;
    // One client = one HTTP/2 connection; every call below shares it.
    let client = transfer_client(&hq.url, &token).await;

    // Fill every stream with a push that stays open (no batch sent yet).
    let mut open_pushes = Vec::new();
    for _ in 0..STREAMS_MAX {
        let (sender, receiver) = mpsc::channel::<PushBatch>(1);
        let acks = client
            .clone()
            .push(ReceiverStream::new(receiver))
            .await
            .expect("a push within the stream limit")
            .into_inner();
        open_pushes.push((sender, acks));
    }

    // One call more on the same connection: it waits for a stream.
    let mut waiting_client = client.clone();
    let waiting = tokio::spawn(async move {
        waiting_client
            .hello(HelloRequest {
                protocol_version: PROTOCOL_VERSION,
                epoch: 1,
                branch: "SZ".into(),
                ..HelloRequest::default()
            })
            .await
    });
    // Round trips on other connections go through meanwhile; the extra call still waits.
    for _ in 0..5 {
        let mut admin = admin_client(&hq.url, TEST_ADMIN_TOKEN).await;
        admin
            .status(branchline_proto::v1::StatusRequest::default())
            .await
            .expect("another connection is served");
        assert!(
            !waiting.is_finished(),
            "a call over max_concurrent_streams ran at once"
        );
    }

    // Ending one push frees its stream: the waiting call then runs and succeeds.
    let (sender, mut acks) = open_pushes.pop().unwrap();
    drop(sender);
    assert!(acks.message().await.expect("the push ends cleanly").is_none());
    let answer = waiting
        .await
        .unwrap()
        .expect("the waiting call is served, not refused");
    assert_eq!(answer.into_inner().branch, "SZ");
    drop(open_pushes);
    hq.shutdown().await.unwrap();
}
