//! Admin/ListOrgs, the organization tree (组织机构): every organization of the caller's scope in
//! tree order and its branches with counterparts, mode and whether the token is revoked (a
//! revoke shows, a rotate clears it); a regional account sees its subtree only, equal to what
//! the bootstrap token sees naming it, and is refused (PERMISSION_DENIED, audited) a wider
//! or another subtree; `hq-server admin org list` prints the same as a table and as JSON.

use branchline_proto::v1::{
    Branch, ListOrgsRequest, ListOrgsResponse, RevokeBranchRequest, RotateBranchTokenRequest,
};
use branchline_tests::hq::{launch_hq, spawn_hq_process, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::{add_person, refusals_of};
use branchline_tests::process::{run, TempDir};
use tonic::Code;

/// 001 > 001.002 (SZ) > 001.002.001 (SZ1), 001.003 (GZ) and the region 001.004 with no branch,
/// added children first where the tree allows, to show the listing sorts them.
async fn group(hq: &HqHandle) {
    for (code, name) in [("001", "集团"), ("001.003", "广州分公司"), ("001.004", "华东区")] {
        hq.add_org(code, name).await.unwrap();
    }
    hq.add_org("001.002", "深圳分公司").await.unwrap();
    hq.add_org("001.002.001", "麻岭店").await.unwrap();
    for (branch, org) in [("GZ", "001.003"), ("SZ1", "001.002.001"), ("SZ", "001.002")] {
        hq.add_branch(branch, org).await.unwrap();
    }
}

async fn list(hq: &HqHandle, token: &str, org: &str) -> Result<ListOrgsResponse, tonic::Status> {
    let mut admin = branchline_tests::hq::admin_client(hq.url(), token).await;
    let request = ListOrgsRequest { org: org.into() };
    Ok(admin.list_orgs(request).await?.into_inner())
}

fn org_codes(tree: &ListOrgsResponse) -> Vec<&str> {
    tree.orgs.iter().map(|org| org.code.as_str()).collect()
}

fn branch<'a>(tree: &'a ListOrgsResponse, code: &str) -> &'a Branch {
    tree.branches
        .iter()
        .find(|branch| branch.code == code)
        .unwrap_or_else(|| panic!("branch {code} in {tree:?}"))
}

async fn the_tree_lists_orgs_and_branches(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    group(&hq).await;
    let tree = list(&hq, TEST_ADMIN_TOKEN, "").await.unwrap();
    assert_eq!(
        org_codes(&tree),
        ["001", "001.002", "001.002.001", "001.003", "001.004"]
    );
    assert_eq!(tree.orgs[1].name, "深圳分公司");
    let branch_orgs: Vec<(&str, &str)> = tree
        .branches
        .iter()
        .map(|branch| (branch.code.as_str(), branch.org.as_str()))
        .collect();
    assert_eq!(
        branch_orgs,
        [("SZ", "001.002"), ("SZ1", "001.002.001"), ("GZ", "001.003")]
    );
    assert_eq!(
        branch(&tree, "SZ"),
        &Branch {
            code: "SZ".into(),
            name: "branch SZ".into(),
            org: "001.002".into(),
            customer: "C-SZ".into(),
            supplier: "S-SZ".into(),
            warehouse: "W-SZ".into(),
            mode: "independent-sales".into(),
            revoked: false,
        }
    );

    let mut admin = hq.admin().await;
    admin
        .revoke_branch(RevokeBranchRequest { code: "GZ".into() })
        .await
        .unwrap();
    let tree = list(&hq, TEST_ADMIN_TOKEN, "").await.unwrap();
    assert!(
        branch(&tree, "GZ").revoked && !branch(&tree, "SZ").revoked,
        "{tree:?}"
    );
    admin
        .rotate_branch_token(RotateBranchTokenRequest { code: "GZ".into() })
        .await
        .unwrap();
    let tree = list(&hq, TEST_ADMIN_TOKEN, "").await.unwrap();
    assert!(
        !branch(&tree, "GZ").revoked,
        "a rotate gives it a live token: {tree:?}"
    );

    let narrowed = list(&hq, TEST_ADMIN_TOKEN, "001.002.001").await.unwrap();
    assert_eq!(org_codes(&narrowed), ["001.002.001"]);
    assert_eq!(narrowed.branches.len(), 1, "{narrowed:?}");
    let refused = list(&hq, TEST_ADMIN_TOKEN, "001.x").await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let unknown = list(&hq, TEST_ADMIN_TOKEN, "009").await.unwrap();
    assert!(
        unknown.orgs.is_empty() && unknown.branches.is_empty(),
        "{unknown:?}"
    );
}

async fn a_region_sees_its_subtree(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    group(&hq).await;
    let viewer = add_person(hq.url(), "sz-viewer", "viewer", "001.002")
        .await
        .unwrap();
    let own = list(&hq, &viewer.token, "").await.unwrap();
    assert_eq!(org_codes(&own), ["001.002", "001.002.001"]);
    let codes: Vec<&str> = own.branches.iter().map(|branch| branch.code.as_str()).collect();
    assert_eq!(codes, ["SZ", "SZ1"]);
    assert_eq!(own, list(&hq, TEST_ADMIN_TOKEN, "001.002").await.unwrap());

    for wider in ["001", "001.003"] {
        let refused = list(&hq, &viewer.token, wider).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{wider}: {refused:?}");
        assert!(
            refused.message().contains("outside the account's scope 001.002"),
            "{refused:?}"
        );
    }
    // The second refusal is identical in kind to the first: counted within the audit window.
    let refusals = refusals_of(hq.url(), "sz-viewer").await.unwrap();
    assert_eq!(refusals.len(), 1, "audited: {refusals:?}");
    assert!(refusals[0].detail.contains("Admin/ListOrgs"), "{refusals:?}");
}

on_both_stores!(
    the_tree_lists_orgs_and_branches,
    hq_orgs_tree_on_sqlite,
    hq_orgs_tree_on_postgres
);
on_both_stores!(
    a_region_sees_its_subtree,
    hq_orgs_region_on_sqlite,
    hq_orgs_region_on_postgres
);

/// `hq-server admin org list` as an administrator runs it.
#[test]
fn hq_orgs_cli_lists_the_tree() {
    let dir = TempDir::new("hq-orgs-cli").unwrap();
    let db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let hq = spawn_hq_process(&db_url).expect("hq-server serve");
    let admin = |args: &[&str]| {
        let mut full = vec!["admin", "--hq", &hq.url, "--token", TEST_ADMIN_TOKEN];
        full.extend_from_slice(args);
        run("hq-server", &full)
            .expect("running hq-server admin")
            .expect_ok()
    };
    admin(&["org", "add", "001", "--name", "集团"]);
    admin(&["org", "add", "001.002", "--name", "深圳分公司"]);
    admin(&["org", "add", "001.003", "--name", "广州分公司"]);
    for (kind, csv) in [
        ("customers", "code,name\nC-SZ,深圳分公司\n"),
        ("suppliers", "code,name\nS-SZ,深圳分公司\n"),
        ("warehouses", "code,name,branch\nSZ-W,深圳仓,SZ\n"),
    ] {
        let path = dir.join(format!("{kind}.csv"));
        std::fs::write(&path, csv).unwrap();
        admin(&["import", kind, path.to_str().unwrap()]);
    }
    admin(&[
        "branch",
        "add",
        "SZ",
        "--name",
        "深圳分公司",
        "--org",
        "001.002",
        "--customer",
        "C-SZ",
        "--supplier",
        "S-SZ",
        "--warehouse",
        "SZ-W",
    ]);
    admin(&["branch", "revoke", "SZ"]);

    let table = admin(&["org", "list"]).stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(
        lines[0].starts_with("org") && lines[0].contains("warehouse"),
        "{table}"
    );
    let sz: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        sz,
        ["001.002", "深圳分公司", "SZ", "C-SZ", "S-SZ", "SZ-W", "revoked"],
        "{table}"
    );
    assert!(
        lines[3].contains("001.003") && lines[3].contains(" - "),
        "{table}"
    );

    let json = admin(&["org", "list", "--org", "001.002", "--format", "json"]).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "orgs": [{"code": "001.002", "name": "深圳分公司"}],
            "branches": [{
                "code": "SZ", "name": "深圳分公司", "org": "001.002", "customer": "C-SZ",
                "supplier": "S-SZ", "warehouse": "SZ-W", "mode": "independent-sales", "revoked": true,
            }],
        })
    );
}
