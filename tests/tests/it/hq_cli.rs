//! `hq-server serve` and `hq-server admin` as an operator runs them: the `listening on` line,
//! org/branch registration (token as last line), CSV import with file:line errors, bundle
//! import, status JSON, quarantine listing, credential refusal, and a graceful SIGTERM stop.

use crate::hq_support::{bundle_file, sales_out};
use branchline_shared::EntryBody;
use branchline_tests::hq::{spawn_hq_process, TEST_ADMIN_TOKEN};
use branchline_tests::process::{run, Run, TempDir};
use std::path::Path;

fn admin(url: &str, args: &[&str]) -> Run {
    let mut full = vec!["admin", "--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    run("hq-server", &full).expect("running hq-server admin")
}

#[test]
fn hq_admin_cli_drives_a_served_hq() {
    let dir = TempDir::new("hq-cli").unwrap();
    let db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let mut hq = spawn_hq_process(&db_url).expect("hq-server serve");
    let url = hq.url.clone();

    let token = register_sz(&url, dir.path());

    import_master_data(&url, dir.path());

    // A bundle with one good document and one naming an unknown product.
    let mut poison = sales_out("SZ-2", "SZ", "C001", "1");
    poison.lines[1].product = "P404".into();
    let entries = [
        (1, EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "17"))),
        (2, EntryBody::Document(poison)),
    ];
    let bundle = dir.join("sz.bundle");
    std::fs::write(&bundle, bundle_file("SZ", 1, &entries)).unwrap();
    let imported = admin(&url, &["bundle", "import", bundle.to_str().unwrap()]).expect_ok();
    assert!(
        imported.stdout.contains("1 applied, 0 duplicates, 1 quarantined"),
        "{}",
        imported.stdout
    );
    let again = admin(&url, &["bundle", "import", bundle.to_str().unwrap()]).expect_ok();
    assert!(
        again.stdout.contains("0 applied, 2 duplicates, 0 quarantined"),
        "{}",
        again.stdout
    );

    assert_status_of_sz(&url);

    assert_quarantine_retry_and_credentials(&url, dir.path(), &token);

    let exit = hq.terminate().expect("SIGTERM");
    assert!(exit.success(), "hq-server exit after SIGTERM: {exit}");
}

/// Registers organizations 001 > 001.002 (a missing parent refused) and branch SZ with its
/// counterparts imported first; returns SZ's token, the command's last line.
fn register_sz(url: &str, dir: &Path) -> String {
    admin(url, &["org", "add", "001", "--name", "集团"]).expect_ok();
    admin(url, &["org", "add", "001.002", "--name", "深圳"]).expect_ok();
    let missing_parent = admin(url, &["org", "add", "009.001", "--name", "x"]).expect_err();
    assert!(
        missing_parent.stderr.contains("parent organization 009"),
        "{}",
        missing_parent.stderr
    );
    // A branch's counterparts are HQ master data before the branch is registered.
    for (kind, csv) in [
        ("customers", "code,name\nC-SZ,Shenzhen branch\n"),
        ("suppliers", "code,name\nS-SZ,Shenzhen branch\n"),
        ("warehouses", "code,name,branch\nW-SZ,Shenzhen counterpart,SZ\n"),
    ] {
        let path = dir.join(format!("counterpart-{kind}.csv"));
        std::fs::write(&path, csv).unwrap();
        admin(url, &["import", kind, path.to_str().unwrap()]).expect_ok();
    }
    let branch = admin(
        url,
        &[
            "branch",
            "add",
            "SZ",
            "--name",
            "深圳",
            "--org",
            "001.002",
            "--customer",
            "C-SZ",
            "--supplier",
            "S-SZ",
            "--warehouse",
            "W-SZ",
        ],
    )
    .expect_ok();
    let token = branch.last_line();
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "token line {token:?}"
    );
    token.to_owned()
}

/// Imports products, customers and warehouses from CSV; a bad line is refused in one line
/// naming file:line (and the field).
fn import_master_data(url: &str, dir: &Path) {
    std::fs::write(
        dir.join("products.csv"),
        "code,name,unit,price\nP001,Tea,box,21.50\nP002,Cup,pc,3\n",
    )
    .unwrap();
    std::fs::write(dir.join("customers.csv"), "code,name\nC001,Customer one\n").unwrap();
    std::fs::write(
        dir.join("warehouses.csv"),
        "code,name,branch\nSZ-W,Shenzhen store,SZ\n",
    )
    .unwrap();
    for (kind, file) in [
        ("products", "products.csv"),
        ("customers", "customers.csv"),
        ("warehouses", "warehouses.csv"),
    ] {
        let path = dir.join(file);
        admin(url, &["import", kind, path.to_str().unwrap()]).expect_ok();
    }
    let bad = dir.join("bad-products.csv");
    std::fs::write(&bad, "code,name,unit,price\nP003,Pen,pc,1\nP004,Ink,pc,1,5\n").unwrap();
    let refused = admin(url, &["import", "products", bad.to_str().unwrap()]).expect_err();
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "one-line error: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("bad-products.csv:3"),
        "{}",
        refused.stderr
    );
    std::fs::write(
        &bad,
        "code,name,unit,price\nP003,Pen,pc,1\nP004,Ink,pc,1.0000001\n",
    )
    .unwrap();
    let refused = admin(url, &["import", "products", bad.to_str().unwrap()]).expect_err();
    assert!(
        refused.stderr.contains("bad-products.csv:3: field price"),
        "{}",
        refused.stderr
    );
}

/// `admin status` as JSON names every field of SZ's row; as a table it has a header.
fn assert_status_of_sz(url: &str) {
    let status = admin(url, &["status", "--format", "json"]).expect_ok();
    let status: serde_json::Value =
        serde_json::from_str(&status.stdout).expect("status is one JSON document");
    let sz = &status["branches"][0];
    for key in [
        "branch",
        "name",
        "org",
        "health",
        "health_reason",
        "epoch",
        "last_seq",
        "received_at",
        "backlog",
        "backlog_documents",
        "quarantined",
        "conflicts",
        "last_contact",
        "templates",
        "agent_version",
        "last_closed_day",
    ] {
        assert!(sz.get(key).is_some(), "status lacks {key}: {sz}");
    }
    // One entry in quarantine: amber, and the reason says so.
    assert_eq!(
        (sz["health"].as_str(), sz["health_reason"].as_str()),
        (Some("amber"), Some("1 entry in quarantine"))
    );
    assert_eq!(
        (sz["branch"].as_str(), sz["org"].as_str()),
        (Some("SZ"), Some("001.002"))
    );
    assert_eq!(
        (
            sz["epoch"].as_u64(),
            sz["last_seq"].as_u64(),
            sz["quarantined"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert!(sz["received_at"].as_str().is_some_and(|at| at.ends_with('Z')));
    let table = admin(url, &["status"]).expect_ok();
    let header: Vec<&str> = table.stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "branch",
            "org",
            "health",
            "epoch",
            "last_seq",
            "received_at",
            "last_contact",
            "backlog",
            "documents",
            "quarantined",
            "conflicts",
            "templates",
            "agent",
            "last_closed_day",
            "reason",
            "name"
        ],
        "{}",
        table.stdout
    );
}

/// The quarantined entry is listed with its reason, retried in vain, then applied once its
/// product exists; a wrong token and a branch's token are refused.
fn assert_quarantine_retry_and_credentials(url: &str, dir: &Path, token: &str) {
    let quarantine = admin(url, &["quarantine", "list", "--format", "json"]).expect_ok();
    let quarantine: serde_json::Value = serde_json::from_str(&quarantine.stdout).unwrap();
    let entry = &quarantine["entries"][0];
    assert!(
        entry["reason"].as_str().unwrap().contains("unknown product P404"),
        "{entry}"
    );
    let id = entry["id"].as_u64().unwrap().to_string();
    let still = admin(url, &["quarantine", "retry", &id]).expect_err();
    assert!(still.stderr.contains("still quarantined"), "{}", still.stderr);
    std::fs::write(dir.join("more.csv"), "code,name,unit,price\nP404,Found,pc,\n").unwrap();
    admin(
        url,
        &["import", "products", dir.join("more.csv").to_str().unwrap()],
    )
    .expect_ok();
    admin(url, &["quarantine", "retry", &id]).expect_ok();

    let wrong = run(
        "hq-server",
        ["admin", "--hq", url, "--token", "wrong-token", "status"],
    )
    .unwrap()
    .expect_err();
    assert!(wrong.stderr.contains("Unauthenticated"), "{}", wrong.stderr);
    let as_branch = run("hq-server", ["admin", "--hq", url, "--token", token, "status"])
        .unwrap()
        .expect_err();
    assert!(
        as_branch.stderr.contains("PermissionDenied"),
        "{}",
        as_branch.stderr
    );
}
