-- People at HQ (README "People and scopes"): accounts with a role and an organization subtree,
-- their personal tokens (SHA-256 digests, as branch tokens), and per-account login lock-out.
-- Audit events name the organization whose scope they belong to (NULL: the whole group).

CREATE TABLE person (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    org TEXT NOT NULL REFERENCES org (code),
    password_hash TEXT,
    disabled_at TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE person_token (
    token_sha256 TEXT PRIMARY KEY,
    person TEXT NOT NULL REFERENCES person (name),
    kind TEXT NOT NULL CHECK (kind IN ('login', 'api')),
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE INDEX person_token_by_person ON person_token (person);

ALTER TABLE audit ADD COLUMN org TEXT;
CREATE INDEX audit_by_org ON audit (org, id);
