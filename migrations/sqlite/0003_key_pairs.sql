-- Key-pair keys (kind 'key-pair') hold a public key, never a private one:
-- public_jwk is the public JWK as JSON text, algorithm its JWS algorithm
-- and kid the key ID that assertions name in their header. All three are
-- NULL for secret keys. A kid is unique within its account, so that an
-- assertion's header picks exactly one key of the client it claims. uploaded
-- marks a key whose private half iamd never had: iamd cannot rotate it.
ALTER TABLE account_keys ADD COLUMN kid TEXT;
ALTER TABLE account_keys ADD COLUMN algorithm TEXT;
ALTER TABLE account_keys ADD COLUMN public_jwk TEXT;
ALTER TABLE account_keys ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX account_keys_kid ON account_keys (account_id, kid);
