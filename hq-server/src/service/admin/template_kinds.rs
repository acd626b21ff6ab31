//! What a CreateTemplate request's `kinds` ask for: base-data kinds, and `stock-limit` for HQ's
//! stock limits.

use super::error::AdminError;
use crate::store::registry::branches::RegistryError;
use crate::store::registry::template::TemplateContents;
use branchline_shared::BaseKind;

/// The template kind that carries stock limits (`--kinds product,stock-limit`).
const STOCK_LIMIT_KIND: &str = "stock-limit";

/// The base-data kinds of a CreateTemplate request, and whether it asks for stock limits.
pub(super) fn template_contents(kinds: &[String]) -> Result<TemplateContents, AdminError> {
    let mut contents = TemplateContents::default();
    for kind in kinds {
        if kind.strip_suffix('s').unwrap_or(kind) == STOCK_LIMIT_KIND {
            contents.stock_limits = true;
        } else {
            contents
                .kinds
                .push(BaseKind::parse(kind).map_err(RegistryError::from)?);
        }
    }
    Ok(contents)
}
