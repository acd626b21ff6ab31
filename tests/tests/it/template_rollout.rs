//! A template's rollout (`hq-server admin template list|rollout`, Admin/ListTemplates) through a
//! real HQ on both stores, the real `transfer-agent` and three real ledgers: a version queued
//! for a subtree shows queued, then applied once the branch has pulled it and reported so at its
//! next contact; a newer version shows queued with the older one applied; `--org` narrows the
//! rollout to a subtree; an unknown template is named.

use anyhow::Result;
use branch_node::Ledger;
use branchline_shared::BaseKind;
use branchline_tests::group::{launch_group_on, Group};
use branchline_tests::hq::HqStoreKind;
use serde_json::Value;

/// `template rollout NAME --format json [ARGS]`: (branch, version, applied, applied_version).
fn rollout(group: &Group, name: &str, args: &[&str]) -> Result<Vec<(String, u64, bool, u64)>> {
    let mut all = vec!["template", "rollout", name, "--format", "json"];
    all.extend_from_slice(args);
    let shown: Value = serde_json::from_str(&group.admin(&all)?.expect_ok().stdout)?;
    assert_eq!(shown["name"], name, "{shown}");
    let rows = shown["rollout"].as_array().cloned().unwrap_or_default();
    Ok(rows
        .iter()
        .map(|row| {
            (
                row["branch"].as_str().unwrap_or_default().to_owned(),
                row["version"].as_u64().unwrap_or_default(),
                row["applied"].as_bool().unwrap_or_default(),
                row["applied_version"].as_u64().unwrap_or_default(),
            )
        })
        .collect())
}

fn row(branch: &str, version: u64, applied: bool, applied_version: u64) -> (String, u64, bool, u64) {
    (branch.to_owned(), version, applied, applied_version)
}

/// Two agent runs: the first pulls and applies the inbox, the second's Hello tells HQ so.
fn pull_and_report(group: &Group, code: &str) -> Result<()> {
    group.sync(code)?;
    group.sync(code)?;
    Ok(())
}

async fn rollout_shows_what_each_branch_applied(store: HqStoreKind) {
    let group = launch_group_on(store, "template-rollout").await.unwrap();
    let empty = group.admin(&["template", "list", "--format", "json"]).unwrap();
    assert_eq!(empty.expect_ok().stdout.trim(), r#"{"templates":[]}"#);
    group
        .admin(&["template", "create", "base", "--kinds", "product,warehouse"])
        .unwrap()
        .expect_ok();
    group
        .admin(&["template", "publish", "base", "--to", "001.003"])
        .unwrap()
        .expect_ok();
    assert_eq!(rollout(&group, "base", &[]).unwrap(), [row("ZH", 1, false, 0)]);

    pull_and_report(&group, "ZH").unwrap();
    let zh = Ledger::open(&group.member("ZH").ledger).unwrap();
    assert_eq!(zh.base_records(BaseKind::Product).unwrap().len(), 3);
    assert_eq!(rollout(&group, "base", &[]).unwrap(), [row("ZH", 1, true, 1)]);

    group
        .admin(&["template", "create", "base", "--kinds", "product"])
        .unwrap()
        .expect_ok();
    group
        .admin(&["template", "publish", "base", "--to", "001"])
        .unwrap()
        .expect_ok();
    assert_eq!(
        rollout(&group, "base", &[]).unwrap(),
        [
            row("GZ", 2, false, 0),
            row("SZ", 2, false, 0),
            row("ZH", 2, false, 1)
        ],
        "version 2 queued everywhere; ZH still runs version 1"
    );
    assert_eq!(
        rollout(&group, "base", &["--org", "001.003"]).unwrap(),
        [row("ZH", 2, false, 1)]
    );
    for member in &group.members {
        pull_and_report(&group, &member.code).unwrap();
    }
    assert_eq!(
        rollout(&group, "base", &[]).unwrap(),
        [
            row("GZ", 2, true, 2),
            row("SZ", 2, true, 2),
            row("ZH", 2, true, 2)
        ]
    );
    assert_listing_and_its_table(&group);
}

/// `template list` shows the newest version with its kinds and records, and the rollout's
/// counts in the table; an unknown template is named.
fn assert_listing_and_its_table(group: &Group) {
    let listed: Value = serde_json::from_str(
        &group
            .admin(&["template", "list", "--format", "json"])
            .unwrap()
            .expect_ok()
            .stdout,
    )
    .unwrap();
    let base = &listed["templates"][0];
    assert_eq!(
        (&base["name"], &base["version"], &base["records"], &base["kinds"]),
        (
            &Value::from("base"),
            &Value::from(2),
            &Value::from(3),
            &serde_json::json!(["product"])
        ),
        "{listed}"
    );
    assert_eq!(base["rollout"].as_array().map(Vec::len), Some(3), "{listed}");
    let table = group.admin(&["template", "list"]).unwrap().expect_ok().stdout;
    let line = table.lines().nth(1).unwrap_or_default();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[..4], ["base", "2", "product", "3"], "{table}");
    assert_eq!(cells[5..], ["3", "3", "0"], "{table}");
    let rollout_table = group
        .admin(&["template", "rollout", "base"])
        .unwrap()
        .expect_ok()
        .stdout;
    assert!(
        rollout_table
            .lines()
            .any(|line| line.starts_with("ZH") && line.contains(" applied ")),
        "{rollout_table}"
    );
    let unknown = group
        .admin(&["template", "rollout", "nosuch"])
        .unwrap()
        .expect_err();
    assert!(
        unknown.stderr.contains("template nosuch does not exist"),
        "{}",
        unknown.stderr
    );
}

on_both_stores!(
    rollout_shows_what_each_branch_applied,
    template_rollout_on_sqlite,
    template_rollout_on_postgres
);
