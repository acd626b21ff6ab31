//! Operator input the `hq-server admin` and `report` commands refuse rather than misread: an
//! audit `--since` or `--until` that is not a time, an audit `--actor`, `--kind` or `--branch`
//! that cannot be one, a blank organization or branch name, a CSV cell with surrounding spaces,
//! a ranking of `--top 0`. Each refusal names what is wrong and changes nothing. The audit
//! filters that are well formed reach HQ and narrow what it answers.

use branchline_proto::v1::{AddOrgRequest, AuditRequest};
use branchline_tests::hq::{admin_client, spawn_hq_process, TEST_ADMIN_TOKEN};
use branchline_tests::process::{run, Run, TempDir};

fn admin(url: &str, args: &[&str]) -> Run {
    let mut full = vec!["admin", "--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    run("hq-server", &full).expect("running hq-server admin")
}

fn report(url: &str, args: &[&str]) -> Run {
    let mut full = vec!["report", "--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    run("hq-server", &full).expect("running hq-server report")
}

#[track_caller]
fn assert_one_line_containing(run: &Run, parts: &[&str]) {
    let first = run.stderr.lines().next().unwrap_or_default();
    for part in parts {
        assert!(first.contains(part), "{part:?} missing from: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_since_must_be_a_time() -> anyhow::Result<()> {
    let dir = TempDir::new("cli-audit-since")?;
    let hq = spawn_hq_process(&format!("sqlite://{}", dir.join("hq.db").display()))?;
    admin(&hq.url, &["org", "add", "001", "--name", "Group"]).expect_ok();

    for garbage in ["garbage", "2026-13-01T00:00:00Z", "2026-01-05"] {
        let refused = admin(&hq.url, &["audit", "--since", garbage]).expect_err();
        assert_one_line_containing(
            &refused,
            &["--since", garbage, "RFC 3339", "2026-01-05T00:00:00Z"],
        );
        assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    }
    let all = admin(
        &hq.url,
        &["audit", "--since", "2000-01-01T00:00:00Z", "--format", "json"],
    )
    .expect_ok();
    assert!(
        all.stdout.contains("001"),
        "the org registration is audited: {}",
        all.stdout
    );
    // An offset is the same instant in UTC, not a text to compare.
    let offset = admin(
        &hq.url,
        &[
            "audit",
            "--since",
            "2000-01-01T08:00:00+08:00",
            "--format",
            "json",
        ],
    )
    .expect_ok();
    assert_eq!(offset.stdout, all.stdout);

    // The service refuses it too, for any client.
    let mut client = admin_client(&hq.url, TEST_ADMIN_TOKEN).await;
    let status = client
        .audit(AuditRequest {
            since: "garbage".into(),
            ..AuditRequest::default()
        })
        .await
        .expect_err("audit since garbage");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("since") && status.message().contains("garbage"),
        "{status:?}"
    );
    Ok(())
}

/// The `actions` of `admin audit ARGS --format json`, each with its actor and org.
fn audit_rows(url: &str, args: &[&str]) -> Vec<(String, String, String)> {
    let mut full = vec!["audit", "--format", "json"];
    full.extend_from_slice(args);
    let shown = admin(url, &full).expect_ok();
    let json: serde_json::Value = serde_json::from_str(&shown.stdout).expect("audit json");
    let text = |value: &serde_json::Value| value.as_str().unwrap_or("-").to_owned();
    json["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| (text(&event["action"]), text(&event["actor"]), text(&event["org"])))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_filters_are_checked_and_narrow() -> anyhow::Result<()> {
    let dir = TempDir::new("cli-audit-filters")?;
    let hq = spawn_hq_process(&format!("sqlite://{}", dir.join("hq.db").display()))?;
    crate::hq_support::setup_branch(&hq.url, "SZ", "001.002").await;
    admin(&hq.url, &["org", "add", "001.003", "--name", "广州"]).expect_ok();

    let org_adds = audit_rows(&hq.url, &["--kind", "org add", "--actor", "ADMIN"]);
    assert!(org_adds.len() >= 2, "{org_adds:?}");
    assert!(org_adds
        .iter()
        .all(|(action, actor, _)| action == "org add" && actor == "admin"));
    let of_sz = audit_rows(&hq.url, &["--branch", "SZ"]);
    assert!(
        of_sz.iter().any(|(action, _, _)| action == "branch add"),
        "{of_sz:?}"
    );
    assert!(of_sz.iter().all(|(_, _, org)| org == "001.002"), "{of_sz:?}");
    assert!(audit_rows(&hq.url, &["--until", "2000-01-01T00:00:00Z"]).is_empty());

    let bad = [
        (["--until", "garbage"], "garbage"),
        (["--actor", "a b"], "a b"),
        (["--kind", " org"], " org"),
        (["--branch", "XX"], "XX"),
    ];
    for (args, echoed) in bad {
        let refused = admin(&hq.url, &["audit", args[0], args[1]]).expect_err();
        assert_one_line_containing(&refused, &[args[0], echoed]);
        assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blank_or_padded_names_are_refused() -> anyhow::Result<()> {
    let dir = TempDir::new("cli-blank-names")?;
    let hq = spawn_hq_process(&format!("sqlite://{}", dir.join("hq.db").display()))?;
    for name in ["", "   ", " Group"] {
        let refused = admin(&hq.url, &["org", "add", "001", "--name", name]).expect_err();
        assert_one_line_containing(&refused, &["organization 001", "name"]);
    }
    let mut client = admin_client(&hq.url, TEST_ADMIN_TOKEN).await;
    let status = client
        .add_org(AddOrgRequest {
            code: "001".into(),
            name: "\t".into(),
        })
        .await
        .expect_err("a tab as a name");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");

    admin(&hq.url, &["org", "add", "001", "--name", "Group"]).expect_ok();
    // The counterparts exist as master data, so only the name decides.
    for (kind, body) in [
        ("customers", "code,name\nC-SZ,SZ inside\n"),
        ("suppliers", "code,name\nS-SZ,SZ inside\n"),
        ("warehouses", "code,name,branch\nW-SZ,SZ warehouse,\n"),
    ] {
        let csv = dir.join(format!("{kind}.csv"));
        std::fs::write(&csv, body)?;
        admin(&hq.url, &["import", kind, &csv.display().to_string()]).expect_ok();
    }
    let branch = |name: &str| {
        admin(
            &hq.url,
            &[
                "branch",
                "add",
                "SZ",
                "--name",
                name,
                "--org",
                "001",
                "--customer",
                "C-SZ",
                "--supplier",
                "S-SZ",
                "--warehouse",
                "W-SZ",
            ],
        )
    };
    let refused = branch("  ").expect_err();
    assert_one_line_containing(&refused, &["branch SZ", "name"]);
    branch("Shenzhen").expect_ok();
    Ok(())
}

#[test]
fn csv_cells_with_surrounding_spaces_are_refused() -> anyhow::Result<()> {
    let dir = TempDir::new("cli-csv-spaces")?;
    let hq = spawn_hq_process(&format!("sqlite://{}", dir.join("hq.db").display()))?;
    let products = dir.join("products.csv");
    let path = products.display().to_string();
    for (body, column) in [
        ("P001,Tea,box, 1\n", "price"),
        ("P001,Tea,box,1 \n", "price"),
        (" P001,Tea,box,1\n", "code"),
        ("P001,Tea ,box,1\n", "name"),
    ] {
        std::fs::write(&products, format!("code,name,unit,price\nP000,Cup,pc,2\n{body}"))?;
        let refused = admin(&hq.url, &["import", "products", &path]).expect_err();
        assert_one_line_containing(&refused, &[&format!("{path}:3: field {column}"), "space"]);
    }
    std::fs::write(&products, "code,name,unit,price\nP000,Cup,pc,2\n")?;
    admin(&hq.url, &["import", "products", &path]).expect_ok();
    // What the branch CLI refuses, the importer refuses: neither reads " 1" as 1.
    assert!(branchline_shared::parse_decimal(" 1", branchline_shared::DecimalKind::Price).is_err());
    Ok(())
}

#[test]
fn ranking_top_zero_is_refused_and_documented() -> anyhow::Result<()> {
    let dir = TempDir::new("cli-top-zero")?;
    let hq = spawn_hq_process(&format!("sqlite://{}", dir.join("hq.db").display()))?;
    admin(&hq.url, &["org", "add", "001", "--name", "Group"]).expect_ok();
    let refused = report(
        &hq.url,
        &["ranking", "--org", "001", "--by", "product", "--top", "0"],
    )
    .expect_err();
    assert!(refused.stderr.contains("--top"), "{}", refused.stderr);
    report(
        &hq.url,
        &["ranking", "--org", "001", "--by", "product", "--top", "1"],
    )
    .expect_ok();
    let help = run("hq-server", ["report", "--help"])?.expect_ok();
    assert!(help.stdout.contains("at least 1"), "{}", help.stdout);
    Ok(())
}
