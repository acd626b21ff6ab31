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
