-- HQ schema v8 (PostgreSQL): the highest inbox sequence a branch's ledger has reported applied.
-- After HQ is restored from a copy its inbox may end below that; a new entry takes a number
-- above both (src/store/inbox_queue.rs), so the ledger never skips it as already applied.
ALTER TABLE branch ADD COLUMN inbox_floor BIGINT NOT NULL DEFAULT 0;
