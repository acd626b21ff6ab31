//! Documents (单据): types, lines, lifecycle and context-free validation (docs/documents.md).

use crate::arith::LineValues;
use crate::code::{validate_record_code, CodeError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The earliest date a document, target or report may name; every storable date lies in
/// `DATE_MIN..=DATE_MAX`, and a report without a range covers exactly that.
pub const DATE_MIN: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
/// The latest date a document, target or report may name.
pub const DATE_MAX: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

/// Whether `date` lies in `DATE_MIN..=DATE_MAX`.
pub fn date_in_range(date: NaiveDate) -> bool {
    (DATE_MIN..=DATE_MAX).contains(&date)
}

/// The most lines one document may carry (an opening document: [`OPENING_LINES_MAX`]).
pub const DOC_LINES_MAX: usize = 10_000;
/// The most lines one opening document may carry, so that a branch with tens of thousands of
/// products enters its opening stock in one document. The branch ledger's line keys hold at
/// most 65,535 lines a document.
pub const OPENING_LINES_MAX: usize = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocType {
    /// 销售订单: no stock effect.
    SalesOrder,
    /// 销售出库单
    SalesOut,
    /// 外购入库单
    PurchaseIn,
    /// 零售单 (store till)
    RetailSale,
    /// 期初 opening stock
    Opening,
    /// 调拨单: stock moved from `warehouse` to `to_warehouse` of the same branch.
    Transfer,
    /// 盘点单: counted quantities; confirming posts the differences from the book.
    StockCount,
}

impl DocType {
    pub const ALL: [DocType; 7] = [
        DocType::SalesOrder,
        DocType::SalesOut,
        DocType::PurchaseIn,
        DocType::RetailSale,
        DocType::Opening,
        DocType::Transfer,
        DocType::StockCount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocType::SalesOrder => "sales-order",
            DocType::SalesOut => "sales-out",
            DocType::PurchaseIn => "purchase-in",
            DocType::RetailSale => "retail-sale",
            DocType::Opening => "opening",
            DocType::Transfer => "transfer",
            DocType::StockCount => "stock-count",
        }
    }

    pub fn parse(text: &str) -> Result<DocType, DocumentError> {
        DocType::ALL
            .into_iter()
            .find(|doc_type| doc_type.as_str() == text)
            .ok_or_else(|| DocumentError::UnknownType {
                doc_type: crate::echo::echo_prefix(text),
            })
    }

    /// +1 when confirming adds stock to `warehouse`, -1 when it removes stock from it, 0 for no
    /// effect. A confirmed stock count's lines are its differences from the book, so they add.
    pub fn stock_sign(self) -> i64 {
        match self {
            DocType::Opening | DocType::PurchaseIn | DocType::StockCount => 1,
            DocType::SalesOut | DocType::RetailSale | DocType::Transfer => -1,
            DocType::SalesOrder => 0,
        }
    }

    /// Whether a confirmed document of this type may be reversed by a red one: a sales order is
    /// cancelled instead, a stock count counted again.
    pub fn takes_red(self) -> bool {
        !matches!(self, DocType::SalesOrder | DocType::StockCount)
    }

    /// Whether documents of this type name a partner (customer or supplier).
    pub fn takes_partner(self) -> bool {
        !matches!(self, DocType::Opening | DocType::Transfer | DocType::StockCount)
    }

    /// The most lines one document of this type may carry.
    pub fn lines_max(self) -> usize {
        match self {
            DocType::Opening => OPENING_LINES_MAX,
            _ => DOC_LINES_MAX,
        }
    }

    /// Whether the partner is a supplier (purchase-in) rather than a customer.
    pub fn partner_is_supplier(self) -> bool {
        self == DocType::PurchaseIn
    }

    /// Whether confirmed documents of this type count as sales in reports.
    pub fn counts_as_sale(self) -> bool {
        matches!(self, DocType::SalesOut | DocType::RetailSale)
    }
}

impl std::fmt::Display for DocType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocStatus {
    Draft,
    Confirmed,
    /// A routed draft the receiving branch refused.
    Rejected,
}

impl DocStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Draft => "draft",
            DocStatus::Confirmed => "confirmed",
            DocStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Result<DocStatus, DocumentError> {
        [DocStatus::Draft, DocStatus::Confirmed, DocStatus::Rejected]
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| DocumentError::UnknownStatus {
                status: crate::echo::echo_prefix(text),
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLine {
    pub product: String,
    pub qty: Decimal,
    pub price: Decimal,
    pub discount: Decimal,
    pub tax_rate: Decimal,
}

impl DocLine {
    /// The line's money values; only valid after `Document::validate`.
    pub fn values(&self) -> LineValues {
        LineValues::compute(self.qty, self.price, self.discount, self.tax_rate).unwrap_or_default()
    }
}

/// The other end of an inter-branch trade (单据转换).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLink {
    pub branch: String,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub number: String,
    #[serde(rename = "type")]
    pub doc_type: DocType,
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub partner: String,
    pub warehouse: String,
    /// A transfer's destination warehouse; empty for every other type.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to_warehouse: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_of: Option<String>,
    pub lines: Vec<DocLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<DocLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error(
        "unknown document type {doc_type:?}: expected sales-order, sales-out, purchase-in, retail-sale, opening, \
         transfer or stock-count"
    )]
    UnknownType { doc_type: String },
    #[error("unknown document status {status:?}: expected draft, confirmed or rejected")]
    UnknownStatus { status: String },
    #[error("document {number}: {source}")]
    Code { number: String, source: CodeError },
    #[error("document {number}: {doc_type} needs a partner ({partner_kind} code)")]
    MissingPartner {
        number: String,
        doc_type: DocType,
        partner_kind: &'static str,
    },
    #[error("document {number}: {doc_type} documents take no partner")]
    UnexpectedPartner { number: String, doc_type: DocType },
    #[error("document {number}: a transfer needs to_warehouse, the warehouse the stock goes to")]
    MissingDestination { number: String },
    #[error("document {number}: a transfer's to_warehouse is its warehouse {warehouse}; name another one")]
    SameWarehouse { number: String, warehouse: String },
    #[error("document {number}: only a transfer names to_warehouse, not a {doc_type}")]
    UnexpectedDestination { number: String, doc_type: DocType },
    #[error("document {number}: no lines")]
    NoLines { number: String },
    #[error(
        "document {number}: {n_lines} lines, more than the {lines_max} a {doc_type} document may have; \
         split it into several documents of at most {lines_max} lines"
    )]
    TooManyLines {
        number: String,
        doc_type: DocType,
        n_lines: usize,
        lines_max: usize,
    },
    #[error("document {number} line {line}: quantity {qty} must be positive")]
    NonPositiveQuantity {
        number: String,
        line: usize,
        qty: Decimal,
    },
    #[error("document {number} line {line}: quantity {qty} of a red document must be negative")]
    NonNegativeRedQuantity {
        number: String,
        line: usize,
        qty: Decimal,
    },
    #[error("document {number} line {line}: negative price {price}")]
    NegativePrice {
        number: String,
        line: usize,
        price: Decimal,
    },
    #[error("document {number} line {line}: amount is too large")]
    AmountTooLarge { number: String, line: usize },
    #[error("document {number}: date {date} is outside the range from {DATE_MIN} to {DATE_MAX}")]
    DateOutOfRange { number: String, date: NaiveDate },
    #[error("document {number}: a sales order cannot be red; cancel it instead")]
    RedSalesOrder { number: String },
    #[error("document {number}: a stock count cannot be red; count again instead")]
    RedStockCount { number: String },
}

impl Document {
    /// Context-free checks: codes, partner presence, line count, signs and ranges.
    /// Checks against a ledger (unknown codes, stock) happen where the ledger is.
    pub fn validate(&self) -> Result<(), DocumentError> {
        let code_error = |source| self.code_error(source);
        validate_record_code("document number", &self.number).map_err(code_error)?;
        if !date_in_range(self.date) {
            return Err(DocumentError::DateOutOfRange {
                number: self.number.clone(),
                date: self.date,
            });
        }
        validate_record_code("warehouse", &self.warehouse).map_err(code_error)?;
        self.validate_destination()?;
        self.validate_partner()?;
        if let Some(red_of) = &self.red_of {
            validate_record_code("red_of document number", red_of).map_err(code_error)?;
            let number = self.number.clone();
            match self.doc_type {
                DocType::SalesOrder => return Err(DocumentError::RedSalesOrder { number }),
                DocType::StockCount => return Err(DocumentError::RedStockCount { number }),
                _ => {}
            }
        }
        self.validate_line_count()?;
        for (line_idx, line) in self.lines.iter().enumerate() {
            self.validate_line(line_idx + 1, line)?;
        }
        Ok(())
    }

    /// A transfer names another warehouse of the branch to move its stock to; no other type
    /// names one.
    fn validate_destination(&self) -> Result<(), DocumentError> {
        let number = || self.number.clone();
        match (self.doc_type, self.to_warehouse.is_empty()) {
            (DocType::Transfer, true) => Err(DocumentError::MissingDestination { number: number() }),
            (DocType::Transfer, false) if self.to_warehouse == self.warehouse => {
                Err(DocumentError::SameWarehouse {
                    number: number(),
                    warehouse: self.warehouse.clone(),
                })
            }
            (DocType::Transfer, false) => validate_record_code("to_warehouse", &self.to_warehouse)
                .map_err(|source| self.code_error(source)),
            (_, true) => Ok(()),
            (doc_type, false) => Err(DocumentError::UnexpectedDestination {
                number: number(),
                doc_type,
            }),
        }
    }

    /// Opening stock, transfers and counts take no partner, a retail sale may go without, every
    /// other type names one (a supplier or a customer, by its direction).
    fn validate_partner(&self) -> Result<(), DocumentError> {
        match (self.doc_type, self.partner.is_empty()) {
            (doc_type, false) if !doc_type.takes_partner() => Err(DocumentError::UnexpectedPartner {
                number: self.number.clone(),
                doc_type,
            }),
            (DocType::Opening | DocType::RetailSale | DocType::Transfer | DocType::StockCount, true) => {
                Ok(())
            }
            (doc_type, true) => Err(DocumentError::MissingPartner {
                number: self.number.clone(),
                doc_type,
                partner_kind: if doc_type.partner_is_supplier() {
                    "supplier"
                } else {
                    "customer"
                },
            }),
            (_, false) => {
                validate_record_code("partner", &self.partner).map_err(|source| self.code_error(source))
            }
        }
    }

    /// A bad code in this document, naming the document by a short prefix of its number.
    fn code_error(&self, source: CodeError) -> DocumentError {
        DocumentError::Code {
            number: crate::echo::echo_prefix(&self.number),
            source,
        }
    }

    /// At least one line, at most the document type's maximum.
    fn validate_line_count(&self) -> Result<(), DocumentError> {
        if self.lines.is_empty() {
            return Err(DocumentError::NoLines {
                number: self.number.clone(),
            });
        }
        if self.lines.len() > self.doc_type.lines_max() {
            return Err(DocumentError::TooManyLines {
                number: self.number.clone(),
                doc_type: self.doc_type,
                n_lines: self.lines.len(),
                lines_max: self.doc_type.lines_max(),
            });
        }
        Ok(())
    }

    /// One line (numbered from 1): its product code, the quantity's sign (negative on a red
    /// document, positive otherwise; a stock count's is a counted quantity or, confirmed, a
    /// difference, of either sign), a price not below zero and values that fit.
    fn validate_line(&self, line_no: usize, line: &DocLine) -> Result<(), DocumentError> {
        validate_record_code("product", &line.product).map_err(|source| self.code_error(source))?;
        let is_red = self.red_of.is_some();
        let signed = self.doc_type != DocType::StockCount;
        if signed && !is_red && line.qty <= Decimal::ZERO {
            return Err(DocumentError::NonPositiveQuantity {
                number: self.number.clone(),
                line: line_no,
                qty: line.qty,
            });
        }
        if signed && is_red && line.qty >= Decimal::ZERO {
            return Err(DocumentError::NonNegativeRedQuantity {
                number: self.number.clone(),
                line: line_no,
                qty: line.qty,
            });
        }
        if line.price.is_sign_negative() && !line.price.is_zero() {
            return Err(DocumentError::NegativePrice {
                number: self.number.clone(),
                line: line_no,
                price: line.price,
            });
        }
        if LineValues::compute(line.qty, line.price, line.discount, line.tax_rate).is_none() {
            return Err(DocumentError::AmountTooLarge {
                number: self.number.clone(),
                line: line_no,
            });
        }
        Ok(())
    }

    /// The warehouses confirming this document moves stock in, each with the sign its lines'
    /// quantities move by: a transfer takes from `warehouse` and adds to `to_warehouse`.
    pub fn stock_moves(&self) -> Vec<(&str, i64)> {
        match self.doc_type.stock_sign() {
            0 => Vec::new(),
            sign if self.doc_type == DocType::Transfer => {
                vec![
                    (self.warehouse.as_str(), sign),
                    (self.to_warehouse.as_str(), -sign),
                ]
            }
            sign => vec![(self.warehouse.as_str(), sign)],
        }
    }

    /// Sum of the line values.
    pub fn totals(&self) -> LineValues {
        self.lines
            .iter()
            .fold(LineValues::default(), |sum, line| sum + line.values())
    }

    /// The document's canonical JSON (fixed field order, decimals as written).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("documents always serialize")
    }

    /// Hex SHA-256 of the canonical JSON with decimals normalized, so that "21.50" and
    /// "21.5" compare equal; used by reconcile and by duplicate-import detection.
    pub fn content_checksum(&self) -> String {
        let mut normalized = self.clone();
        for line in &mut normalized.lines {
            line.qty = line.qty.normalize();
            line.price = line.price.normalize();
            line.discount = line.discount.normalize();
            line.tax_rate = line.tax_rate.normalize();
        }
        hex::encode(Sha256::digest(normalized.canonical_json().as_bytes()))
    }

    /// A red document reversing all of `self`, numbered `number`.
    pub fn red_copy(&self, number: &str, date: NaiveDate) -> Document {
        Document {
            number: number.to_owned(),
            date,
            red_of: Some(self.number.clone()),
            lines: self
                .lines
                .iter()
                .map(|line| DocLine {
                    qty: -line.qty,
                    ..line.clone()
                })
                .collect(),
            link: None,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests;
