//! The ledger's refusals in the page's language: in Chinese for the ones an operator meets at
//! the counter (unknown codes, stock, drafts, red documents, a busy ledger), with the ledger's
//! own English text for the rest (and always in English pages).

use crate::error::LedgerError;
use crate::workbench::words::Lang;
use branchline_shared::{BaseKind, DocStatus, DocumentError};

/// `error` as the page's language says it.
pub(super) fn say(lang: Lang, error: &LedgerError) -> String {
    match lang {
        Lang::En => error.to_string(),
        Lang::Zh => zh(error).unwrap_or_else(|| format!("账套拒绝：{error}")),
    }
}

fn kind_zh(kind: BaseKind) -> &'static str {
    match kind {
        BaseKind::Product => "商品",
        BaseKind::Customer => "客户",
        BaseKind::Supplier => "供应商",
        BaseKind::Warehouse => "仓库",
    }
}

fn status_zh(status: &str) -> &'static str {
    DocStatus::parse(status).map_or("", |status| Lang::Zh.status(status))
}

fn zh(error: &LedgerError) -> Option<String> {
    use LedgerError as E;
    Some(match error {
        E::Busy { .. } => "账套正被另一程序写入（单据导入、传输代理或工作台），等候超时；本次未作任何更改，请稍后再试。".into(),
        E::ReadOnly { path } => format!("账套文件 {} 只读，无法写入（请检查文件权限）。", path.display()),
        E::UnknownCode { kind, code, .. } => format!("没有{} {code}：请先在基础资料中建立，或接收总部的模板。", kind_zh(*kind)),
        E::UnknownFilterCode { kind, code } => format!("没有{} {code}。", kind_zh(*kind)),
        E::DocumentNotFound { number } => format!("找不到单据 {number}。"),
        E::DuplicateNumber { number } => format!("单据编号 {number} 已存在，且内容不同。"),
        E::DuplicateNumberStatus { number, status } => format!("单据编号 {number} 已存在（{}）。", status_zh(status)),
        E::NotDraft { number, status } => format!("单据 {number} {}，不是草稿。", status_zh(status)),
        E::NotRouted { number } => format!("单据 {number} 是本地草稿，不是转换来的单据；只有转换来的草稿可以拒绝。"),
        E::EmptyRejectReason { .. } => "请填写拒绝原因。".into(),
        E::StockWouldGoNegative { warehouse, product, on_hand, wanted, .. } => {
            format!("商品 {product} 在仓库 {warehouse} 的库存将为负数（结存 {on_hand}，需要 {wanted}）。")
        }
        E::NegativeCount { line, qty, .. } => format!("第 {line} 行：盘点数量 {qty} 不能为负数。"),
        E::CountedTwice { product, first, line, .. } => format!("第 {line} 行：商品 {product} 已在第 {first} 行盘点。"),
        E::RedSourceNotFound { source_number, .. } => format!("红字冲销的原单 {source_number} 不存在。"),
        E::RedSourceNotConfirmed { source_number, status, .. } => {
            format!("原单 {source_number} {}；只有已审核的单据可以红字冲销。", status_zh(status))
        }
        E::RedOfRed { source_number, .. } => format!("原单 {source_number} 本身是红字单据，不能再冲销。"),
        E::RedTypeMismatch { doc_type, source_number, source_type, .. } => format!(
            "{}不能冲销{} {source_number}。",
            Lang::Zh.doc_type(*doc_type),
            Lang::Zh.doc_type(*source_type)
        ),
        E::RedBeforeSource { date, source_number, source_date, .. } => {
            format!("红字日期 {date} 早于原单 {source_number} 的日期 {source_date}。")
        }
        E::RedExceedsSource { source_number, product, remaining, wanted, .. } => {
            format!("商品 {product} 要冲销 {wanted}，但原单 {source_number} 只剩 {remaining} 未冲销。")
        }
        E::EpochHeldByHq { .. } => "暂时不能审核：总部持有的本纪元序号比账套多（账套可能是从旧备份恢复的），请先运行 `branch-node epoch new`。".into(),
        E::ImportLine { line, source } => format!("第 {line} 行：{}", say(Lang::Zh, source)),
        E::ImportParse { line, source } => format!("第 {line} 行：{source}"),
        E::ImportTooLarge { line, max } => format!("第 {line} 行：一个文件最多 {max} 张单据。"),
        E::Document(document) => document_zh(document)?,
        _ => return None,
    })
}

fn document_zh(error: &DocumentError) -> Option<String> {
    use DocumentError as D;
    Some(match error {
        D::MissingPartner {
            doc_type,
            partner_kind,
            ..
        } => {
            let kind = BaseKind::parse(partner_kind).map_or("往来单位", kind_zh);
            format!("{}需要往来单位（{kind}）。", Lang::Zh.doc_type(*doc_type))
        }
        D::UnexpectedPartner { doc_type, .. } => format!("{}不填往来单位。", Lang::Zh.doc_type(*doc_type)),
        D::MissingDestination { .. } => "调拨单须填写调入仓库。".into(),
        D::SameWarehouse { warehouse, .. } => {
            format!("调入仓库与调出仓库同为 {warehouse}：请选择另一个仓库。")
        }
        D::UnexpectedDestination { .. } => "只有调拨单填写调入仓库。".into(),
        D::RedStockCount { .. } => "盘点单不能红字冲销：请重新盘点。".into(),
        D::NoLines { .. } => "单据没有行：请至少录入一行。".into(),
        D::NonPositiveQuantity { line, qty, .. } => format!("第 {line} 行：数量 {qty} 必须大于零。"),
        D::NegativePrice { line, price, .. } => format!("第 {line} 行：单价 {price} 不能为负数。"),
        D::AmountTooLarge { line, .. } => format!("第 {line} 行：金额过大。"),
        D::DateOutOfRange { date, .. } => format!("日期 {date} 超出允许的范围。"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_refusals_read_in_chinese_and_the_rest_keep_the_ledgers_words() {
        let busy = LedgerError::Busy { path: "gz.db".into() };
        assert!(say(Lang::Zh, &busy).contains("未作任何更改"));
        assert_eq!(say(Lang::En, &busy), busy.to_string());
        let stock = LedgerError::ImportLine {
            line: 3,
            source: Box::new(LedgerError::StockWouldGoNegative {
                number: "GZ-1".into(),
                warehouse: "W-GZ".into(),
                product: "P001".into(),
                on_hand: "2".into(),
                wanted: "5".into(),
            }),
        };
        assert_eq!(
            say(Lang::Zh, &stock),
            "第 3 行：商品 P001 在仓库 W-GZ 的库存将为负数（结存 2，需要 5）。"
        );
        let other = LedgerError::EmptyLedgerName;
        assert_eq!(say(Lang::Zh, &other), "账套拒绝：ledger name is empty");
    }
}
