//! What the transfer agent learned about HQ's position that an operator must see and the
//! ledger must act on: HQ holding less than the ledger had acknowledged (HQ restored from a
//! copy or lost its last commits: the acknowledged position is lowered to HQ's and the entries
//! resent), and HQ holding more of the current epoch than the ledger (the ledger restored from
//! an old copy: appends are held until `epoch new` carries the unsent entries into a new epoch).

use crate::epoch::{current_epoch, epoch_counters};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::schema::write_tx;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// The last time HQ was found behind the ledger's acknowledged position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HqRewind {
    pub epoch: u64,
    /// What HQ held; the entries after it were resent.
    pub hq_applied_seq: u64,
    /// What the ledger had recorded as acknowledged.
    pub ledger_acked_seq: u64,
    /// RFC 3339, UTC.
    pub at: String,
}

impl std::fmt::Display for HqRewind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "HQ was behind: resent from seq {} of epoch {} (HQ held {}, ledger had acked {}) at {}",
            self.hq_applied_seq + 1,
            self.epoch,
            self.hq_applied_seq,
            self.ledger_acked_seq,
            self.at
        )
    }
}

/// An epoch whose appends are refused until `epoch new`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HqHold {
    pub epoch: u64,
    pub hq_applied_seq: u64,
    pub reason: String,
    pub at: String,
}

impl std::fmt::Display for HqHold {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "confirms held since {}: HQ holds epoch {} up to seq {} ({}); run `branch-node epoch new`",
            self.at, self.epoch, self.hq_applied_seq, self.reason
        )
    }
}

/// The status lines about HQ's position, for the table forms of `status`.
pub fn status_notes(rewind: Option<&HqRewind>, hold: Option<&HqHold>) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(hold) = hold {
        notes.push(hold.to_string());
    }
    if let Some(rewind) = rewind {
        notes.push(rewind.to_string());
    }
    notes
}

impl Ledger {
    /// `epoch`'s (acknowledged seq, last seq), or `None` for an epoch the ledger never had.
    pub fn epoch_position(&self, epoch: u64) -> Result<Option<(u64, u64)>, LedgerError> {
        let tx = self.conn.unchecked_transaction()?;
        Ok(epoch_counters(&tx, epoch)?.map(|row| (row.acked_seq, row.last_seq)))
    }

    /// Lowers `epoch`'s acknowledged position to `hq_applied_seq`, what HQ says it holds, and
    /// records the event; the agent then resends from there. `record_ack` never lowers the mark:
    /// this is the one operation that does, and only when HQ itself answers lower.
    pub fn rewind_ack(&self, epoch: u64, hq_applied_seq: u64) -> Result<HqRewind, LedgerError> {
        let tx = write_tx(&self.conn)?;
        let current = current_epoch(&tx)?.epoch;
        let Some(row) = epoch_counters(&tx, epoch)? else {
            return Err(LedgerError::UnknownEpoch { epoch, current });
        };
        if hq_applied_seq >= row.acked_seq {
            return Err(LedgerError::RewindNotLower {
                epoch,
                hq_applied_seq,
                acked_seq: row.acked_seq,
            });
        }
        let rewind = HqRewind {
            epoch,
            hq_applied_seq,
            ledger_acked_seq: row.acked_seq,
            at: now_text(),
        };
        tx.execute(
            "UPDATE epoch SET acked_seq = ?2 WHERE epoch = ?1",
            (epoch, hq_applied_seq),
        )?;
        tx.execute(
            "INSERT INTO hq_rewind (epoch, hq_applied_seq, ledger_acked_seq, at) VALUES (?1, ?2, ?3, ?4)",
            (epoch, hq_applied_seq, rewind.ledger_acked_seq, &rewind.at),
        )?;
        tx.commit()?;
        Ok(rewind)
    }

    /// Holds `epoch`'s appends (confirms, imports, base data, rejections) because HQ holds it up
    /// to `hq_applied_seq`, beyond what the ledger can vouch for. `epoch new` lifts it.
    pub fn hold_epoch(&self, epoch: u64, hq_applied_seq: u64, reason: &str) -> Result<(), LedgerError> {
        let tx = write_tx(&self.conn)?;
        tx.execute(
            "INSERT INTO hq_hold (epoch, hq_applied_seq, reason, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (epoch) DO UPDATE SET hq_applied_seq = excluded.hq_applied_seq,
                 reason = excluded.reason, at = excluded.at",
            (epoch, hq_applied_seq, reason, now_text()),
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// The latest rewind, if HQ was ever found behind.
pub(crate) fn last_rewind(conn: &Connection) -> Result<Option<HqRewind>, LedgerError> {
    let rewind = conn
        .prepare_cached(
            "SELECT epoch, hq_applied_seq, ledger_acked_seq, at FROM hq_rewind ORDER BY id DESC LIMIT 1",
        )?
        .query_row([], |row| {
            Ok(HqRewind {
                epoch: row.get(0)?,
                hq_applied_seq: row.get(1)?,
                ledger_acked_seq: row.get(2)?,
                at: row.get(3)?,
            })
        })
        .optional()?;
    Ok(rewind)
}

/// The hold on `epoch`, if any.
pub(crate) fn epoch_hold(conn: &Connection, epoch: u64) -> Result<Option<HqHold>, LedgerError> {
    let hold = conn
        .prepare_cached("SELECT hq_applied_seq, reason, at FROM hq_hold WHERE epoch = ?1")?
        .query_row([epoch], |row| {
            Ok(HqHold {
                epoch,
                hq_applied_seq: row.get(0)?,
                reason: row.get(1)?,
                at: row.get(2)?,
            })
        })
        .optional()?;
    Ok(hold)
}

/// Refuses an append to a held epoch.
pub(crate) fn check_not_held(conn: &Connection, epoch: u64) -> Result<(), LedgerError> {
    match epoch_hold(conn, epoch)? {
        Some(hold) => Err(LedgerError::EpochHeldByHq {
            epoch,
            hq_applied_seq: hold.hq_applied_seq,
            reason: hold.reason,
        }),
        None => Ok(()),
    }
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
