//! The consolidated reports (`consolidated`): what a report asks and answers (`query`), what it
//! fails with (`error`), and how it reads: a date range split into years, months and days
//! (`calendar`), grouped sums (`groups`) read by statement (`read`) or decoded from the packed
//! sales (`packed_read`) and on-hand (`stock_read`) blocks; subtotal and total rows added to the
//! groups (`subtotals`); a monthly sales report's change against earlier months (`growth`); the
//! stock counts' gains and losses (`count_diff`); what is under its stock limit's minimum
//! (`low_stock`). `report_db` is the database reports read, the store or a hot standby of it,
//! one snapshot per report.

mod calendar;
pub mod consolidated;
pub mod count_diff;
pub mod error;
mod groups;
mod growth;
pub mod low_stock;
mod packed_read;
pub mod query;
mod read;
pub mod report_db;
mod source;
mod stock_read;
mod subtotals;
