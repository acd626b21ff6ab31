-- HQ schema (SQLite): templates (模板发放) and inter-branch routing (单据转换).

-- Every version of every template: a snapshot of HQ master data taken by `template create`.
CREATE TABLE template (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    kinds TEXT NOT NULL,
    codes TEXT NOT NULL,
    n_records INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (name, version)
) STRICT;

-- Which template version was queued in which branch's inbox: published once per branch.
CREATE TABLE template_delivery (
    branch_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    inbox_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, name, version)
) STRICT;

-- Every inter-branch trade document HQ routed (or could not place): at most once per source.
-- state: queued | quarantined | linked (already entered at the receiver) | confirmed | rejected
CREATE TABLE routed (
    source_branch_id INTEGER NOT NULL,
    source_number TEXT NOT NULL,
    target_branch_id INTEGER,
    doc_type TEXT NOT NULL,
    state TEXT NOT NULL,
    inbox_seq INTEGER,
    target_number TEXT,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source_branch_id, source_number)
) STRICT;

CREATE INDEX routed_target ON routed (target_branch_id, state);

-- A quarantined entry that failed to apply ('entry') or an applied document HQ could not route ('routing').
ALTER TABLE quarantine ADD COLUMN kind TEXT NOT NULL DEFAULT 'entry';
