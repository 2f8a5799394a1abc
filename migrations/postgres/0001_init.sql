-- Identifiers sort bytewise (COLLATE "C"), as in SQLite, whatever the
-- database's locale.
CREATE TABLE orgs (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    parent_id  text COLLATE "C" REFERENCES orgs (id),
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);
-- A single root.
CREATE UNIQUE INDEX orgs_one_root ON orgs ((coalesce(parent_id, ''))) WHERE parent_id IS NULL;

CREATE TABLE accounts (
    id                text COLLATE "C" PRIMARY KEY,
    org_id            text COLLATE "C" NOT NULL REFERENCES orgs (id),
    name              text COLLATE "C" NOT NULL,
    display_name      text NOT NULL,
    description       text NOT NULL,
    system            boolean NOT NULL,
    archived_at       timestamptz,
    allowed_scopes    text[] NOT NULL,
    allowed_audiences text[] NOT NULL,
    created_at        timestamptz NOT NULL,
    created_by        text NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_used_at      timestamptz,
    UNIQUE (org_id, name)
);

CREATE TABLE account_keys (
    id           text COLLATE "C" PRIMARY KEY,
    account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    label        text NOT NULL,
    secret_hash  bytea,
    active       boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX account_keys_account ON account_keys (account_id, created_at, id);

CREATE TABLE assignments (
    subject_id text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role_id    text COLLATE "C" NOT NULL,
    org_id     text COLLATE "C" NOT NULL REFERENCES orgs (id),
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (subject_id, role_id, org_id)
);
CREATE INDEX assignments_org ON assignments (org_id);

CREATE TABLE signing_keys (
    id           text COLLATE "C" PRIMARY KEY,
    algorithm    text NOT NULL,
    public_jwk   text NOT NULL,
    private_key  bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    activates_at timestamptz NOT NULL
);
