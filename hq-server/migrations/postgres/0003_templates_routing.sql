-- HQ schema (PostgreSQL): templates (模板发放) and inter-branch routing (单据转换).

-- Every version of every template: a snapshot of HQ master data taken by `template create`.
CREATE TABLE template (
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    kinds TEXT NOT NULL,
    codes TEXT NOT NULL,
    n_records BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (name, version)
);

-- Which template version was queued in which branch's inbox: published once per branch.
CREATE TABLE template_delivery (
    branch_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    inbox_seq BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, name, version)
);

-- Every inter-branch trade document HQ routed (or could not place): at most once per source.
-- state: queued | quarantined | linked (already entered at the receiver) | confirmed | rejected
CREATE TABLE routed (
    source_branch_id BIGINT NOT NULL,
    source_number TEXT NOT NULL,
    target_branch_id BIGINT,
    doc_type TEXT NOT NULL,
    state TEXT NOT NULL,
    inbox_seq BIGINT,
    target_number TEXT,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source_branch_id, source_number)
);

CREATE INDEX routed_target ON routed (target_branch_id, state);

-- A quarantined entry that failed to apply ('entry') or an applied document HQ could not route ('routing').
ALTER TABLE quarantine ADD COLUMN kind TEXT NOT NULL DEFAULT 'entry';
