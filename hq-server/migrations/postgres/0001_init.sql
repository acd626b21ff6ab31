-- HQ schema v1 (PostgreSQL): registry, master data, ingestion, quarantine, inbox and audit.
-- Decimals are NUMERIC.
-- Times are RFC 3339 UTC text.

CREATE TABLE org (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE branch (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org TEXT NOT NULL UNIQUE REFERENCES org (code),
    mode TEXT NOT NULL,
    customer TEXT NOT NULL,
    supplier TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    epoch BIGINT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL DEFAULT 0,
    received_at TEXT,
    last_contact TEXT,
    backlog BIGINT NOT NULL DEFAULT 0,
    conflicts BIGINT NOT NULL DEFAULT 0,
    inbox_seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE master_record (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    price NUMERIC(18,6),
    branch TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, code)
);

CREATE TABLE branch_record (
    branch_id BIGINT NOT NULL REFERENCES branch (id),
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    price NUMERIC(18,6),
    branch TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, kind, code)
);

CREATE TABLE entry (
    branch_id BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, epoch, seq)
);

CREATE TABLE document (
    branch_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    doc_type TEXT NOT NULL,
    doc_date TEXT NOT NULL,
    partner TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    red_of TEXT,
    link_branch TEXT,
    link_number TEXT,
    amount NUMERIC(20,2) NOT NULL,
    tax NUMERIC(20,2) NOT NULL,
    total NUMERIC(20,2) NOT NULL,
    checksum TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, number)
);

CREATE TABLE document_line (
    branch_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    line_no BIGINT NOT NULL,
    product TEXT NOT NULL,
    qty NUMERIC(16,4) NOT NULL,
    price NUMERIC(18,6) NOT NULL,
    discount NUMERIC(5,4) NOT NULL,
    tax_rate NUMERIC(5,4) NOT NULL,
    amount NUMERIC(18,2) NOT NULL,
    tax NUMERIC(18,2) NOT NULL,
    total NUMERIC(18,2) NOT NULL,
    PRIMARY KEY (branch_id, number, line_no)
);

CREATE TABLE rejection (
    branch_id BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    number TEXT NOT NULL,
    link_branch TEXT NOT NULL,
    link_number TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, epoch, seq)
);

CREATE TABLE quarantine (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    branch_id BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    reason TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    UNIQUE (branch_id, epoch, seq)
);

CREATE TABLE inbox (
    branch_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (branch_id, seq)
);

CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
