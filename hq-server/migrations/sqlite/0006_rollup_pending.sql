-- HQ schema v6 (SQLite): the pending tier of the packed roll-ups (see src/store/pending.rs and
-- src/store/fold.rs). Each row holds what one batch adds to its branch's product sales and
-- on-hand (one column each, so a report reads only its own), until the branch's rows are folded
-- into the blocks and deleted; reports add both.
-- seq counts a branch's rows from 0 since its last fold.
CREATE TABLE rollup_pending (
    branch_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    sales BLOB NOT NULL,
    stock BLOB NOT NULL,
    PRIMARY KEY (branch_id, seq)
) STRICT;
