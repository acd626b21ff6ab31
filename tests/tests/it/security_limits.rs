//! Limits from config: message size (OUT_OF_RANGE from tonic), batch entries and
//! per-branch request rate (RESOURCE_EXHAUSTED naming the limit), each refusal audited and
//! nothing applied.

use crate::hq_support::{batch, push, sales_out, setup_branch, wire};
use branchline_proto::v1::BundleUpload;
use branchline_shared::EntryBody;
use branchline_tests::hq::{admin_client, transfer_client, HqTransferClient};
use branchline_tests::security::{audit_events, branch_last_seq, hello_request, launch_configured_hq};
use tonic::Code;

const MESSAGE_BYTES_MAX: usize = 64 * 1024;

/// Says Hello up to `calls` times; the index of the first call refused, which must be refused
/// for the request rate, naming the limit.
async fn hellos_until_refused(sz: &mut HqTransferClient, calls: usize) -> Option<usize> {
    for call_idx in 0..calls {
        if let Err(status) = sz.hello(hello_request("SZ")).await {
            assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
            assert!(
                status.message().contains("limits.branch_requests_per_second"),
                "{}",
                status.message()
            );
            return Some(call_idx);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_limits_refuse_with_their_codes_and_audit() {
    let hq = launch_configured_hq(|config| {
        config.limits.max_message_bytes = MESSAGE_BYTES_MAX;
        config.limits.max_batch_entries = 3;
        config.limits.branch_requests_per_second = 1;
        config.limits.branch_request_burst = 6;
    })
    .await
    .unwrap();
    let token = setup_branch(&hq.url, "SZ", "001.001").await;
    let mut sz = transfer_client(&hq.url, &token).await;

    // Four entries where three are allowed: RESOURCE_EXHAUSTED naming the limit.
    let entries: Vec<_> = (1..=4)
        .map(|seq| {
            wire(
                seq,
                EntryBody::Document(sales_out(&format!("SZ-{seq}"), "SZ", "C001", "1")),
            )
        })
        .collect();
    let refused = push(&mut sz, batch("SZ", 1, entries)).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("limits.max_batch_entries"),
        "{}",
        refused.message()
    );

    // A pushed batch over the message size: OUT_OF_RANGE from tonic's decoder.
    let mut huge = sales_out("SZ-1", "SZ", "C001", "1");
    huge.partner = "C".repeat(MESSAGE_BYTES_MAX);
    let refused = push(&mut sz, batch("SZ", 1, vec![wire(1, EntryBody::Document(huge))]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::OutOfRange, "{refused:?}");
    assert!(refused.message().contains("too large"), "{}", refused.message());

    // A bundle upload over the message size, too.
    let refused = sz
        .upload_bundle(BundleUpload {
            bundle: vec![b'x'; MESSAGE_BYTES_MAX + 1],
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::OutOfRange, "{refused:?}");

    // Nothing was applied.
    let mut admin = admin_client(&hq.url, branchline_tests::hq::TEST_ADMIN_TOKEN).await;
    assert_eq!(branch_last_seq(&mut admin, "SZ").await.unwrap(), 0);

    // The request rate: the burst is spent, then RESOURCE_EXHAUSTED naming the limit.
    assert!(
        hellos_until_refused(&mut sz, 20).await.is_some(),
        "20 calls at a burst of 6 and 1/s were all admitted"
    );

    // A wrong token, for the audit.
    let mut stranger = transfer_client(&hq.url, "not-a-token").await;
    assert_eq!(
        stranger.hello(hello_request("SZ")).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    let events = audit_events(&mut admin).await.unwrap();
    let refusals: Vec<(String, String)> = events
        .iter()
        .filter(|event| event.action.starts_with("refused"))
        .map(|event| (event.actor.clone(), event.action.clone()))
        .collect();
    for (actor, action) in [
        ("SZ", "refused: resource exhausted"),
        ("SZ", "refused: message too large"),
        ("unknown", "refused: unauthenticated"),
    ] {
        assert!(
            refusals.iter().any(|(a, b)| a == actor && b == action),
            "no {actor} {action:?} in {refusals:?}"
        );
    }
    let rate_refusals = events
        .iter()
        .filter(|event| event.detail.contains("limits.branch_requests_per_second"))
        .count();
    assert!(rate_refusals >= 1, "{events:?}");
    let upload_refusals = events
        .iter()
        .filter(|event| event.action == "refused: message too large" && event.detail.contains("UploadBundle"))
        .count();
    assert_eq!(upload_refusals, 1, "{events:?}");
    hq.shutdown().await.unwrap();
}
