-- HQ schema v7 (PostgreSQL): the pending tier of the packed roll-ups (see src/store/pending.rs
-- and src/store/fold.rs). Each row holds what one batch adds to its branch's product sales and
-- on-hand (one column each, so a report reads only its own), until the branch's rows are folded
-- into the blocks and deleted; reports add both.
-- seq counts a branch's rows from 0 since its last fold.
CREATE TABLE rollup_pending (
    branch_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    sales BYTEA NOT NULL,
    stock BYTEA NOT NULL,
    PRIMARY KEY (branch_id, seq)
);
-- Varints do not compress much: stored out of line without spending CPU on trying.
ALTER TABLE rollup_pending ALTER COLUMN sales SET STORAGE EXTERNAL;
ALTER TABLE rollup_pending ALTER COLUMN stock SET STORAGE EXTERNAL;
