-- Token revocation. Access tokens are never stored, so revoking one records
-- its jti until it expires (revoked_tokens); revoking every token of an
-- account, or of one of its keys, records a cutoff instead: tokens of the
-- account (of the key, if key_id is not empty) issued before issued_before
-- are revoked. A cutoff is kept until expires_at, when every token it
-- revokes has expired. Neither table refers to accounts: a deleted
-- account's tokens still verify offline until they expire, so their
-- revocation must outlive the account.
CREATE TABLE revoked_tokens (
    jti        text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL,
    revoked_by text NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
-- An account revokes a bounded number of its own tokens one by one.
CREATE INDEX revoked_tokens_account ON revoked_tokens (account_id, expires_at);

CREATE TABLE token_cutoffs (
    account_id    text COLLATE "C" NOT NULL,
    key_id        text COLLATE "C" NOT NULL,
    issued_before timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    created_by    text NOT NULL,
    PRIMARY KEY (account_id, key_id)
);
CREATE INDEX token_cutoffs_expiry ON token_cutoffs (expires_at);

-- Bumped by every revocation, so the feed is rebuilt only when one was
-- made, by whichever instance.
CREATE TABLE revocations_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO revocations_version (id, version) VALUES (1, 0);

INSERT INTO permissions (name, description, builtin, created_at, created_by)
VALUES ('iam.tokens', 'Access tokens of service accounts in the organization: read introspects them; write revokes them', true,
    date_trunc('milliseconds', now()), 'iamd');
