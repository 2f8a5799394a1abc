-- Key-pair keys (kind 'key-pair') hold a public key, never a private one:
-- public_jwk is the public JWK as JSON text (not jsonb, which would
-- reformat it), algorithm its JWS algorithm and kid the key ID that
-- assertions name in their header. All three are NULL for secret keys. A
-- kid is unique within its account, so that an assertion's header picks
-- exactly one key of the client it claims. uploaded marks a key whose
-- private half iamd never had: it cannot be rotated by iamd.
ALTER TABLE account_keys ADD COLUMN kid text COLLATE "C";
ALTER TABLE account_keys ADD COLUMN algorithm text;
ALTER TABLE account_keys ADD COLUMN public_jwk text;
ALTER TABLE account_keys ADD COLUMN uploaded boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX account_keys_kid ON account_keys (account_id, kid);
