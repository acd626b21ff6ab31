-- The daily close (日结对账): a branch's business day whose figures matched at the ledger and at
-- HQ. A document dated on a closed day arriving later reopens it (state 'reopened', in the same
-- ingestion transaction); a new matching close closes it again. Sums are canonical decimal text.

CREATE TABLE day_close (
    branch_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state = 'closed' OR state = 'reopened'),
    documents INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    qty TEXT NOT NULL,
    amount TEXT NOT NULL,
    tax TEXT NOT NULL,
    first_epoch INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_epoch INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    closed_at TEXT NOT NULL,
    reopened_at TEXT,
    PRIMARY KEY (branch_id, day)
) STRICT, WITHOUT ROWID;
