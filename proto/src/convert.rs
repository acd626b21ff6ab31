//! Conversions between generated wire types and `branchline-shared` domain types.
//!
//! Wire → domain conversions parse exactly and validate, so nothing malformed gets past the
//! gRPC edge; domain → wire conversions cannot fail.

use crate::v1;
use branchline_shared as shared;
use shared::{
    format_plain, parse_date, parse_decimal, parse_line_decimals, BaseKind, DecimalKind, DocInputError,
    DocType,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error(transparent)]
    DocumentInput(#[from] DocInputError),
    #[error(transparent)]
    Document(#[from] shared::DocumentError),
    #[error(transparent)]
    Base(#[from] shared::BaseError),
    #[error("field {field}: {source}")]
    Decimal {
        field: &'static str,
        source: shared::DecimalError,
    },
    #[error("entry {seq} has no body")]
    EmptyEntry { seq: u64 },
}

impl From<&shared::Document> for v1::Document {
    fn from(document: &shared::Document) -> v1::Document {
        v1::Document {
            number: document.number.clone(),
            doc_type: document.doc_type.as_str().to_owned(),
            date: document.date.format("%Y-%m-%d").to_string(),
            partner: document.partner.clone(),
            warehouse: document.warehouse.clone(),
            to_warehouse: document.to_warehouse.clone(),
            red_of: document.red_of.clone().unwrap_or_default(),
            lines: document
                .lines
                .iter()
                .map(|line| v1::DocLine {
                    product: line.product.clone(),
                    qty: line.qty.to_string(),
                    price: line.price.to_string(),
                    discount: line.discount.to_string(),
                    tax_rate: line.tax_rate.to_string(),
                })
                .collect(),
            link_branch: document
                .link
                .as_ref()
                .map(|link| link.branch.clone())
                .unwrap_or_default(),
            link_number: document
                .link
                .as_ref()
                .map(|link| link.number.clone())
                .unwrap_or_default(),
        }
    }
}

impl TryFrom<&v1::Document> for shared::Document {
    type Error = WireError;

    fn try_from(wire: &v1::Document) -> Result<shared::Document, WireError> {
        let mut lines = Vec::with_capacity(wire.lines.len());
        for line in &wire.lines {
            let (qty, price, discount, tax_rate) = parse_line_decimals(
                "lines.",
                &line.qty,
                &line.price,
                Some(&line.discount)
                    .filter(|text| !text.is_empty())
                    .map(String::as_str),
                Some(&line.tax_rate)
                    .filter(|text| !text.is_empty())
                    .map(String::as_str),
            )?;
            lines.push(shared::DocLine {
                product: line.product.clone(),
                qty,
                price,
                discount,
                tax_rate,
            });
        }
        let document = shared::Document {
            number: wire.number.clone(),
            doc_type: DocType::parse(&wire.doc_type)?,
            date: parse_date(&wire.date)?,
            partner: wire.partner.clone(),
            warehouse: wire.warehouse.clone(),
            to_warehouse: wire.to_warehouse.clone(),
            red_of: Some(wire.red_of.clone()).filter(|red_of| !red_of.is_empty()),
            lines,
            link: (!wire.link_branch.is_empty()).then(|| shared::DocLink {
                branch: wire.link_branch.clone(),
                number: wire.link_number.clone(),
            }),
        };
        document.validate()?;
        Ok(document)
    }
}

impl From<&shared::BaseRecord> for v1::BaseRecord {
    fn from(record: &shared::BaseRecord) -> v1::BaseRecord {
        v1::BaseRecord {
            kind: record.kind.as_str().to_owned(),
            code: record.code.clone(),
            name: record.name.clone(),
            unit: record.unit.clone(),
            price: record.price.map(format_plain).unwrap_or_default(),
            branch: record.branch.clone(),
        }
    }
}

impl TryFrom<&v1::BaseRecord> for shared::BaseRecord {
    type Error = WireError;

    fn try_from(wire: &v1::BaseRecord) -> Result<shared::BaseRecord, WireError> {
        let price = if wire.price.is_empty() {
            None
        } else {
            Some(
                parse_decimal(&wire.price, DecimalKind::Price).map_err(|source| WireError::Decimal {
                    field: "price",
                    source,
                })?,
            )
        };
        let record = shared::BaseRecord {
            kind: BaseKind::parse(&wire.kind)?,
            code: wire.code.clone(),
            name: wire.name.clone(),
            unit: wire.unit.clone(),
            price,
            branch: wire.branch.clone(),
        };
        record.validate()?;
        Ok(record)
    }
}

impl From<&shared::DocRejection> for v1::DocRejection {
    fn from(rejection: &shared::DocRejection) -> v1::DocRejection {
        v1::DocRejection {
            number: rejection.number.clone(),
            link_branch: rejection.link.branch.clone(),
            link_number: rejection.link.number.clone(),
            reason: rejection.reason.clone(),
        }
    }
}

impl From<&v1::DocRejection> for shared::DocRejection {
    fn from(wire: &v1::DocRejection) -> shared::DocRejection {
        shared::DocRejection {
            number: wire.number.clone(),
            link: shared::DocLink {
                branch: wire.link_branch.clone(),
                number: wire.link_number.clone(),
            },
            reason: wire.reason.clone(),
        }
    }
}

impl From<&shared::OutboxEntry> for v1::OutboxEntry {
    fn from(entry: &shared::OutboxEntry) -> v1::OutboxEntry {
        use v1::outbox_entry::Body;
        let body = match &entry.body {
            shared::EntryBody::Document(document) => Body::Document(document.into()),
            shared::EntryBody::BaseRecord(record) => Body::BaseRecord(record.into()),
            shared::EntryBody::Rejection(rejection) => Body::Rejection(rejection.into()),
        };
        v1::OutboxEntry {
            seq: entry.seq,
            body: Some(body),
        }
    }
}

impl TryFrom<&v1::OutboxEntry> for shared::OutboxEntry {
    type Error = WireError;

    fn try_from(wire: &v1::OutboxEntry) -> Result<shared::OutboxEntry, WireError> {
        use v1::outbox_entry::Body;
        let body = match wire
            .body
            .as_ref()
            .ok_or(WireError::EmptyEntry { seq: wire.seq })?
        {
            Body::Document(document) => shared::EntryBody::Document(document.try_into()?),
            Body::BaseRecord(record) => shared::EntryBody::BaseRecord(record.try_into()?),
            Body::Rejection(rejection) => shared::EntryBody::Rejection(rejection.into()),
        };
        Ok(shared::OutboxEntry { seq: wire.seq, body })
    }
}

impl From<&shared::Template> for v1::Template {
    fn from(template: &shared::Template) -> v1::Template {
        v1::Template {
            name: template.name.clone(),
            version: template.version,
            records: template.records.iter().map(Into::into).collect(),
            part: 0,
            parts: 0,
        }
    }
}

impl From<&shared::TemplatePart> for v1::Template {
    fn from(part: &shared::TemplatePart) -> v1::Template {
        v1::Template {
            name: part.name.clone(),
            version: part.version,
            records: part.records.iter().map(Into::into).collect(),
            part: part.part,
            parts: part.parts,
        }
    }
}

/// A wire template: the whole template, or one of its parts when `parts` is set.
fn inbox_template(wire: &v1::Template) -> Result<shared::InboxBody, WireError> {
    let template = shared::Template::try_from(wire)?;
    if wire.parts == 0 && wire.part == 0 {
        return Ok(shared::InboxBody::Template(template));
    }
    Ok(shared::InboxBody::TemplatePart(shared::TemplatePart {
        name: template.name,
        version: template.version,
        part: wire.part,
        parts: wire.parts,
        records: template.records,
    }))
}

impl TryFrom<&v1::Template> for shared::Template {
    type Error = WireError;

    fn try_from(wire: &v1::Template) -> Result<shared::Template, WireError> {
        Ok(shared::Template {
            name: wire.name.clone(),
            version: wire.version,
            records: wire
                .records
                .iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
        })
    }
}

impl From<&shared::InboxEntry> for v1::InboxEntry {
    fn from(entry: &shared::InboxEntry) -> v1::InboxEntry {
        use v1::inbox_entry::Body;
        let body = match &entry.body {
            shared::InboxBody::Template(template) => Body::Template(template.into()),
            shared::InboxBody::TemplatePart(part) => Body::Template(part.into()),
            shared::InboxBody::RoutedDocument(document) => Body::RoutedDocument(document.into()),
        };
        v1::InboxEntry {
            seq: entry.seq,
            body: Some(body),
        }
    }
}

impl TryFrom<&v1::InboxEntry> for shared::InboxEntry {
    type Error = WireError;

    fn try_from(wire: &v1::InboxEntry) -> Result<shared::InboxEntry, WireError> {
        use v1::inbox_entry::Body;
        let body = match wire
            .body
            .as_ref()
            .ok_or(WireError::EmptyEntry { seq: wire.seq })?
        {
            Body::Template(template) => inbox_template(template)?,
            Body::RoutedDocument(document) => shared::InboxBody::RoutedDocument(document.try_into()?),
        };
        Ok(shared::InboxEntry { seq: wire.seq, body })
    }
}

impl From<&shared::DayFigures> for v1::DayFigures {
    fn from(figures: &shared::DayFigures) -> v1::DayFigures {
        v1::DayFigures {
            documents: figures
                .documents
                .iter()
                .map(|document| v1::DayDocument {
                    number: document.number.clone(),
                    doc_type: document.doc_type.clone(),
                    checksum: document.checksum.clone(),
                    lines: document.lines,
                    qty: document.qty.to_string(),
                    amount: document.amount.to_string(),
                    tax: document.tax.to_string(),
                    epoch: document.position.0,
                    seq: document.position.1,
                })
                .collect(),
        }
    }
}

impl TryFrom<&v1::DayFigures> for shared::DayFigures {
    type Error = WireError;

    fn try_from(wire: &v1::DayFigures) -> Result<shared::DayFigures, WireError> {
        let decimal = |field, text: &str, kind| {
            parse_decimal(text, kind).map_err(|source| WireError::Decimal { field, source })
        };
        let mut documents = Vec::with_capacity(wire.documents.len());
        for document in &wire.documents {
            documents.push(shared::DayDocument {
                number: document.number.clone(),
                doc_type: document.doc_type.clone(),
                checksum: document.checksum.clone(),
                lines: document.lines,
                qty: decimal("documents.qty", &document.qty, DecimalKind::Quantity)?,
                amount: decimal("documents.amount", &document.amount, DecimalKind::Amount)?,
                tax: decimal("documents.tax", &document.tax, DecimalKind::Amount)?,
                position: (document.epoch, document.seq),
            });
        }
        Ok(shared::DayFigures::new(documents))
    }
}
