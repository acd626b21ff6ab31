//! The credential gate: calls without a known credential are limited per caller address
//! (`limits.unauthenticated_requests_per_second`), on every service, while a known branch from
//! the same address keeps working, and a branch new to HQ that shares its address with such a
//! flood gets in; and the gate's credential cache never outlives a revoke or a rotation, on the
//! replica that made it or on another one over the same store; and a branch's refusal at the gate
//! shows in the audit of the region it belongs to.

use crate::hq_support::setup_branch;
use branchline_proto::v1::{AuditRequest, RevokeBranchRequest, RotateBranchTokenRequest, StatusRequest};
use branchline_tests::hq::{admin_client, transfer_client, TEST_ADMIN_TOKEN};
use branchline_tests::people::add_person;
use branchline_tests::security::{audit_events, hello_request, launch_configured_hq};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tonic::Code;

const UNAUTHENTICATED_BURST: u32 = 5;
const FLOOD_TASKS: usize = 4;
/// More calls than the burst plus what the bucket could refill while they run, however slowly.
const CALLS_UNTIL_LIMITED_MAX: usize = 200;

fn fresh_token(idx: usize) -> String {
    format!("{idx:064x}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_unknown_credentials_are_limited_per_address() {
    let hq = launch_configured_hq(|config| {
        config.limits.unauthenticated_requests_per_second = 1;
        config.limits.unauthenticated_request_burst = UNAUTHENTICATED_BURST;
    })
    .await
    .unwrap();
    let good_token = setup_branch(&hq.url, "SZ", "001.001").await;
    let mut good = transfer_client(&hq.url, &good_token).await;
    good.hello(hello_request("SZ"))
        .await
        .expect("the branch's first call");

    // Fresh random tokens from 127.0.0.1: the burst is refused as unauthenticated, then the
    // address is over its limit and the rest are RESOURCE_EXHAUSTED.
    let mut codes = Vec::new();
    for idx in 0..CALLS_UNTIL_LIMITED_MAX {
        let mut stranger = transfer_client(&hq.url, &fresh_token(idx)).await;
        let status = stranger.hello(hello_request("SZ")).await.unwrap_err();
        codes.push(status.code());
        if status.code() == Code::ResourceExhausted {
            assert!(
                status
                    .message()
                    .contains("limits.unauthenticated_requests_per_second = 1"),
                "{status:?}"
            );
            break;
        }
    }
    let burst = UNAUTHENTICATED_BURST as usize;
    assert_eq!(codes[..burst], vec![Code::Unauthenticated; burst], "{codes:?}");
    assert_eq!(codes.last(), Some(&Code::ResourceExhausted), "{codes:?}");
    assert!(codes[..codes.len() - 1]
        .iter()
        .all(|code| *code == Code::Unauthenticated));

    // The same address is limited on every service, with or without a token...
    let mut no_token = transfer_client(&hq.url, "").await;
    let status = no_token.hello(hello_request("SZ")).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let mut stranger_admin = admin_client(&hq.url, &fresh_token(CALLS_UNTIL_LIMITED_MAX)).await;
    let status = stranger_admin.status(StatusRequest::default()).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    // ...but the known branch and the admin credential are not.
    good.hello(hello_request("SZ"))
        .await
        .expect("a known branch from the same address");
    let mut admin = admin_client(&hq.url, TEST_ADMIN_TOKEN).await;
    admin
        .status(StatusRequest::default())
        .await
        .expect("the admin token");

    // A branch token on the admin service is still PERMISSION_DENIED, not limited.
    let mut branch_as_admin = admin_client(&hq.url, &good_token).await;
    let status = branch_as_admin
        .status(StatusRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    let events = audit_events(&mut admin).await.unwrap();
    assert!(
        events.iter().any(|event| event.actor == "unknown"
            && event.action == "refused: resource exhausted"
            && event
                .detail
                .starts_with("hello: too many calls without a known credential from 127.0.0.1")),
        "{events:#?}"
    );
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_revoke_and_rotate_through_one_replica_refuse_on_the_other_at_once() {
    let replica_a = launch_configured_hq(|config| {
        config.limits.branch_requests_per_second = 20;
        config.limits.branch_request_burst = 3;
    })
    .await
    .unwrap();
    let replica_b = replica_a.replica().await.unwrap();
    let old_token = setup_branch(&replica_a.url, "SZ", "001.001").await;

    // Both replicas know the token (their caches hold it) and have refused it for its rate.
    let mut on_a = transfer_client(&replica_a.url, &old_token).await;
    let mut on_b = transfer_client(&replica_b.url, &old_token).await;
    for on_replica in [&mut on_a, &mut on_b] {
        let mut admitted = 0;
        while on_replica.hello(hello_request("SZ")).await.is_ok() {
            admitted += 1;
            assert!(
                admitted < CALLS_UNTIL_LIMITED_MAX,
                "a replica never limited the branch"
            );
        }
    }

    // Rotate through A: on B the old token is never admitted again, the new one is.
    let mut admin_a = admin_client(&replica_a.url, TEST_ADMIN_TOKEN).await;
    let new_token = admin_a
        .rotate_branch_token(RotateBranchTokenRequest { code: "SZ".into() })
        .await
        .unwrap()
        .into_inner()
        .token;
    // A forgot the old token when it rotated it: the very next call is UNAUTHENTICATED.
    let status = on_a.hello(hello_request("SZ")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_refused_for_good(&mut on_b, "the rotated-out token").await;
    let mut new_on_b = transfer_client(&replica_b.url, &new_token).await;
    // The branch's rate on B is spent (the old token spent it); the new token is admitted as
    // soon as the bucket refills.
    assert_eq!(hello_once_within_rate(&mut new_on_b, "SZ").await, "SZ");

    // Revoke through A: B refuses the current token from the next call on.
    admin_a
        .revoke_branch(RevokeBranchRequest { code: "SZ".into() })
        .await
        .unwrap();
    assert_refused_for_good(&mut new_on_b, "the revoked token").await;

    replica_b.shutdown().await.unwrap();
    replica_a.shutdown().await.unwrap();
}

/// Calls hello until it is admitted, every refusal on the way RESOURCE_EXHAUSTED (a rate or an
/// address limit that frees up); returns the branch HQ named.
async fn hello_once_within_rate(client: &mut branchline_tests::hq::HqTransferClient, branch: &str) -> String {
    loop {
        match client.hello(hello_request(branch)).await {
            Ok(hello) => return hello.into_inner().branch,
            Err(status) => assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}"),
        }
        tokio::task::yield_now().await;
    }
}

/// Calls hello until the token is refused as UNAUTHENTICATED; any call admitted on the way fails.
/// While the branch is over its rate on this replica the refusal may be RESOURCE_EXHAUSTED first
/// (the gate refuses a cached, rate-limited token before asking the store); the first call the
/// rate lets through reaches the store and is refused as unauthenticated.
async fn assert_refused_for_good(client: &mut branchline_tests::hq::HqTransferClient, what: &str) {
    for _ in 0..CALLS_UNTIL_LIMITED_MAX * 50 {
        match client.hello(hello_request("SZ")).await {
            Ok(response) => panic!("{what} was admitted: {response:?}"),
            Err(status) if status.code() == Code::Unauthenticated => return,
            Err(status) => assert_eq!(status.code(), Code::ResourceExhausted, "{what}: {status:?}"),
        }
        tokio::task::yield_now().await;
    }
    panic!("{what} was never refused as unauthenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_flood_of_unknown_tokens_does_not_lock_out_a_branch_on_the_same_address() {
    let hq = launch_configured_hq(|config| {
        config.limits.unauthenticated_requests_per_second = 1;
        config.limits.unauthenticated_request_burst = 2;
    })
    .await
    .unwrap();
    let url = hq.url.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let limited = Arc::new(AtomicU64::new(0));
    let flooders: Vec<_> = (0..FLOOD_TASKS)
        .map(|task_idx| {
            let (url, stop, limited) = (url.clone(), Arc::clone(&stop), Arc::clone(&limited));
            tokio::spawn(async move {
                let mut call_idx = task_idx;
                while !stop.load(Ordering::Relaxed) {
                    let mut stranger = transfer_client(&url, &fresh_token(call_idx)).await;
                    let status = stranger.hello(hello_request("SZ")).await.unwrap_err();
                    match status.code() {
                        Code::ResourceExhausted => {
                            limited.fetch_add(1, Ordering::Relaxed);
                        }
                        code => assert_eq!(code, Code::Unauthenticated, "{status:?}"),
                    }
                    call_idx += FLOOD_TASKS;
                }
            })
        })
        .collect();
    while limited.load(Ordering::Relaxed) == 0 {
        tokio::task::yield_now().await;
    }

    // A branch registered during the flood, calling from the flooded address with a token this
    // HQ has never seen: refused for the address at most until the gate reloads its cache.
    let token = setup_branch(&url, "NB", "001.001").await;
    let mut newcomer = transfer_client(&url, &token).await;
    assert_eq!(hello_once_within_rate(&mut newcomer, "NB").await, "NB");
    newcomer
        .hello(hello_request("NB"))
        .await
        .expect("a known branch is no longer limited by its address");

    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        flooder.await.unwrap();
    }
    assert!(limited.load(Ordering::Relaxed) > 0);
    hq.shutdown().await.unwrap();
}

/// A branch's refusal at the gate (here its request rate) belongs to the branch's organization,
/// so the regional account over it sees it in its own audit, and one beside it does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_a_branch_rate_refusal_is_in_its_regions_audit() {
    let hq = launch_configured_hq(|config| {
        config.limits.branch_requests_per_second = 1;
        config.limits.branch_request_burst = 1;
    })
    .await
    .unwrap();
    let token = setup_branch(&hq.url, "SZ", "001.002").await;
    branchline_tests::hq::add_org(&hq.url, "001.003", "广州")
        .await
        .unwrap();
    let sz_viewer = add_person(&hq.url, "sz-viewer", "viewer", "001.002")
        .await
        .unwrap();
    let gz_viewer = add_person(&hq.url, "gz-viewer", "viewer", "001.003")
        .await
        .unwrap();
    let mut sz = transfer_client(&hq.url, &token).await;
    let mut limited = None;
    for _ in 0..CALLS_UNTIL_LIMITED_MAX {
        if let Err(status) = sz.hello(hello_request("SZ")).await {
            limited = Some(status);
            break;
        }
    }
    let status = limited.expect("SZ over its rate");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let audit_of = |token: String| {
        let url = hq.url.clone();
        async move {
            let mut admin = admin_client(&url, &token).await;
            admin
                .audit(AuditRequest::default())
                .await
                .unwrap()
                .into_inner()
                .events
        }
    };
    let refused = |events: &[branchline_proto::v1::AuditEvent]| {
        events
            .iter()
            .any(|event| event.actor == "SZ" && event.action == "refused: resource exhausted")
    };
    let sz_events = audit_of(sz_viewer.token).await;
    assert!(refused(&sz_events), "{sz_events:?}");
    assert!(
        sz_events.iter().all(|event| event.org.starts_with("001.002")),
        "{sz_events:?}"
    );
    assert!(!refused(&audit_of(gz_viewer.token).await));
}
