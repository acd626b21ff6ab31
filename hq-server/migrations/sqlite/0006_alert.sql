-- HQ's own alerts (src/alert/): which rule fires for which branch now, and every message a
-- rule's start or clear owes its webhook. Replicas agree through these tables: a start is the
-- one insert of its firing row, a clear the one delete of it, each queuing its message in the
-- same transaction; a message is sent by the replica that claimed it (claimed_until).
-- branch.last_conflict_at: when HQ last refused a conflicting resend of the branch.

ALTER TABLE branch ADD COLUMN last_conflict_at TEXT;

CREATE TABLE alert_firing (
    rule TEXT NOT NULL,
    branch_id INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (rule, branch_id)
) STRICT, WITHOUT ROWID;

-- state: pending | delivered | abandoned (not delivered within the give-up time, or its rule is gone)
CREATE TABLE alert_message (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    branch_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind = 'start' OR kind = 'clear'),
    facts TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'abandoned')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    last_error TEXT,
    delivered_at TEXT
) STRICT;

CREATE INDEX alert_message_pending ON alert_message (state, rule, branch_id, id);
