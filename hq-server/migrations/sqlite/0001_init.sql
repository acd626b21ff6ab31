-- The HQ schema (SQLite): registry, master data, ingestion, quarantine, inbox, audit,
-- report roll-ups and targets, templates and inter-branch routing.
-- Decimals are scaled integers: quantities and rates x10^4, prices x10^6, amounts in cents.
-- Times are RFC 3339 UTC text.

CREATE TABLE org (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- branch.inbox_floor: the highest inbox sequence the branch's ledger has reported applied. After
-- HQ is restored from a copy its inbox may end below that; a new entry takes a number above both
-- (src/store/trade/inbox_queue.rs), so the ledger never skips it as already applied.
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
    inbox_seq INTEGER NOT NULL DEFAULT 0,
    inbox_floor INTEGER NOT NULL DEFAULT 0
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

-- quarantine.kind: an entry that failed to apply ('entry') or an applied document HQ could not
-- route ('routing').
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
    kind TEXT NOT NULL DEFAULT 'entry',
    UNIQUE (branch_id, epoch, seq)
) STRICT;

-- inbox.offered: whether a pull has handed the entry to the branch. An entry never offered cannot
-- have been applied, so one numbered at or below the floor (appended after a restore, before the
-- branch reported) is moved above it.
CREATE TABLE inbox (
    branch_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    offered INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (branch_id, seq)
) STRICT;

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;

-- Report roll-ups, maintained in the transaction that ingests documents (src/store/rollup/).
-- Sales count confirmed sales-outs and retail sales, red documents with their sign.

-- Branch x day.
CREATE TABLE sales_day (
    branch_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    qty INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    tax INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (branch_id, day)
) STRICT, WITHOUT ROWID;

-- Monthly sales targets per organization.
CREATE TABLE sales_target (
    org TEXT NOT NULL,
    month TEXT NOT NULL,
    amount INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org, month)
) STRICT, WITHOUT ROWID;

-- Templates (模板发放) and inter-branch routing (单据转换).

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

-- Packed product roll-ups (src/store/rollup/packed.rs): one row per branch x period x block of
-- 64 products for the sales, one per branch x warehouse x block for the on-hand (a slot's quantity
-- being the on-hand, its line count the stock-moving lines). Product and warehouse codes get
-- dense ids from one dictionary (product_slot: code -> id).

CREATE TABLE product_slot (
    code TEXT PRIMARY KEY,
    id INTEGER NOT NULL UNIQUE
) STRICT, WITHOUT ROWID;

-- key = branch_id << 38 | period << 21 | block, period = year (or year x 12 + month - 1), so
-- the key is the rowid (no separate index) and a block of up to ~2 KB stays in its leaf page.
CREATE TABLE sales_year_block (
    key INTEGER PRIMARY KEY,
    sums BLOB NOT NULL
) STRICT;

CREATE TABLE sales_month_block (
    key INTEGER PRIMARY KEY,
    sums BLOB NOT NULL
) STRICT;

-- key = branch_id << 38 | warehouse id << 21 | block.
CREATE TABLE stock_block (
    key INTEGER PRIMARY KEY,
    sums BLOB NOT NULL
) STRICT;

-- The pending tier of the packed roll-ups (src/store/rollup/pending.rs and fold.rs).
-- Each row holds what one batch adds to its branch's product sales and
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

-- Only the entries not yet offered, so the floor check on every Hello and pull reads those alone.
CREATE INDEX inbox_unoffered ON inbox (branch_id, seq) WHERE offered = 0;
