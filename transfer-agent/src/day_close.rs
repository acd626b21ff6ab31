//! The daily close (日结对账): after Hello, the ledger's figures of one business day (each
//! confirmed document dated that day with its checksum, lines, sums and outbox position) go to
//! HQ, which compares them with its own, records the day closed when they match, and answers its
//! figures either way; the agent names every document in which the two sides differ.

use crate::client::{ClientError, Hq};
use crate::greeting::{greet, GreetingError};
use crate::ledger_access::{open_shared, run_blocking, LedgerAccessError};
use branchline_proto::v1::{self, CloseDayRequest};
use branchline_proto::{WireError, PROTOCOL_VERSION};
use branchline_shared::{day_differences, DayDifference, DayFigures};
use chrono::NaiveDate;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DayCloseError {
    #[error(transparent)]
    Ledger(#[from] LedgerAccessError),
    #[error(transparent)]
    Hq(#[from] ClientError),
    #[error(transparent)]
    Greeting(#[from] GreetingError),
    #[error("HQ answered day figures this agent cannot read: {0}")]
    HqFigures(WireError),
}

/// A `--day` that is not a business day.
#[derive(Debug, thiserror::Error)]
#[error("--day {shown:?} is not a date YYYY-MM-DD in 1900-01-01..9999-12-31; nothing was compared")]
pub struct BadDay {
    /// A short prefix of what was given.
    pub shown: String,
}

/// `text` as a business day: `YYYY-MM-DD` within the dates a document may carry.
pub fn parse_day(text: &str) -> Result<NaiveDate, BadDay> {
    let well_formed = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|day| well_formed && branchline_shared::date_in_range(*day))
        .ok_or_else(|| BadDay {
            shown: branchline_shared::echo_prefix(text),
        })
}

/// What the day's comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayReport {
    pub day: NaiveDate,
    pub branch: String,
    pub ledger: DayFigures,
    pub hq: DayFigures,
    /// The documents that differ, by number; empty when the day matches.
    pub differences: Vec<DayDifference>,
    /// When HQ recorded the day closed; `None` when it did not (the figures differ).
    pub closed_at: Option<String>,
    /// Outbox entries not yet acknowledged: documents among them show as missing at HQ.
    pub backlog: u64,
}

impl DayReport {
    /// The day matched at both ends and HQ recorded it closed.
    pub fn closed(&self) -> bool {
        self.differences.is_empty() && self.closed_at.is_some()
    }
}

/// Compares `day` of the ledger at `ledger_path` with HQ, which closes it when they match.
pub async fn close_day(ledger_path: &Path, hq: &Hq, day: NaiveDate) -> Result<DayReport, DayCloseError> {
    let ledger = open_shared(ledger_path).await?;
    let status = run_blocking(&ledger, |ledger| ledger.status().map_err(Box::new)).await?;
    match greet(hq, ledger_path, &status).await {
        Ok(_) => {}
        // As reconcile: a ledger of an older epoch than HQ's passed the branch check and may
        // still compare what it holds.
        Err(GreetingError::Hq(ClientError::Refused {
            code: tonic::Code::FailedPrecondition,
            ..
        })) => {}
        Err(error) => return Err(error.into()),
    }
    let ledger_figures =
        run_blocking(&ledger, move |ledger| ledger.day_figures(day).map_err(Box::new)).await?;
    let mut client = hq.client.clone();
    let response = hq
        .unary(
            "close day",
            client.close_day(CloseDayRequest {
                protocol_version: PROTOCOL_VERSION,
                day: day.format("%Y-%m-%d").to_string(),
                ledger: Some(v1::DayFigures::from(&ledger_figures)),
                branch: status.branch.clone(),
            }),
        )
        .await?;
    let hq_figures = response
        .hq
        .as_ref()
        .map(DayFigures::try_from)
        .transpose()
        .map_err(DayCloseError::HqFigures)?
        .unwrap_or_default();
    Ok(DayReport {
        day,
        branch: status.branch,
        differences: day_differences(&ledger_figures, &hq_figures),
        ledger: ledger_figures,
        hq: hq_figures,
        closed_at: Some(response.closed_at).filter(|_| response.closed),
        backlog: status.backlog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_a_plain_date_in_range() {
        assert_eq!(
            parse_day("2026-11-05").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 5).unwrap()
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2026-1-5",
            "20261105",
            "1899-12-31",
            "2026-11-05x",
        ] {
            let error = parse_day(bad).unwrap_err().to_string();
            assert!(error.starts_with(&format!("--day {bad:?} ")), "{error}");
        }
    }
}
