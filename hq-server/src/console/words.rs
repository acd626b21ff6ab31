//! The README's vocabulary (its Concepts table and guides) as the console names it: each word in
//! Chinese and English, so that every page calls a thing by the same name as the docs.

pub type Word = (&'static str, &'static str);

pub const ORG: Word = ("组织机构", "organization");
pub const BRANCH: Word = ("分支机构", "branch");
pub const LEDGER: Word = ("账套", "ledger");
pub const BASE_DATA: Word = ("基础资料", "base data");
pub const TEMPLATE: Word = ("基础数据模板", "template");
pub const DOCUMENT: Word = ("单据", "document");
pub const OUTBOX: Word = ("outbox", "outbox");
pub const INBOX: Word = ("inbox", "inbox");
pub const QUARANTINE: Word = ("隔离区", "quarantine");
pub const TRADE: Word = ("单据转换", "inter-branch trade");
pub const SALES_REPORT: Word = ("多组织销售汇总表", "sales summary");
pub const INVENTORY_REPORT: Word = ("多组织库存查询表", "inventory query");
pub const COMMISSION: Word = ("佣金", "commission");
pub const COMMISSION_PLAN: Word = ("佣金方案", "commission plan");
pub const STATEMENT: Word = ("佣金结算单", "settlement statement");
pub const OVERRIDE: Word = ("下级合作伙伴奖金", "override");
pub const AUDIT: Word = ("审计日志", "audit log");
pub const ACCOUNT: Word = ("人员", "accounts");
pub const BOARD: Word = ("总览", "branch health");
pub const PUBLISH: Word = ("模板发放", "publish");
pub const CONFIRMED: Word = ("审核", "confirmed");

#[cfg(test)]
mod tests {
    use super::*;

    /// The Concepts table's words are the README's: a renamed concept is renamed here too.
    #[test]
    fn concept_words_are_the_readmes() {
        let readme = include_str!("../../../README.md");
        for (zh, en) in [ORG, BRANCH, LEDGER, BASE_DATA, TEMPLATE, DOCUMENT] {
            let row = format!("| {en} ({zh}) |");
            assert!(readme.contains(&row), "README's Concepts table has no row {row}");
        }
        for (zh, _) in [
            TRADE,
            SALES_REPORT,
            INVENTORY_REPORT,
            PUBLISH,
            CONFIRMED,
            COMMISSION,
            COMMISSION_PLAN,
            STATEMENT,
            OVERRIDE,
        ] {
            assert!(readme.contains(zh), "README never says {zh}");
        }
    }
}
