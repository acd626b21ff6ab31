//! Identity from the client certificate: under mutual TLS a certificate names its branch
//! by a subjectAltName DNS name or, when it has no DNS name at all, by its subject common name
//! (CN). A CN naming another branch, or a CN beside DNS names, is refused like a foreign
//! certificate.

use branchline_tests::process::TempDir;
use branchline_tests::security::{
    audit_events, hello_request, launch_configured_hq, register_branch, secure_admin, secure_transfer,
    ClientTls, TestPki,
};
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_identity_from_common_name_when_no_san_names_the_branch() {
    let certs = TempDir::new("pki-cn").unwrap();
    let pki = TestPki::new(certs.path(), "hq").unwrap();
    let hq = launch_configured_hq(|config| config.tls = Some(pki.serve_tls(true)))
        .await
        .unwrap();
    let mut admin = secure_admin(&hq.url, &ClientTls::trusting(&pki.ca))
        .await
        .unwrap();
    let sz_token = register_branch(&mut admin, "SZ", "001").await.unwrap();
    let gz_token = register_branch(&mut admin, "GZ", "002").await.unwrap();
    let presenting = |pair| ClientTls::presenting(&pki.ca, pair);

    // A certificate carrying the branch code only in its subject CN identifies the branch.
    let sz_by_cn = pki.branch_by_common_name("SZ").unwrap();
    let mut sz = secure_transfer(&hq.url, &presenting(sz_by_cn.clone()), &sz_token)
        .await
        .unwrap();
    let answer = sz
        .hello(hello_request("SZ"))
        .await
        .expect("hello with a CN-only certificate");
    assert_eq!(answer.into_inner().branch, "SZ");

    // The CN compares case-insensitively, like the subjectAltName.
    let sz_lower = pki.branch_by_common_name("sz").unwrap();
    let mut lower = secure_transfer(&hq.url, &presenting(sz_lower), &sz_token)
        .await
        .unwrap();
    assert_eq!(
        lower
            .hello(hello_request("SZ"))
            .await
            .unwrap()
            .into_inner()
            .branch,
        "SZ"
    );

    // GZ's token with SZ's CN-only certificate: PERMISSION_DENIED, audited under GZ.
    let mut borrowed = secure_transfer(&hq.url, &presenting(sz_by_cn), &gz_token)
        .await
        .unwrap();
    let refused = borrowed.hello(hello_request("GZ")).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("GZ"), "{}", refused.message());

    // A CN that only starts with the code names another branch.
    let prefix = pki.branch_by_common_name("SZX").unwrap();
    let mut prefixed = secure_transfer(&hq.url, &presenting(prefix), &sz_token)
        .await
        .unwrap();
    assert_eq!(
        prefixed.hello(hello_request("SZ")).await.unwrap_err().code(),
        Code::PermissionDenied
    );

    // Once a certificate carries DNS names its CN is not consulted: SAN GZ with CN SZ is not SZ's.
    let mixed = pki.branch_with_san_and_cn("GZ", "SZ").unwrap();
    let mut mixed = secure_transfer(&hq.url, &presenting(mixed), &sz_token)
        .await
        .unwrap();
    assert_eq!(
        mixed.hello(hello_request("SZ")).await.unwrap_err().code(),
        Code::PermissionDenied
    );

    // A subjectAltName certificate still works next to it.
    let mut gz = secure_transfer(&hq.url, &presenting(pki.branch("GZ").unwrap()), &gz_token)
        .await
        .unwrap();
    assert_eq!(
        gz.hello(hello_request("GZ")).await.unwrap().into_inner().branch,
        "GZ"
    );

    let events = audit_events(&mut admin).await.unwrap();
    assert!(
        events
            .iter()
            .any(|event| event.actor == "GZ" && event.action == "refused: permission denied"),
        "{events:?}"
    );
    hq.shutdown().await.unwrap();
}
