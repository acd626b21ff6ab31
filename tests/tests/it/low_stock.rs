//! 库存预警 end to end, on both HQ stores: stock limits imported at HQ with the real
//! `hq-server admin import stock-limits` (bad files refused whole, each with its file, line and
//! field), carried by a template through a real `transfer-agent` to SZ and GZ and by a template
//! file to ZH, `branch-node stock --below-min` / `--above-max` at each branch, documents pushed,
//! and `hq-server report inventory --below-min` answering the same rows as the branches; a newer
//! template version replaces the older limits.

use anyhow::{Context, Result};
use branchline_tests::group::{group_at, Group};
use branchline_tests::hq::{launch_hq, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::process::run;
use serde_json::{json, Value};

/// P001: 10..50 for the whole group, 20 (no max) for the West region, so ZH's nearest wins;
/// P002: 5..8 in SZ's warehouse, 1 everywhere else.
const LIMITS: &str = "product,warehouse,org,min,max\n\
                      P001,,001,10,50\n\
                      P001,,001.003,20,\n\
                      P002,W-SZ,,5,8\n\
                      P002,,001,1,\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_stock_reaches_branches_and_hq_reports_it_on_sqlite() -> Result<()> {
    let group = group_at(launch_hq(HqStoreKind::Sqlite).await, "low-stock").await?;
    low_stock_end_to_end(&group)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_stock_reaches_branches_and_hq_reports_it_on_postgres() -> Result<()> {
    let Some(kind) = HqStoreKind::postgres("low_stock").await else {
        return Ok(());
    };
    let group = group_at(launch_hq(kind).await, "low-stock-pg").await?;
    low_stock_end_to_end(&group)
}

fn low_stock_end_to_end(group: &Group) -> Result<()> {
    group.distribute_base_data("base")?;
    import_limits(
        group,
        "limits.csv",
        LIMITS,
        "4 stock limits, 4 created, 0 updated",
    )?;
    refuse_bad_files(group)?;
    distribute_limits(group, "limits")?;
    for (code, product, qty) in [
        ("SZ", "P001", "4"),
        ("SZ", "P002", "9"),
        ("GZ", "P001", "12"),
        ("ZH", "P001", "15"),
    ] {
        let line = format!("{product}:{qty}@1");
        let warehouse = format!("W-{code}");
        group.doc_add(
            code,
            &["--type", "opening", "--warehouse", &warehouse, "--line", &line],
        )?;
    }
    let expected = [
        (
            "SZ",
            json!({"warehouse": "W-SZ", "product": "P001", "on_hand": "4", "min": "10", "max": "50",
                      "shortfall": "6", "suggested_order": "46", "excess": null}),
        ),
        (
            "GZ",
            json!({"warehouse": "W-GZ", "product": "P002", "on_hand": "0", "min": "1", "max": null,
                      "shortfall": "1", "suggested_order": null, "excess": null}),
        ),
        (
            "ZH",
            json!({"warehouse": "W-ZH", "product": "P001", "on_hand": "15", "min": "20", "max": null,
                      "shortfall": "5", "suggested_order": null, "excess": null}),
        ),
        (
            "ZH",
            json!({"warehouse": "W-ZH", "product": "P002", "on_hand": "0", "min": "1", "max": null,
                      "shortfall": "1", "suggested_order": null, "excess": null}),
        ),
    ];
    for code in ["SZ", "GZ", "ZH"] {
        let wanted: Vec<&Value> = expected
            .iter()
            .filter(|(at, _)| *at == code)
            .map(|(_, row)| row)
            .collect();
        let listed = branch_rows(group, code, "--below-min")?;
        assert_eq!(
            listed.iter().collect::<Vec<_>>(),
            wanted,
            "{code} below its minimum"
        );
    }
    let above = branch_rows(group, "SZ", "--above-max")?;
    assert_eq!(above.len(), 1, "{above:?}");
    assert_eq!(
        (above[0]["product"].as_str(), above[0]["excess"].as_str()),
        (Some("P002"), Some("1"))
    );
    let table = group.node("SZ", &["stock", "--below-min"])?.expect_ok().stdout;
    assert!(
        table.starts_with("warehouse  product  on_hand  min  max  shortfall  suggested_order"),
        "{table}"
    );

    for member in &group.members {
        group.sync(&member.code)?;
    }
    hq_reports_what_the_branches_list(group, &expected)?;
    newer_version_replaces_the_limits(group)
}

/// Writes `text` as file `name` in the group's directory and imports it; the summary line ends
/// with `summary`.
fn import_limits(group: &Group, name: &str, text: &str, summary: &str) -> Result<()> {
    let file = group.dir.join(name);
    std::fs::write(&file, text)?;
    let imported = group
        .admin(&["import", "stock-limits", file.to_str().unwrap()])?
        .expect_ok();
    assert!(
        imported.stdout.ends_with(&format!("{summary}\n")),
        "{}",
        imported.stdout
    );
    Ok(())
}

/// Every refused file names its file, line and field, and changes nothing: P003's limit on the
/// file's first line is never imported (checked by the reports below, where P003 never shows).
fn refuse_bad_files(group: &Group) -> Result<()> {
    let cases = [
        ("P404,W-SZ,,1,", "3: field product: unknown product P404"),
        ("P001,W-XX,,1,", "3: field warehouse: unknown warehouse W-XX"),
        ("P001,,009,1,", "3: field org: unknown organization 009"),
        (
            "P001,W-SZ,001,1,",
            "3: field warehouse/org: give a warehouse or an organization, not both",
        ),
        (
            "P001,,,1,",
            "3: field warehouse/org: give a warehouse or an organization",
        ),
        ("P001,W-SZ,,10,5", "3: field max: max 5 is less than min 10"),
        ("P001,W-SZ,,-1,", "3: field min: negative min -1"),
        ("P001,W-SZ,,ten,", "3: field min:"),
        ("P001,W-SZ,,1,2.5e1", "3: field max:"),
        (
            "P003,,001,100,",
            "3: field product: P003 is limited twice in the same place (first at line 2)",
        ),
    ];
    let bad = group.dir.join("bad.csv");
    let bad_name = bad.to_str().unwrap();
    for (row, message) in cases {
        std::fs::write(
            &bad,
            format!("product,warehouse,org,min,max\nP003,,001,100,\n{row}\n"),
        )?;
        let refused = group.admin(&["import", "stock-limits", bad_name])?.expect_err();
        let wanted = format!("{bad_name}:{message}");
        assert!(refused.stderr.contains(&wanted), "{row}: {}", refused.stderr);
        assert_eq!(refused.stderr.lines().count(), 1, "one line: {}", refused.stderr);
    }
    std::fs::write(&bad, "product,warehouse,min\nP003,W-SZ,1\n")?;
    let refused = group.admin(&["import", "stock-limits", bad_name])?.expect_err();
    assert!(
        refused.stderr.contains(&format!("{bad_name}:1: header must be")),
        "{}",
        refused.stderr
    );
    Ok(())
}

/// Template `name` of the stock limits: by network to SZ and GZ, as a file to ZH.
fn distribute_limits(group: &Group, name: &str) -> Result<()> {
    let created = group
        .admin(&["template", "create", name, "--kinds", "stock-limit"])?
        .expect_ok();
    assert!(
        created.stdout.contains(&format!("template {name} version")),
        "{}",
        created.stdout
    );
    group
        .admin(&["template", "publish", name, "--to", "001.001,001.002"])?
        .expect_ok();
    group.sync("SZ")?;
    group.sync("GZ")?;
    let file = group.dir.join(format!("{name}.tpl"));
    group
        .admin(&["template", "export", name, "--out", file.to_str().unwrap()])?
        .expect_ok();
    let imported = group
        .node("ZH", &["template", "import", file.to_str().unwrap()])?
        .expect_ok();
    assert!(imported.stdout.contains(name), "{}", imported.stdout);
    Ok(())
}

fn branch_rows(group: &Group, code: &str, which: &str) -> Result<Vec<Value>> {
    let run = group
        .node(code, &["stock", which, "--format", "json"])?
        .expect_ok();
    let value: Value = serde_json::from_str(&run.stdout).context("stock JSON")?;
    Ok(value["rows"].as_array().cloned().unwrap_or_default())
}

fn report(group: &Group, args: &[&str]) -> Result<String> {
    let mut all = vec![
        "report",
        "--hq",
        group.hq.url(),
        "--token",
        TEST_ADMIN_TOKEN,
        "inventory",
        "--below-min",
    ];
    all.extend_from_slice(args);
    Ok(run("hq-server", all)?.expect_ok().stdout)
}

/// HQ's listing holds exactly the branches' rows, each with its organization and branch.
fn hq_reports_what_the_branches_list(group: &Group, expected: &[(&str, Value)]) -> Result<()> {
    let answer: Value = serde_json::from_str(&report(group, &["--org", "001", "--format", "json"])?)?;
    let rows = answer["rows"].as_array().context("rows")?;
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for (row, (code, branch_row)) in rows.iter().zip(expected) {
        assert_eq!(row["branch"], *code);
        assert_eq!(row["org"], group.member(code).org.as_str());
        for field in [
            "warehouse",
            "product",
            "on_hand",
            "min",
            "max",
            "shortfall",
            "suggested_order",
        ] {
            assert_eq!(row[field], branch_row[field], "{code} {field}: {row}");
        }
    }
    let west: Value = serde_json::from_str(&report(group, &["--org", "001.003", "--format", "json"])?)?;
    assert_eq!(west["rows"].as_array().map(Vec::len), Some(2), "{west}");
    let csv = report(group, &["--org", "001", "--format", "csv", "--product", "P001"])?;
    assert_eq!(
        csv,
        "org,branch,warehouse,product,on_hand,min,max,shortfall,suggested_order\n\
         001.001,SZ,W-SZ,P001,4,10,50,6,46\n\
         001.003.001,ZH,W-ZH,P001,15,20,,5,\n"
    );
    let refused = run(
        "hq-server",
        [
            "report",
            "--hq",
            group.hq.url(),
            "--token",
            TEST_ADMIN_TOKEN,
            "inventory",
            "--below-min",
            "--subtotals",
            "--org",
            "001",
        ],
    )?
    .expect_err();
    assert!(
        refused.stderr.contains("takes no subtotals"),
        "{}",
        refused.stderr
    );
    Ok(())
}

/// Version 2, after P001's group-wide minimum went down to 3: SZ's 4 is no longer under it.
fn newer_version_replaces_the_limits(group: &Group) -> Result<()> {
    let changed = "product,warehouse,org,min,max\nP001,,001,3,50\n";
    import_limits(
        group,
        "limits-2.csv",
        changed,
        "1 stock limits, 0 created, 1 updated",
    )?;
    distribute_limits(group, "limits")?;
    assert_eq!(branch_rows(group, "SZ", "--below-min")?, Vec::<Value>::new());
    let answer: Value = serde_json::from_str(&report(group, &["--format", "json", "--org", "001.001"])?)?;
    assert_eq!(answer["rows"], json!([]));
    Ok(())
}
