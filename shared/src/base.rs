//! Base data (基础资料): products, customers, suppliers and warehouses.

use crate::code::{validate_branch_code, validate_record_code, CodeError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which kind of base-data record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaseKind {
    Product,
    Customer,
    Supplier,
    Warehouse,
}

impl BaseKind {
    pub const ALL: [BaseKind; 4] = [
        BaseKind::Product,
        BaseKind::Customer,
        BaseKind::Supplier,
        BaseKind::Warehouse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BaseKind::Product => "product",
            BaseKind::Customer => "customer",
            BaseKind::Supplier => "supplier",
            BaseKind::Warehouse => "warehouse",
        }
    }

    /// Accepts the singular or plural form (`product`, `products`).
    pub fn parse(text: &str) -> Result<BaseKind, BaseError> {
        let singular = text.strip_suffix('s').unwrap_or(text);
        BaseKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == singular)
            .ok_or_else(|| BaseError::UnknownKind {
                kind: text.to_owned(),
            })
    }
}

impl std::fmt::Display for BaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseError {
    #[error("unknown base-data kind {kind:?}: expected product, customer, supplier or warehouse")]
    UnknownKind { kind: String },
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("{kind} {code}: name is empty")]
    EmptyName { kind: BaseKind, code: String },
    #[error("{kind} {code}: name is longer than 200 characters")]
    NameTooLong { kind: BaseKind, code: String },
    #[error("product {code}: negative price {price}")]
    NegativePrice { code: String, price: Decimal },
}

/// One base-data record. `unit` and `price` apply to products, `branch` to warehouses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseRecord {
    pub kind: BaseKind,
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub branch: String,
}

impl BaseRecord {
    pub fn new(kind: BaseKind, code: &str, name: &str) -> BaseRecord {
        BaseRecord {
            kind,
            code: code.to_owned(),
            name: name.to_owned(),
            unit: String::new(),
            price: None,
            branch: String::new(),
        }
    }

    pub fn validate(&self) -> Result<(), BaseError> {
        validate_record_code(self.kind.as_str(), &self.code)?;
        if self.name.trim().is_empty() {
            return Err(BaseError::EmptyName {
                kind: self.kind,
                code: self.code.clone(),
            });
        }
        if self.name.chars().count() > 200 {
            return Err(BaseError::NameTooLong {
                kind: self.kind,
                code: self.code.clone(),
            });
        }
        if let Some(price) = self.price {
            if price.is_sign_negative() && !price.is_zero() {
                return Err(BaseError::NegativePrice {
                    code: self.code.clone(),
                    price,
                });
            }
        }
        if !self.branch.is_empty() {
            validate_branch_code(&self.branch)?;
        }
        Ok(())
    }
}
