//! Credentials: `hq-server admin branch token rotate` and `branch revoke` on a running
//! HQ take effect at once, without a restart, and are audited.

use branchline_proto::v1::{AuditRequest, HelloRequest};
use branchline_proto::PROTOCOL_VERSION;
use branchline_tests::hq::{launch_hq, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::process::run;
use tonic::Code;

fn hello() -> HelloRequest {
    HelloRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        branch: "SZ".into(),
        ..HelloRequest::default()
    }
}

fn admin(hq_url: &str, args: &[&str]) -> branchline_tests::process::Run {
    let mut all = vec!["admin", "--hq", hq_url, "--token", TEST_ADMIN_TOKEN];
    all.extend_from_slice(args);
    run("hq-server", all).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_token_rotate_and_revoke_take_effect_at_once() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    hq.add_org("001", "group").await.unwrap();
    let old_token = hq.add_branch("SZ", "001").await.unwrap();
    let mut old = hq.transfer(&old_token).await;
    old.hello(hello()).await.expect("the first token works");

    // Rotate: the new token works, the old one is refused on the very next call (same connection).
    let rotated = admin(hq.url(), &["branch", "token", "rotate", "SZ"]).expect_ok();
    let new_token = rotated.last_line().to_owned();
    assert_eq!(new_token.len(), 64, "{}", rotated.stdout);
    assert_ne!(new_token, old_token);
    let refused = old.hello(hello()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let mut new = hq.transfer(&new_token).await;
    assert_eq!(new.hello(hello()).await.unwrap().into_inner().branch, "SZ");

    // Revoke: the current token stops working at once; a rotation brings the branch back.
    admin(hq.url(), &["branch", "revoke", "SZ"]).expect_ok();
    let refused = new.hello(hello()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let restored = admin(hq.url(), &["branch", "token", "rotate", "SZ"]).expect_ok();
    let mut restored_client = hq.transfer(restored.last_line()).await;
    restored_client
        .hello(hello())
        .await
        .expect("a rotated token after a revoke works");

    // An unknown branch is a one-line error, and a branch token cannot rotate anything.
    let unknown = admin(hq.url(), &["branch", "revoke", "XX"]).expect_err();
    assert!(
        unknown.stderr.contains("branch XX is not registered"),
        "{}",
        unknown.stderr
    );
    let mut as_branch = vec!["admin", "--hq", hq.url(), "--token", restored.last_line()];
    as_branch.extend(["branch", "token", "rotate", "SZ"]);
    let denied = run("hq-server", as_branch).unwrap().expect_err();
    assert!(denied.stderr.contains("PermissionDenied"), "{}", denied.stderr);

    // Every step is in the audit log; no token appears in it.
    let events = hq
        .admin()
        .await
        .audit(AuditRequest::default())
        .await
        .unwrap()
        .into_inner()
        .events;
    let actions: Vec<&str> = events.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "branch token rotate").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"branch revoke"), "{actions:?}");
    assert!(actions.contains(&"refused: unauthenticated"), "{actions:?}");
    for event in &events {
        for token in [&old_token, &new_token] {
            assert!(
                !event.detail.contains(token.as_str()),
                "token in the audit log: {event:?}"
            );
        }
    }
    hq.shutdown().await.unwrap();
}
