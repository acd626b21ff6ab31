//! Templates (a versioned set of base-data records HQ distributes) and their parts: a template
//! too large for one message travels in parts, each its own inbox entry holding a run of the
//! template's records, of bounded size, with the template's name and version and its place
//! among the parts. The branch stages parts and applies the version when it has all. A
//! template made with stock limits carries them whole, in its last part.

use crate::base::BaseRecord;
use crate::stock_limit::WarehouseLimit;
use serde::{Deserialize, Serialize};

/// A versioned base-data template (基础数据模板).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub version: u64,
    pub records: Vec<BaseRecord>,
    /// The stock limits of the warehouses this template goes to, when it was made with them
    /// (`Some`, even empty: they replace the limits an older version brought); `None` for a
    /// template of base data only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_limits: Option<Vec<WarehouseLimit>>,
}

impl Template {
    /// The template as it goes to branch `branch`: only the limits of its own warehouses and
    /// of warehouses of no branch.
    pub fn for_branch(&self, branch: &str) -> Template {
        let mut template = self.clone();
        if let Some(limits) = &mut template.stock_limits {
            limits.retain(|limit| limit.branch.is_empty() || limit.branch == branch);
        }
        template
    }
}

/// Part `part` (1-based) of `parts` of version `version` of template `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePart {
    pub name: String,
    pub version: u64,
    pub part: u32,
    pub parts: u32,
    pub records: Vec<BaseRecord>,
    /// The template's stock limits, on its last part only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_limits: Option<Vec<WarehouseLimit>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplatePartError {
    #[error("template {name} version {version}: part {part} of {parts} is out of range")]
    OutOfRange {
        name: String,
        version: u64,
        part: u32,
        parts: u32,
    },
    #[error(
        "template {name} version {version}: part {part} says {found} parts, an earlier part said {expected}"
    )]
    CountDiffers {
        name: String,
        version: u64,
        part: u32,
        found: u32,
        expected: u32,
    },
}

impl TemplatePart {
    /// Refuses a part whose number is not within 1..=parts.
    pub fn check(&self) -> Result<(), TemplatePartError> {
        if self.part == 0 || self.part > self.parts {
            return Err(TemplatePartError::OutOfRange {
                name: self.name.clone(),
                version: self.version,
                part: self.part,
                parts: self.parts,
            });
        }
        Ok(())
    }
}

/// Cuts `template`'s records, in order, into runs whose canonical JSON stays within
/// `part_bytes_max` (a run holds at least one record, however large). One run means the
/// template fits whole: the caller sends it as is.
pub fn split_template(template: &Template, part_bytes_max: usize) -> Vec<TemplatePart> {
    let mut runs: Vec<Vec<BaseRecord>> = Vec::new();
    let mut run_bytes = 0usize;
    for record in &template.records {
        let record_bytes = serde_json::to_string(record)
            .expect("records always serialize")
            .len()
            + 1;
        match runs.last_mut() {
            Some(run) if run_bytes + record_bytes <= part_bytes_max => run.push(record.clone()),
            _ => {
                runs.push(vec![record.clone()]);
                run_bytes = 0;
            }
        }
        run_bytes += record_bytes;
    }
    let parts = runs.len() as u32;
    runs.into_iter()
        .enumerate()
        .map(|(run_idx, records)| TemplatePart {
            name: template.name.clone(),
            version: template.version,
            part: run_idx as u32 + 1,
            parts,
            records,
            stock_limits: (run_idx as u32 + 1 == parts)
                .then(|| template.stock_limits.clone())
                .flatten(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::BaseKind;

    fn template(n_records: usize) -> Template {
        Template {
            name: "base".to_owned(),
            version: 3,
            records: (0..n_records)
                .map(|idx| BaseRecord::new(BaseKind::Product, &format!("P{idx:04}"), "商品"))
                .collect(),
            stock_limits: None,
        }
    }

    #[test]
    fn parts_keep_every_record_in_order_within_the_bound() {
        let whole = template(1_000);
        let parts = split_template(&whole, 4_096);
        assert!(parts.len() > 1);
        for part in &parts {
            part.check().unwrap();
            assert_eq!(part.parts as usize, parts.len());
            let bytes: usize = part
                .records
                .iter()
                .map(|record| serde_json::to_string(record).unwrap().len() + 1)
                .sum();
            assert!(bytes <= 4_096);
        }
        let joined: Vec<BaseRecord> = parts.into_iter().flat_map(|part| part.records).collect();
        assert_eq!(joined, whole.records);
    }

    #[test]
    fn a_small_template_is_one_part_and_a_huge_record_still_goes() {
        assert_eq!(split_template(&template(3), 1 << 20).len(), 1);
        assert_eq!(split_template(&template(3), 1).len(), 3);
    }
}
