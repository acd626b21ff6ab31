-- HQ schema v8 (PostgreSQL): the highest inbox sequence a branch's ledger has reported applied.
-- After HQ is restored from a copy its inbox may end below that; a new entry takes a number
-- above both (src/store/inbox_queue.rs), so the ledger never skips it as already applied.
ALTER TABLE branch ADD COLUMN inbox_floor BIGINT NOT NULL DEFAULT 0;
-- Whether a pull has handed an inbox entry to the branch. An entry never offered cannot have been
-- applied, so one numbered at or below the floor (appended after a restore, before the branch
-- reported) is moved above it. Entries already present count as offered.
ALTER TABLE inbox ADD COLUMN offered INTEGER NOT NULL DEFAULT 1;
-- Only the entries not yet offered, so the floor check on every Hello and pull reads those alone.
CREATE INDEX inbox_unoffered ON inbox (branch_id, seq) WHERE offered = 0;
