-- HQ schema v1 (SQLite): registry, master data, ingestion, quarantine, inbox and audit.
-- Decimals are scaled integers: quantities and rates x10^4, prices x10^6, amounts in cents.
-- Times are RFC 3339 UTC text.

CREATE TABLE org (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE branch (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org TEXT NOT NULL UNIQUE REFERENCES org (code),
    mode TEXT NOT NULL,
    customer TEXT NOT NULL,
    supplier TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    epoch INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    received_at TEXT,
    last_contact TEXT,
    backlog INTEGER NOT NULL DEFAULT 0,
    conflicts INTEGER NOT NULL DEFAULT 0,
    inbox_seq INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE master_record (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    price INTEGER,
    branch TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE branch_record (
    branch_id INTEGER NOT NULL REFERENCES branch (id),
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    price INTEGER,
    branch TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, kind, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE entry (
    branch_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, epoch, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE document (
    branch_id INTEGER NOT NULL,
    number TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    doc_type TEXT NOT NULL,
    doc_date TEXT NOT NULL,
    partner TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    red_of TEXT,
    link_branch TEXT,
    link_number TEXT,
    amount INTEGER NOT NULL,
    tax INTEGER NOT NULL,
    total INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE document_line (
    branch_id INTEGER NOT NULL,
    number TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    product TEXT NOT NULL,
    qty INTEGER NOT NULL,
    price INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    tax_rate INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    tax INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (branch_id, number, line_no)
) STRICT, WITHOUT ROWID;

CREATE TABLE rejection (
    branch_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    link_branch TEXT NOT NULL,
    link_number TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, epoch, seq)
) STRICT;

CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    branch_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    UNIQUE (branch_id, epoch, seq)
) STRICT;

CREATE TABLE inbox (
    branch_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, seq)
) STRICT;

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
