//! A document being entered, as the form posts it (`type`, `date`, `partner`, `warehouse`, `to_warehouse`,
//! then `product`, `qty`, `price`, `discount`, `tax_rate` once per line, in order), and what the
//! ledger's own parsing and arithmetic make of it: each line's amount, tax and total (the
//! `shared` arithmetic the ledger posts with), or the error of the field it names.

use crate::workbench::words::Lang;
use branchline_shared::{
    format_amount, parse_date, parse_line_decimals, DocLine, DocType, Document, LineValues,
};

/// One line as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineInput {
    pub(crate) product: String,
    pub(crate) qty: String,
    pub(crate) price: String,
    pub(crate) discount: String,
    pub(crate) tax_rate: String,
}

/// The whole form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EntryForm {
    pub(crate) doc_type: String,
    pub(crate) date: String,
    pub(crate) partner: String,
    pub(crate) warehouse: String,
    /// A transfer's destination warehouse.
    pub(crate) to_warehouse: String,
    pub(crate) lines: Vec<LineInput>,
    pub(crate) csrf: String,
    /// `draft`, `confirm`, or `add-line` (one more empty line, nothing saved).
    pub(crate) action: String,
}

impl EntryForm {
    /// The form of the posted pairs; a line starts at each `product`.
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> EntryForm {
        let mut form = EntryForm::default();
        for (key, value) in pairs {
            if key == "product" {
                form.lines.push(LineInput::default());
            }
            let line = form.lines.last_mut();
            match (key.as_str(), line) {
                ("type", _) => form.doc_type = value,
                ("date", _) => form.date = value,
                ("partner", _) => form.partner = value,
                ("warehouse", _) => form.warehouse = value,
                ("to_warehouse", _) => form.to_warehouse = value,
                ("csrf", _) => form.csrf = value,
                ("action", _) => form.action = value,
                ("product", Some(line)) => line.product = value.trim().to_owned(),
                ("qty", Some(line)) => line.qty = value,
                ("price", Some(line)) => line.price = value,
                ("discount", Some(line)) => line.discount = value,
                ("tax_rate", Some(line)) => line.tax_rate = value,
                _ => {}
            }
        }
        form
    }

    /// The lines that hold anything (an empty row of the form is not a line).
    pub(crate) fn filled_lines(&self) -> impl Iterator<Item = (usize, &LineInput)> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, line)| !line.product.is_empty() || !line.qty.trim().is_empty())
    }

    /// The document the form describes, numbered by the ledger, or the first error with the
    /// place of the form it belongs to.
    pub(crate) fn document(&self, lang: Lang) -> Result<Document, (Spot, String)> {
        let doc_type = DocType::parse(self.doc_type.trim())
            .map_err(|error| (Spot::Type, format!("{}: {error}", lang.t("类型", "type"))))?;
        let date = parse_date(self.date.trim())
            .map_err(|error| (Spot::Date, format!("{}: {error}", lang.t("日期", "date"))))?;
        let mut lines = Vec::new();
        for (index, line) in self.filled_lines() {
            let parsed = line.parse().map_err(|error| {
                let message = match lang {
                    Lang::Zh => format!("第 {} 行：{error}", index + 1),
                    Lang::En => format!("line {}: {error}", index + 1),
                };
                (Spot::Line(index), message)
            })?;
            lines.push(parsed);
        }
        Ok(Document {
            number: String::new(),
            doc_type,
            date,
            partner: self.partner.trim().to_owned(),
            warehouse: self.warehouse.trim().to_owned(),
            to_warehouse: self.to_warehouse.trim().to_owned(),
            red_of: None,
            lines,
            link: None,
        })
    }
}

/// Where on the form an error belongs: beside a head field, a line, or the buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spot {
    Type,
    Date,
    Partner,
    Warehouse,
    ToWarehouse,
    Line(usize),
    Form,
}

/// `text` trimmed, or `None` when that leaves nothing.
fn optional(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

impl LineInput {
    fn parse(&self) -> Result<DocLine, String> {
        let (qty, price, discount, tax_rate) = parse_line_decimals(
            "",
            self.qty.trim(),
            self.price.trim(),
            optional(&self.discount),
            optional(&self.tax_rate),
        )
        .map_err(|error| error.to_string())?;
        Ok(DocLine {
            product: self.product.clone(),
            qty,
            price,
            discount,
            tax_rate,
        })
    }

    /// The line's amount, tax and total as the ledger will post them, once its figures parse.
    pub(crate) fn values(&self) -> Option<[String; 3]> {
        let line = self.parse().ok()?;
        let values = LineValues::compute(line.qty, line.price, line.discount, line.tax_rate)?;
        Some([values.amount, values.tax, values.total].map(format_amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn lines_start_at_each_product_and_compute_as_the_ledger_does() {
        let form = EntryForm::from_pairs(pairs(&[
            ("type", "sales-out"),
            ("date", "2026-01-05"),
            ("product", "P001"),
            ("qty", "17"),
            ("price", "21.50"),
            ("discount", "0.04"),
            ("tax_rate", "0.13"),
            ("product", ""),
            ("qty", ""),
        ]));
        assert_eq!(form.lines.len(), 2);
        assert_eq!(form.filled_lines().count(), 1, "the empty row is no line");
        assert_eq!(form.lines[0].values().unwrap(), ["350.88", "45.61", "396.49"]);
        let document = form.document(Lang::Zh).unwrap();
        assert_eq!(document.totals().total.to_string(), "396.49");
    }

    #[test]
    fn an_error_names_its_line_and_field() {
        let form = EntryForm::from_pairs(pairs(&[
            ("type", "sales-out"),
            ("date", "2026-01-05"),
            ("product", "P001"),
            ("qty", "1"),
            ("price", "2"),
            ("product", "P002"),
            ("qty", "x"),
            ("price", "2"),
        ]));
        let (spot, message) = form.document(Lang::En).unwrap_err();
        assert_eq!(spot, Spot::Line(1));
        assert!(message.starts_with("line 2: field qty: "), "{message}");
        let (_, message) = form.document(Lang::Zh).unwrap_err();
        assert!(message.starts_with("第 2 行：field qty: "), "{message}");
        let bad_date = EntryForm {
            date: "2026-02-30".into(),
            ..form
        };
        let (spot, message) = bad_date.document(Lang::En).unwrap_err();
        assert_eq!(spot, Spot::Date);
        assert!(message.starts_with("date: "), "{message}");
    }
}
