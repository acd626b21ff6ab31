//! Test harness: a group (集团) of three real branch ledgers — SZ 深圳, GZ 广州 and ZH 珠海 under
//! a region — registered at a real HQ, driven through the real `branch-node`, `transfer-agent`
//! and `hq-server admin` binaries, for the template and inter-branch trade tests.
//!
//! Organizations: `001` group, `001.001` SZ, `001.002` GZ, `001.003` region West (no ledger),
//! `001.003.001` ZH. Branch X's counterparts are `C-X`, `S-X`, `W-X` (see `hq::add_branch`).

use crate::agent::agent_with;
use crate::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use crate::ledger::branch_node;
use crate::process::{run, Run, TempDir};
use anyhow::{ensure, Context, Result};
use branchline_shared::{BaseKind, BaseRecord};
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::PathBuf;

/// The group's branches: (code, organization, name).
pub const GROUP_BRANCHES: [(&str, &str, &str); 3] = [
    ("SZ", "001.001", "深圳分公司"),
    ("GZ", "001.002", "广州分公司"),
    ("ZH", "001.003.001", "珠海门店"),
];

/// HQ products every branch trades.
pub const GROUP_PRODUCTS: [&str; 3] = ["P001", "P002", "P003"];

/// One branch of the group: its ledger file and transfer token.
pub struct Member {
    pub code: String,
    pub org: String,
    pub ledger: PathBuf,
    pub token: String,
}

/// An HQ with the group registered and HQ master data imported; ledgers initialised, empty.
pub struct Group {
    pub hq: HqHandle,
    pub members: Vec<Member>,
    pub dir: TempDir,
}

/// Starts an in-process HQ on SQLite and registers the group; every ledger is created with
/// `branch-node init` and holds no base data yet (a template brings it).
pub async fn launch_group(label: &str) -> Result<Group> {
    launch_group_on(HqStoreKind::Sqlite, label).await
}

/// `launch_group` with HQ on `store`.
pub async fn launch_group_on(store: HqStoreKind, label: &str) -> Result<Group> {
    group_at(launch_hq(store).await, label).await
}

/// The group registered at a running `hq` (one serving its console, say).
pub async fn group_at(hq: HqHandle, label: &str) -> Result<Group> {
    let dir = TempDir::new(label)?;
    hq.add_org("001", "集团").await?;
    hq.add_org("001.001", "深圳").await?;
    hq.add_org("001.002", "广州").await?;
    hq.add_org("001.003", "西区").await?;
    hq.add_org("001.003.001", "珠海").await?;
    let mut members = Vec::new();
    for (code, org, name) in GROUP_BRANCHES {
        let token = hq.add_branch(code, org).await?;
        let ledger = dir.join(format!("{}.db", code.to_lowercase()));
        branch_node(&ledger, &["init", "--branch", code, "--name", name])?.expect_ok();
        members.push(Member {
            code: code.to_owned(),
            org: org.to_owned(),
            ledger,
            token,
        });
    }
    let mut products = Vec::new();
    for (product_idx, code) in GROUP_PRODUCTS.iter().enumerate() {
        let mut record = BaseRecord::new(BaseKind::Product, code, &format!("商品 {code}"));
        record.unit = "pcs".to_owned();
        record.price = Some(Decimal::new(1000 + 250 * product_idx as i64, 2));
        products.push(record);
    }
    hq.import(BaseKind::Product, &products).await?;
    let mut customers = vec![BaseRecord::new(BaseKind::Customer, "C001", "零售客户")];
    let mut suppliers = vec![BaseRecord::new(BaseKind::Supplier, "S001", "外部供应商")];
    let mut warehouses = Vec::new();
    for (code, _, name) in GROUP_BRANCHES {
        customers.push(BaseRecord::new(BaseKind::Customer, &format!("C-{code}"), name));
        suppliers.push(BaseRecord::new(BaseKind::Supplier, &format!("S-{code}"), name));
        let mut warehouse = BaseRecord::new(BaseKind::Warehouse, &format!("W-{code}"), &format!("{name}仓"));
        warehouse.branch = code.to_owned();
        warehouses.push(warehouse);
    }
    hq.import(BaseKind::Customer, &customers).await?;
    hq.import(BaseKind::Supplier, &suppliers).await?;
    hq.import(BaseKind::Warehouse, &warehouses).await?;
    Ok(Group { hq, members, dir })
}

impl Group {
    pub fn member(&self, code: &str) -> &Member {
        self.members
            .iter()
            .find(|member| member.code == code)
            .unwrap_or_else(|| panic!("no branch {code} in the group"))
    }

    /// Runs `hq-server admin --hq URL --token T ARGS...` (the real binary).
    pub fn admin(&self, args: &[&str]) -> Result<Run> {
        let mut all = vec!["admin", "--hq", self.hq.url(), "--token", TEST_ADMIN_TOKEN];
        all.extend_from_slice(args);
        run("hq-server", all)
    }

    /// Creates template `name` of every kind and publishes it to the whole group, then lets
    /// every branch pull it: the set-up of the trade tests.
    pub fn distribute_base_data(&self, name: &str) -> Result<()> {
        self.admin(&[
            "template",
            "create",
            name,
            "--kinds",
            "product,customer,supplier,warehouse",
        ])?
        .expect_ok();
        self.admin(&["template", "publish", name, "--to", "001"])?
            .expect_ok();
        for member in &self.members {
            self.sync(&member.code)?;
        }
        Ok(())
    }

    /// One `transfer-agent once` (push then pull) for branch `code`; must succeed.
    pub fn sync(&self, code: &str) -> Result<Run> {
        let member = self.member(code);
        let run = agent_with(&member.ledger, self.hq.url(), &member.token, &["once"])?;
        ensure!(
            run.success(),
            "transfer-agent once for {code} failed: {}{}",
            run.stdout,
            run.stderr
        );
        Ok(run)
    }

    /// Runs `branch-node --ledger <code's ledger> ARGS...`.
    pub fn node(&self, code: &str, args: &[&str]) -> Result<Run> {
        branch_node(&self.member(code).ledger, args)
    }

    /// `doc add ...` at `code`; returns the document number (the last stdout line).
    pub fn doc_add(&self, code: &str, args: &[&str]) -> Result<String> {
        let mut all = vec!["doc", "add"];
        all.extend_from_slice(args);
        let run = self.node(code, &all)?;
        ensure!(run.success(), "doc add at {code} failed: {}", run.stderr);
        Ok(run.last_line().to_owned())
    }

    /// `doc list --format json` at `code`: the `docs` array.
    pub fn docs(&self, code: &str) -> Result<Vec<Value>> {
        let run = self.node(code, &["doc", "list", "--format", "json"])?.expect_ok();
        let value: Value = serde_json::from_str(&run.stdout).context("doc list JSON")?;
        Ok(value["docs"].as_array().cloned().unwrap_or_default())
    }

    /// On-hand at `code` for (warehouse, product), from `stock --format json`; 0 when absent.
    pub fn on_hand(&self, code: &str, warehouse: &str, product: &str) -> Result<Decimal> {
        let run = self.node(
            code,
            &[
                "stock",
                "--warehouse",
                warehouse,
                "--product",
                product,
                "--format",
                "json",
            ],
        )?;
        let value: Value = serde_json::from_str(&run.expect_ok().stdout).context("stock JSON")?;
        let Some(row) = value["rows"].as_array().and_then(|rows| rows.first()) else {
            return Ok(Decimal::ZERO);
        };
        row["on_hand"]
            .as_str()
            .context("on_hand")?
            .parse()
            .context("on_hand decimal")
    }

    /// `hq-server admin trade list --format json`: the `trades` array.
    pub fn trades(&self) -> Result<Vec<Value>> {
        let run = self.admin(&["trade", "list", "--format", "json"])?.expect_ok();
        let value: Value = serde_json::from_str(&run.stdout).context("trade list JSON")?;
        Ok(value["trades"].as_array().cloned().unwrap_or_default())
    }

    /// On-hand of `product` in `warehouse` for branch `code` as HQ's inventory report answers
    /// it (`hq-server report inventory --org 001 --format json`, the real binary); zero when the
    /// report has no such row.
    pub fn report_on_hand(&self, code: &str, warehouse: &str, product: &str) -> Result<Decimal> {
        let run = run(
            "hq-server",
            [
                "report",
                "--hq",
                self.hq.url(),
                "--token",
                TEST_ADMIN_TOKEN,
                "inventory",
                "--org",
                "001",
                "--format",
                "json",
            ],
        )?
        .expect_ok();
        let report: Value = serde_json::from_str(&run.stdout).context("inventory report JSON")?;
        let rows = report["rows"].as_array().cloned().unwrap_or_default();
        let row = rows
            .iter()
            .find(|row| row["branch"] == code && row["warehouse"] == warehouse && row["product"] == product);
        match row {
            Some(row) => Ok(row["on_hand"]
                .as_str()
                .context("on_hand")?
                .parse::<Decimal>()?
                .normalize()),
            None => Ok(Decimal::ZERO),
        }
    }

    /// Per product, the signed stock movement HQ holds for branch `code`'s confirmed documents
    /// (opening and purchase-in add, sales-out and retail-sale take away), from HQ's stored lines.
    pub async fn hq_on_hand(&self, code: &str, product: &str) -> Result<Decimal> {
        use hq_server::store::db::url::{parse_db_url, DbLocation};
        const LINES: &str = "SELECT d.doc_type, CAST(l.qty AS TEXT) FROM document_line l \
             JOIN document d ON d.branch_id = l.branch_id AND d.number = l.number \
             JOIN branch b ON b.id = l.branch_id WHERE b.code = $1 AND l.product = $2";
        // (document type, quantity as stored: NUMERIC text on PostgreSQL, ×10⁴ on SQLite)
        let rows: Vec<(String, Decimal)> = match parse_db_url(self.hq.db_url())? {
            DbLocation::Postgres => {
                use sqlx::Connection;
                let mut db = sqlx::PgConnection::connect(self.hq.db_url())
                    .await
                    .context("opening the HQ store")?;
                let rows: Vec<(String, String)> = sqlx::query_as(LINES)
                    .bind(code)
                    .bind(product)
                    .fetch_all(&mut db)
                    .await?;
                db.close().await?;
                rows.into_iter()
                    .map(|(doc_type, qty)| Ok((doc_type, qty.parse::<Decimal>()?)))
                    .collect::<Result<_>>()?
            }
            DbLocation::SqliteFile(path) => {
                let db = rusqlite::Connection::open(&path).context("opening the HQ store")?;
                let sql = LINES.replace("CAST(l.qty AS TEXT)", "l.qty");
                let mut statement = db.prepare(&sql)?;
                let rows = statement.query_map([code, product], |row| {
                    Ok((row.get::<_, String>(0)?, Decimal::new(row.get::<_, i64>(1)?, 4)))
                })?;
                rows.collect::<Result<_, _>>()?
            }
        };
        let mut on_hand = Decimal::ZERO;
        for (doc_type, qty) in rows {
            match doc_type.as_str() {
                "opening" | "purchase-in" => on_hand += qty,
                "sales-out" | "retail-sale" => on_hand -= qty,
                _ => {}
            }
        }
        Ok(on_hand.normalize())
    }
}

/// The only document of `docs` linked to (`branch`, `number`), if exactly one.
pub fn linked_to<'a>(docs: &'a [Value], branch: &str, number: &str) -> Vec<&'a Value> {
    docs.iter()
        .filter(|doc| doc["link"]["branch"] == branch && doc["link"]["number"] == number)
        .collect()
}
