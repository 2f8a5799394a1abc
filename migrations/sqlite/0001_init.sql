-- Times are Unix milliseconds (UTC); lists are JSON arrays.

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_id  TEXT REFERENCES orgs (id),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);
-- A single root.
CREATE UNIQUE INDEX orgs_one_root ON orgs (coalesce(parent_id, '')) WHERE parent_id IS NULL;

CREATE TABLE accounts (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs (id),
    name              TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    description       TEXT NOT NULL,
    system            INTEGER NOT NULL,
    archived_at       INTEGER,
    allowed_scopes    TEXT NOT NULL,
    allowed_audiences TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    created_by        TEXT NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_used_at      INTEGER,
    UNIQUE (org_id, name)
);

CREATE TABLE account_keys (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    label        TEXT NOT NULL,
    secret_hash  BLOB,
    active       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX account_keys_account ON account_keys (account_id, created_at, id);

CREATE TABLE assignments (
    subject_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (subject_id, role_id, org_id)
);
CREATE INDEX assignments_org ON assignments (org_id);

CREATE TABLE signing_keys (
    id           TEXT PRIMARY KEY,
    algorithm    TEXT NOT NULL,
    public_jwk   TEXT NOT NULL,
    private_key  BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    activates_at INTEGER NOT NULL
);
