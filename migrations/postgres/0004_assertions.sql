-- assertion_ids holds the jti of every client assertion (private_key_jwt,
-- RFC 7523) accepted, until the assertion expires: an assertion is good for
-- one token, on whichever instance it is presented first. Rows past
-- expires_at are pruned.
CREATE TABLE assertion_ids (
    account_id text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    jti        text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, jti)
);
CREATE INDEX assertion_ids_expiry ON assertion_ids (expires_at);
