-- The HQ schema (PostgreSQL): registry, master data, ingestion, quarantine, inbox, audit,
-- report roll-ups and targets, templates and inter-branch routing.
-- Decimals are NUMERIC.
-- Times are RFC 3339 UTC text.

CREATE TABLE org (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- branch.inbox_floor: the highest inbox sequence the branch's ledger has reported applied. After
-- HQ is restored from a copy its inbox may end below that; a new entry takes a number above both
-- (src/store/trade/inbox_queue.rs), so the ledger never skips it as already applied.
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
    inbox_seq BIGINT NOT NULL DEFAULT 0,
    inbox_floor BIGINT NOT NULL DEFAULT 0
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

-- quarantine.kind: an entry that failed to apply ('entry') or an applied document HQ could not
-- route ('routing').
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
    kind TEXT NOT NULL DEFAULT 'entry',
    UNIQUE (branch_id, epoch, seq)
);

-- inbox.offered: whether a pull has handed the entry to the branch. An entry never offered cannot
-- have been applied, so one numbered at or below the floor (appended after a restore, before the
-- branch reported) is moved above it.
CREATE TABLE inbox (
    branch_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    offered INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (branch_id, seq)
);

CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- Report roll-ups, maintained in the transaction that ingests documents (src/store/rollup/).
-- Sales count confirmed sales-outs and retail sales, red documents with their sign.
-- fillfactor: room on every page for the new row versions ingestion's upserts write, so that
-- PostgreSQL updates in place (HOT) and leaves the primary-key index alone.

-- Branch x day.
CREATE TABLE sales_day (
    branch_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    qty NUMERIC(24,4) NOT NULL,
    amount NUMERIC(24,2) NOT NULL,
    tax NUMERIC(24,2) NOT NULL,
    total NUMERIC(24,2) NOT NULL,
    PRIMARY KEY (branch_id, day)
) WITH (fillfactor = 60);

-- Monthly sales targets per organization.
CREATE TABLE sales_target (
    org TEXT NOT NULL,
    month TEXT NOT NULL,
    amount NUMERIC(24,2) NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org, month)
);

-- Templates (模板发放) and inter-branch routing (单据转换).

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

-- Packed product roll-ups (src/store/rollup/packed.rs): one row per branch x period x block of
-- 64 products for the sales, one per branch x warehouse x block for the on-hand (a slot's quantity
-- being the on-hand, its line count the stock-moving lines). Product and warehouse codes get
-- dense ids from one dictionary (product_slot: code -> id), drawn from a sequence on PostgreSQL
-- (transactions of different branches assign ids at once).

CREATE SEQUENCE product_slot_id MINVALUE 0 START WITH 0;

CREATE TABLE product_slot (
    code TEXT PRIMARY KEY,
    id BIGINT NOT NULL UNIQUE DEFAULT nextval('product_slot_id')
);
ALTER SEQUENCE product_slot_id OWNED BY product_slot.id;

-- key = branch_id << 38 | period << 21 | block, period = year (or year x 12 + month - 1).
-- A full block is about 2 KB: stored inline and uncompressed (PLAIN), with room on the page
-- for the next version of a row the ingestion rewrites (fillfactor), so updates stay HOT.
CREATE TABLE sales_year_block (
    key BIGINT PRIMARY KEY,
    sums BYTEA NOT NULL
) WITH (fillfactor = 50);
ALTER TABLE sales_year_block ALTER COLUMN sums SET STORAGE PLAIN;

CREATE TABLE sales_month_block (
    key BIGINT PRIMARY KEY,
    sums BYTEA NOT NULL
) WITH (fillfactor = 50);
ALTER TABLE sales_month_block ALTER COLUMN sums SET STORAGE PLAIN;

-- key = branch_id << 38 | warehouse id << 21 | block; stored like the sales blocks.
CREATE TABLE stock_block (
    key BIGINT PRIMARY KEY,
    sums BYTEA NOT NULL
) WITH (fillfactor = 50);
ALTER TABLE stock_block ALTER COLUMN sums SET STORAGE PLAIN;

-- The pending tier of the packed roll-ups (src/store/rollup/pending.rs and fold.rs).
-- Each row holds what one batch adds to its branch's product sales and
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

-- Only the entries not yet offered, so the floor check on every Hello and pull reads those alone.
CREATE INDEX inbox_unoffered ON inbox (branch_id, seq) WHERE offered = 0;
