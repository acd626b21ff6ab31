//! The workbench's words in Chinese (the default) and English, as the README's concepts name
//! them, and the page language.

use branchline_shared::{DocStatus, DocType};

/// The language a page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Zh,
    En,
}

impl Lang {
    pub(super) fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub(super) fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub(super) fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub(super) fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// `zh` or `en`, as the page's language.
    pub(super) fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub(super) fn doc_type(self, doc_type: DocType) -> &'static str {
        match doc_type {
            DocType::SalesOrder => self.t("销售订单", "sales order"),
            DocType::SalesOut => self.t("销售出库单", "sales-out"),
            DocType::PurchaseIn => self.t("外购入库单", "purchase-in"),
            DocType::RetailSale => self.t("零售单", "retail sale"),
            DocType::Opening => self.t("期初", "opening"),
            DocType::Transfer => self.t("调拨单", "transfer"),
            DocType::StockCount => self.t("盘点单", "stock count"),
        }
    }

    pub(super) fn status(self, status: DocStatus) -> &'static str {
        match status {
            DocStatus::Draft => self.t("草稿", "draft"),
            DocStatus::Confirmed => self.t("已审核", "confirmed"),
            DocStatus::Rejected => self.t("已拒绝", "rejected"),
        }
    }
}
