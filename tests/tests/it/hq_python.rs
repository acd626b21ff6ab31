//! A stock gRPC client (python grpcio + grpcio-health-checking + grpcio-reflection) sees HQ's
//! health as SERVING and lists its services through server reflection.
//!
//! The python packages are installed by the test command (deploy/test.sh, into a venv whose
//! python it passes as BRANCHLINE_PYTHON); this test installs nothing. Without them it prints a
//! notice and skips, or fails under BRANCHLINE_REQUIRE_PYTHON_GRPC=1.

use branchline_tests::hq::{launch_hq, HqStoreKind};
use branchline_tests::process::run_command;
use std::path::PathBuf;
use std::process::Command;

fn python() -> String {
    std::env::var("BRANCHLINE_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn python_grpc_available(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import grpc, grpc_health.v1.health_pb2, grpc_reflection.v1alpha.proto_reflection_descriptor_database"])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_stock_python_client_sees_health_and_reflection() {
    let python = python();
    if !python_grpc_available(&python) {
        let required = std::env::var("BRANCHLINE_REQUIRE_PYTHON_GRPC").is_ok_and(|value| value == "1");
        let advice = "install grpcio grpcio-health-checking grpcio-reflection (deploy/test.sh does) \
                      and point BRANCHLINE_PYTHON at that python";
        assert!(
            !required,
            "BRANCHLINE_REQUIRE_PYTHON_GRPC=1 but {python} lacks the gRPC packages: {advice}"
        );
        eprintln!("NOTICE: skipping hq_stock_python_client_sees_health_and_reflection: {python} lacks the gRPC packages: {advice}");
        return;
    }
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let address = hq.url().trim_start_matches("http://").to_owned();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/check_health_reflection.py");
    let run = tokio::task::spawn_blocking(move || run_command(Command::new(python).arg(script).arg(address)))
        .await
        .unwrap()
        .unwrap();
    assert!(
        run.success(),
        "python check failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    for expected in [
        "health (server): SERVING",
        "health branchline.v1.Transfer: SERVING",
        "reflection service: branchline.v1.Admin",
        "reflection service: branchline.v1.Transfer",
        "reflection service: grpc.health.v1.Health",
        "OK",
    ] {
        assert!(
            run.stdout.lines().any(|line| line == expected),
            "{expected:?} missing from:\n{}",
            run.stdout
        );
    }
    hq.shutdown().await.unwrap();
}
