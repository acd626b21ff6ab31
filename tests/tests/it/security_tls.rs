//! TLS: every HQ endpoint over rustls; with mutual TLS a branch's token counts only
//! with a client certificate naming that branch. Real servers, real binaries, certificates made
//! by rcgen for each test.

use branchline_proto::v1::StatusRequest;
use branchline_tests::agent::{agent_with, import_documents};
use branchline_tests::hq::TEST_ADMIN_TOKEN;
use branchline_tests::ledger::seed_ledger;
use branchline_tests::process::{run, TempDir};
use branchline_tests::security::{
    audit_events, branch_last_seq, hello_request, launch_configured_hq, register_branch, secure_admin,
    secure_transfer, ClientTls, PemPair, SecureAdminClient, TestPki,
};
use std::path::Path;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_tls_serves_every_endpoint() {
    let certs = TempDir::new("pki").unwrap();
    let pki = TestPki::new(certs.path(), "hq").unwrap();
    let rogue = TestPki::new(certs.path(), "rogue").unwrap();
    let hq = launch_configured_hq(|config| config.tls = Some(pki.serve_tls(false)))
        .await
        .unwrap();
    assert!(hq.url.starts_with("https://"), "{}", hq.url);
    let trusted = ClientTls::trusting(&pki.ca);
    let mut admin = secure_admin(&hq.url, &trusted).await.unwrap();
    let token = register_branch(&mut admin, "SZ", "001").await.unwrap();

    // The transfer service over TLS with the branch token.
    let mut transfer = secure_transfer(&hq.url, &trusted, &token).await.unwrap();
    let answer = transfer
        .hello(hello_request("SZ"))
        .await
        .expect("hello over TLS")
        .into_inner();
    assert_eq!(answer.branch, "SZ");

    // Plain HTTP/2 to the TLS port gets no answer from any service.
    let plain_url = hq.url.replace("https://", "http://");
    match secure_admin(&plain_url, &ClientTls::default()).await {
        Ok(mut plain) => {
            plain.status(StatusRequest::default()).await.unwrap_err();
        }
        Err(_refused_at_connect) => {}
    }
    // A client that trusts another CA does not accept HQ's certificate.
    let untrusting = ClientTls::trusting(&rogue.ca);
    assert!(secure_admin(&hq.url, &untrusting).await.is_err());

    // The real binaries: the admin and report CLIs with --ca, the agent with --ca.
    let hq_url = hq.url.clone();
    let ca = pki.ca.display().to_string();
    assert_clis_need_the_ca(&hq_url, &ca);

    let work = TempDir::new("tls-agent").unwrap();
    let ledger = work.join("sz.db");
    drop(seed_ledger(&ledger, "SZ").unwrap());
    import_documents(&ledger, work.path(), "SZ", 5, 7).unwrap();
    agent_with(&ledger, &hq_url, &token, &["--ca", &ca, "once"])
        .unwrap()
        .expect_ok();
    let held = branch_last_seq(&mut admin, "SZ").await.unwrap();
    let ledger_status = branchline_tests::agent::ledger_positions(&ledger).unwrap();
    assert!(held > 0);
    assert_eq!(
        held, ledger_status.last_seq,
        "HQ holds every entry the ledger has"
    );

    // --ca with an http:// address is a configuration error naming the field.
    let refused = agent_with(&ledger, &plain_url, &token, &["--ca", &ca, "once"])
        .unwrap()
        .expect_err();
    assert!(refused.stderr.contains("`ca`"), "{}", refused.stderr);
    // Without --ca the agent does not trust HQ's certificate: a one-line error.
    let untrusted = agent_with(&ledger, &hq_url, &token, &["once"])
        .unwrap()
        .expect_err();
    assert_eq!(untrusted.stderr.trim().lines().count(), 1, "{}", untrusted.stderr);
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_mutual_tls_binds_token_to_certificate() {
    let certs = TempDir::new("pki").unwrap();
    let pki = TestPki::new(certs.path(), "hq").unwrap();
    let rogue = TestPki::new(certs.path(), "rogue").unwrap();
    let hq = launch_configured_hq(|config| config.tls = Some(pki.serve_tls(true)))
        .await
        .unwrap();
    // The admin service needs no client certificate: the admin token is its credential.
    let server_only = ClientTls::trusting(&pki.ca);
    let mut admin = secure_admin(&hq.url, &server_only).await.unwrap();
    let sz_token = register_branch(&mut admin, "SZ", "001").await.unwrap();
    let _gz_token = register_branch(&mut admin, "GZ", "002").await.unwrap();
    let with_cert = |pair| ClientTls::presenting(&pki.ca, pair);
    let sz_cert = pki.branch("SZ").unwrap();

    // The right token with the branch's own certificate.
    let mut sz = secure_transfer(&hq.url, &with_cert(sz_cert.clone()), &sz_token)
        .await
        .unwrap();
    assert_eq!(
        sz.hello(hello_request("SZ")).await.unwrap().into_inner().branch,
        "SZ"
    );

    // The token without a certificate: UNAUTHENTICATED.
    let mut bare = secure_transfer(&hq.url, &server_only, &sz_token).await.unwrap();
    let refused = bare.hello(hello_request("SZ")).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().contains("client certificate"),
        "{}",
        refused.message()
    );

    // The token with another branch's certificate: PERMISSION_DENIED.
    let gz_cert = pki.branch("GZ").unwrap();
    let mut borrowed = secure_transfer(&hq.url, &with_cert(gz_cert), &sz_token)
        .await
        .unwrap();
    let refused = borrowed.hello(hello_request("SZ")).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    // A certificate for SZ from a CA HQ does not trust: the handshake fails.
    let forged = ClientTls::presenting(&pki.ca, rogue.branch("SZ").unwrap());
    match secure_transfer(&hq.url, &forged, &sz_token).await {
        Ok(mut forged) => {
            forged.hello(hello_request("SZ")).await.unwrap_err();
        }
        Err(_refused_at_handshake) => {}
    }

    // The agent binary with --cert/--key pushes; without them it is refused in one line.
    assert_agent_pushes_only_with_its_certificate(&hq.url, &mut admin, &sz_token, &pki.ca, &sz_cert).await;

    // Each refusal is in the audit log, under the branch whose token was used.
    let events = audit_events(&mut admin).await.unwrap();
    let refusals: Vec<_> = events
        .iter()
        .filter(|event| event.actor == "SZ" && event.action.starts_with("refused"))
        .map(|event| event.action.as_str())
        .collect();
    assert!(refusals.contains(&"refused: unauthenticated"), "{events:?}");
    assert!(refusals.contains(&"refused: permission denied"), "{events:?}");
    hq.shutdown().await.unwrap();
}

/// The agent binary against a mutual-TLS HQ: refused in one line without the branch's
/// certificate (nothing pushed), pushes everything with `--cert`/`--key`.
async fn assert_agent_pushes_only_with_its_certificate(
    hq_url: &str,
    admin: &mut SecureAdminClient,
    sz_token: &str,
    ca: &Path,
    sz_cert: &PemPair,
) {
    let work = TempDir::new("mtls-agent").unwrap();
    let ledger = work.join("sz.db");
    drop(seed_ledger(&ledger, "SZ").unwrap());
    import_documents(&ledger, work.path(), "SZ", 3, 11).unwrap();
    let ca = ca.display().to_string();
    let refused = agent_with(&ledger, hq_url, sz_token, &["--ca", &ca, "once"])
        .unwrap()
        .expect_err();
    assert!(
        refused.stderr.contains("client certificate"),
        "{}",
        refused.stderr
    );
    assert_eq!(branch_last_seq(admin, "SZ").await.unwrap(), 0, "nothing pushed");
    let cert = sz_cert.cert.display().to_string();
    let key = sz_cert.key.display().to_string();
    agent_with(
        &ledger,
        hq_url,
        sz_token,
        &["--ca", &ca, "--cert", &cert, "--key", &key, "once"],
    )
    .unwrap()
    .expect_ok();
    let ledger_status = branchline_tests::agent::ledger_positions(&ledger).unwrap();
    assert_eq!(
        branch_last_seq(admin, "SZ").await.unwrap(),
        ledger_status.last_seq
    );
}

/// The admin and report CLIs reach a TLS HQ with `--ca`; without it, a one-line error.
fn assert_clis_need_the_ca(hq_url: &str, ca: &str) {
    run(
        "hq-server",
        [
            "admin",
            "--hq",
            hq_url,
            "--token",
            TEST_ADMIN_TOKEN,
            "--ca",
            ca,
            "status",
            "--format",
            "json",
        ],
    )
    .unwrap()
    .expect_ok();
    run(
        "hq-server",
        [
            "report",
            "--hq",
            hq_url,
            "--token",
            TEST_ADMIN_TOKEN,
            "--ca",
            ca,
            "sales",
            "--org",
            "001",
        ],
    )
    .unwrap()
    .expect_ok();
    let without_ca = run(
        "hq-server",
        ["admin", "--hq", hq_url, "--token", TEST_ADMIN_TOKEN, "status"],
    )
    .unwrap()
    .expect_err();
    assert_eq!(
        without_ca.stderr.trim().lines().count(),
        1,
        "{}",
        without_ca.stderr
    );
}
