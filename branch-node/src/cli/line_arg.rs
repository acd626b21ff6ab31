//! The values an operator types on the command line that are more than a word: a document line
//! (`PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]]`) and a date (today when left out).

use anyhow::{bail, Context};
use branchline_shared::{echo_prefix, parse_date, parse_line_decimals, DocLine};

/// `--date`, or today when it is left out.
pub(super) fn date_or_today(date: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    match date {
        Some(text) => Ok(parse_date(text).context("--date")?),
        None => Ok(chrono::Local::now().date_naive()),
    }
}

/// Parses `PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]]`.
pub fn parse_line_arg(text: &str) -> anyhow::Result<DocLine> {
    let shape = "expected PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]]";
    let text_echo = echo_prefix(text);
    let Some((product, rest)) = text.split_once(':') else {
        bail!("--line {text_echo:?}: {shape}");
    };
    let Some((qty, rest)) = rest.split_once('@') else {
        bail!("--line {text_echo:?}: {shape}");
    };
    let mut parts = rest.split(':');
    let price = parts.next().unwrap_or_default();
    let discount = parts.next();
    let tax_rate = parts.next();
    if parts.next().is_some() {
        bail!("--line {text_echo:?}: {shape}");
    }
    let (qty, price, discount, tax_rate) = parse_line_decimals("", qty, price, discount, tax_rate)
        .with_context(|| format!("--line {text_echo:?}"))?;
    Ok(DocLine {
        product: product.to_owned(),
        qty,
        price,
        discount,
        tax_rate,
    })
}
