-- Token revocation. Access tokens are never stored, so revoking one records
-- its jti until it expires (revoked_tokens); revoking every token of an
-- account, or of one of its keys, records a cutoff instead: tokens of the
-- account (of the key, if key_id is not empty) issued before issued_before
-- are revoked. A cutoff is kept until expires_at, when every token it
-- revokes has expired. Neither table refers to accounts: a deleted
-- account's tokens still verify offline until they expire, so their
-- revocation must outlive the account.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL,
    revoked_by TEXT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
-- An account revokes a bounded number of its own tokens one by one.
CREATE INDEX revoked_tokens_account ON revoked_tokens (account_id, expires_at);

CREATE TABLE token_cutoffs (
    account_id    TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    issued_before INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    PRIMARY KEY (account_id, key_id)
);
CREATE INDEX token_cutoffs_expiry ON token_cutoffs (expires_at);

-- Bumped by every revocation, so the feed is rebuilt only when one was
-- made, by whichever instance.
CREATE TABLE revocations_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO revocations_version (id, version) VALUES (1, 0);

INSERT INTO permissions (name, description, builtin, created_at, created_by)
VALUES ('iam.tokens', 'Access tokens of service accounts in the organization: read introspects them; write revokes them', 1,
    CAST(unixepoch('subsec') * 1000 AS INTEGER), 'iamd');
