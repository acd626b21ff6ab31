//! Templates (模板发放) through a real HQ, the real `hq-server admin`, `transfer-agent` and
//! `branch-node` binaries and three real ledgers: by network to organization subtrees (queued
//! once per branch), by file (cut and altered files refused, repeats and older versions no-ops),
//! branch-local records untouched, records used in documents never deleted.

use anyhow::Result;
use branch_node::{Ledger, Origin};
use branchline_shared::{BaseKind, BaseRecord};
use branchline_tests::group::{launch_group, Group};
use branchline_tests::ledger::snapshot;

/// (code, name, origin) of every `kind` record in `code`'s ledger.
fn records(group: &Group, code: &str, kind: BaseKind) -> Result<Vec<(String, String, Origin)>> {
    let ledger = Ledger::open(&group.member(code).ledger)?;
    Ok(ledger
        .base_records(kind)?
        .into_iter()
        .map(|(record, origin)| (record.code, record.name, origin))
        .collect())
}

fn codes(records: &[(String, String, Origin)]) -> Vec<&str> {
    records.iter().map(|(code, _, _)| code.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_by_network_reaches_each_subtree_once() -> Result<()> {
    let group = launch_group("template-network").await?;
    // ZH keeps a local customer whose code HQ also uses.
    group
        .node("ZH", &["customer", "add", "C001", "--name", "珠海本地客户"])?
        .expect_ok();

    create_and_publish_to_zh_twice(&group)?;

    group.sync("ZH")?;
    group.sync("SZ")?;
    assert_only_zh_got_it_and_its_local_record_stays(&group)?;

    let whole = group
        .admin(&["template", "publish", "base", "--to", "001"])?
        .expect_ok();
    assert!(
        whole
            .stdout
            .contains("queued for [GZ,SZ], already queued for [ZH]"),
        "{}",
        whole.stdout
    );
    for member in &group.members {
        group.sync(&member.code)?;
    }
    for code in ["SZ", "GZ"] {
        assert_eq!(
            codes(&records(&group, code, BaseKind::Product)?),
            ["P001", "P002", "P003"]
        );
        assert_eq!(
            codes(&records(&group, code, BaseKind::Warehouse)?),
            ["W-GZ", "W-SZ", "W-ZH"]
        );
    }

    // Applying is idempotent: a second pull changes nothing.
    let before = snapshot(&group.member("GZ").ledger)?;
    group.sync("GZ")?;
    assert_eq!(records(&group, "GZ", BaseKind::Product)?.len(), 3);
    assert_eq!(
        before,
        snapshot(&group.member("GZ").ledger)?,
        "a repeated pull changes nothing"
    );

    // HQ renames a product: version 2 updates the HQ-owned record everywhere.
    assert_version_2_renames_everywhere(&group).await?;
    let unknown = group
        .admin(&["template", "publish", "nosuch", "--to", "001"])?
        .expect_err();
    assert!(
        unknown.stderr.contains("template nosuch does not exist"),
        "{}",
        unknown.stderr
    );
    let bad_code = group
        .admin(&["template", "create", "x", "--kinds", "product", "--codes", "P404"])?
        .expect_err();
    assert!(
        bad_code.stderr.contains("code P404 is not an HQ product record"),
        "{}",
        bad_code.stderr
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_file_is_refused_when_cut_or_altered_and_never_goes_back() -> Result<()> {
    let group = launch_group("template-file").await?;
    let v1_file = group.dir.join("base-v1.tpl");
    let v2_file = group.dir.join("base-v2.tpl");
    group
        .admin(&["template", "create", "base", "--kinds", "product,warehouse"])?
        .expect_ok();
    group
        .admin(&["template", "export", "base", "--out", v1_file.to_str().unwrap()])?
        .expect_ok();
    group
        .hq
        .import(
            BaseKind::Product,
            &[BaseRecord::new(BaseKind::Product, "P002", "商品 P002 v2")],
        )
        .await?;
    group
        .admin(&["template", "create", "base", "--kinds", "product,warehouse"])?
        .expect_ok();
    let exported = group
        .admin(&["template", "export", "base", "--out", v2_file.to_str().unwrap()])?
        .expect_ok();
    assert!(
        exported.stdout.contains("version 2 (6 records)"),
        "{}",
        exported.stdout
    );

    let bytes = std::fs::read(&v2_file)?;
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap();
    let header: serde_json::Value = serde_json::from_slice(&bytes[..header_end])?;
    assert_eq!(header["format"], "template");
    assert_eq!(header["source"], "HQ");
    assert_eq!(header["template_name"], "base");
    assert_eq!(header["template_version"], 2);
    assert_eq!(header["entries"], 1);
    assert_eq!(header["body_sha256"].as_str().map(str::len), Some(64));

    let sz = &group.member("SZ").ledger;
    let pristine = snapshot(sz)?;
    assert_cut_and_altered_files_refused(&group, &bytes, header_end)?;
    assert_eq!(pristine, snapshot(sz)?, "refused files change nothing");

    group
        .node("SZ", &["template", "import", v2_file.to_str().unwrap()])?
        .expect_ok();
    let products = records(&group, "SZ", BaseKind::Product)?;
    assert_eq!(codes(&products), ["P001", "P002", "P003"]);
    assert_eq!(products[1].1, "商品 P002 v2");
    let applied = snapshot(sz)?;
    group
        .node("SZ", &["template", "import", v2_file.to_str().unwrap()])?
        .expect_ok();
    assert_eq!(
        applied,
        snapshot(sz)?,
        "importing the same file again changes nothing"
    );
    group
        .node("SZ", &["template", "import", v1_file.to_str().unwrap()])?
        .expect_ok();
    assert_eq!(
        applied,
        snapshot(sz)?,
        "an older version never overwrites a newer one"
    );

    // A record used in documents is never deleted by a template that no longer lists it.
    assert_used_record_never_deleted(&group)?;
    Ok(())
}

/// The template published to 001.003 reached ZH only; ZH's local customer C001 is untouched.
fn assert_only_zh_got_it_and_its_local_record_stays(group: &Group) -> Result<()> {
    let zh_products = records(group, "ZH", BaseKind::Product)?;
    assert_eq!(codes(&zh_products), ["P001", "P002", "P003"]);
    assert!(zh_products.iter().all(|(_, _, origin)| *origin == Origin::Hq));
    assert!(
        records(group, "SZ", BaseKind::Product)?.is_empty(),
        "SZ is outside 001.003"
    );
    let zh_customers = records(group, "ZH", BaseKind::Customer)?;
    assert_eq!(codes(&zh_customers), ["C-GZ", "C-SZ", "C-ZH", "C001"]);
    let local = zh_customers.iter().find(|(code, _, _)| code == "C001").unwrap();
    assert_eq!(
        (local.1.as_str(), local.2),
        ("珠海本地客户", Origin::Local),
        "a local record is untouched"
    );
    Ok(())
}

/// HQ renames P001 and publishes version 2 (products only): every ledger gets the new name,
/// keeps version 1's customers, and applies its whole inbox.
async fn assert_version_2_renames_everywhere(group: &Group) -> Result<()> {
    let mut renamed = BaseRecord::new(BaseKind::Product, "P001", "商品 P001 新名");
    renamed.unit = "box".to_owned();
    group.hq.import(BaseKind::Product, &[renamed]).await?;
    let created = group
        .admin(&["template", "create", "base", "--kinds", "product"])?
        .expect_ok();
    assert!(
        created.stdout.contains("version 2: 3 records"),
        "{}",
        created.stdout
    );
    group
        .admin(&["template", "publish", "base", "--to", "001"])?
        .expect_ok();
    for member in &group.members {
        group.sync(&member.code)?;
        let products = records(group, &member.code, BaseKind::Product)?;
        assert_eq!(products[0].1, "商品 P001 新名", "at {}", member.code);
        // Version 2 holds only products; the customers of version 1 stay.
        assert_eq!(records(group, &member.code, BaseKind::Customer)?.len(), 4);
    }
    for status in group.hq.status().await? {
        let ledger_inbox_seq = Ledger::open(&group.member(&status.branch).ledger)?
            .status()?
            .inbox_seq;
        assert_eq!(
            ledger_inbox_seq, status.inbox_last_seq,
            "{} applied its whole inbox",
            status.branch
        );
    }
    Ok(())
}

/// Creates template `base` from HQ's master data and publishes it to 001.003 twice: queued
/// for ZH once, the second time already queued.
fn create_and_publish_to_zh_twice(group: &Group) -> Result<()> {
    let created = group.admin(&[
        "template",
        "create",
        "base",
        "--kinds",
        "product,customer,supplier,warehouse",
    ])?;
    assert!(created
        .expect_ok()
        .stdout
        .contains("template base version 1: 14 records"));
    let published = group
        .admin(&["template", "publish", "base", "--to", "001.003"])?
        .expect_ok();
    assert!(
        published
            .stdout
            .contains("queued for [ZH], already queued for []"),
        "{}",
        published.stdout
    );
    let again = group
        .admin(&["template", "publish", "base", "--to", "001.003"])?
        .expect_ok();
    assert!(
        again.stdout.contains("queued for [], already queued for [ZH]"),
        "{}",
        again.stdout
    );
    Ok(())
}

/// A template file cut short, and one with a byte of its body altered, are refused naming the
/// file (the caller checks that nothing changed).
fn assert_cut_and_altered_files_refused(group: &Group, bytes: &[u8], header_end: usize) -> Result<()> {
    let cut_file = group.dir.join("cut.tpl");
    std::fs::write(&cut_file, &bytes[..bytes.len() - 17])?;
    let cut = group
        .node("SZ", &["template", "import", cut_file.to_str().unwrap()])?
        .expect_err();
    assert!(
        cut.stderr.contains("cut.tpl") && cut.stderr.contains("truncated or altered"),
        "{}",
        cut.stderr
    );
    let mut altered_bytes = bytes.to_vec();
    let at = header_end + 1 + (bytes.len() - header_end) / 2;
    altered_bytes[at] = if altered_bytes[at] == b'7' { b'8' } else { b'7' };
    let altered_file = group.dir.join("altered.tpl");
    std::fs::write(&altered_file, &altered_bytes)?;
    let altered = group
        .node("SZ", &["template", "import", altered_file.to_str().unwrap()])?
        .expect_err();
    assert!(
        altered.stderr.contains("truncated or altered"),
        "{}",
        altered.stderr
    );
    Ok(())
}

/// A template that no longer lists P001, which SZ used in a document, leaves P001 in SZ's
/// ledger with its stock.
fn assert_used_record_never_deleted(group: &Group) -> Result<()> {
    group
        .node(
            "SZ",
            &[
                "doc",
                "add",
                "--type",
                "opening",
                "--warehouse",
                "W-SZ",
                "--line",
                "P001:5@8",
            ],
        )?
        .expect_ok();
    group
        .admin(&[
            "template", "create", "base", "--kinds", "product", "--codes", "P003",
        ])?
        .expect_ok();
    let v3_file = group.dir.join("base-v3.tpl");
    group
        .admin(&["template", "export", "base", "--out", v3_file.to_str().unwrap()])?
        .expect_ok();
    group
        .node("SZ", &["template", "import", v3_file.to_str().unwrap()])?
        .expect_ok();
    assert_eq!(
        codes(&records(group, "SZ", BaseKind::Product)?),
        ["P001", "P002", "P003"]
    );
    assert_eq!(
        group.on_hand("SZ", "W-SZ", "P001")?,
        rust_decimal::Decimal::from(5)
    );
    Ok(())
}
