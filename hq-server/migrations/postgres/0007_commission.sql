-- Commission plans (佣金方案) and the organization each pays. Bands are canonical text of
-- FROM:RATE in percent ("80:3,100:5"); rates are canonical decimal text in percent.

CREATE TABLE commission_plan (
    name TEXT PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode = 'marginal' OR mode = 'whole'),
    period TEXT NOT NULL CHECK (period = 'month' OR period = 'quarter' OR period = 'year'),
    bands TEXT NOT NULL,
    override_rate TEXT,
    override_on TEXT CHECK (override_on = 'sales' OR override_on = 'commission'),
    created_at TEXT NOT NULL
);

CREATE TABLE commission_assignment (
    org TEXT PRIMARY KEY REFERENCES org (code),
    plan TEXT NOT NULL REFERENCES commission_plan (name),
    assigned_at TEXT NOT NULL
);

-- A settled period's statement (佣金结算单), frozen: never rewritten. `payable` is the
-- period's own commission and override; `adjustment` what earlier settled periods' figures
-- changed by since (a late red document), carried into this one once.
CREATE TABLE commission_statement (
    period TEXT NOT NULL,
    org TEXT NOT NULL,
    plan TEXT NOT NULL,
    kind TEXT NOT NULL,
    first_day TEXT NOT NULL,
    sales TEXT NOT NULL,
    target TEXT,
    completion TEXT,
    bands TEXT NOT NULL,
    commission TEXT NOT NULL,
    override_base TEXT,
    override_amount TEXT,
    payable TEXT NOT NULL,
    adjustment TEXT NOT NULL,
    settled_at TEXT NOT NULL,
    settled_by TEXT NOT NULL,
    PRIMARY KEY (period, org)
);
