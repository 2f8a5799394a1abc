-- The console's dashboard (accounts.DashboardStore): each of its queries
-- reads through one of these instead of scanning accounts or keys.
--
-- Counts by status read (org_id, archived_at, id) and (account_id, active,
-- expires_at) alone, never the rows: id joins an account to its keys.
CREATE INDEX accounts_org_archived ON accounts (org_id, archived_at, id);
CREATE INDEX account_keys_status ON account_keys (account_id, active, expires_at);
-- Archived accounts, inactive and expired keys of every organization,
-- counted by range. The first is partial so that no query of active
-- accounts (archived_at IS NULL) reads through it: SQLite, without
-- statistics, would, and then sort every active account.
CREATE INDEX accounts_archived ON accounts (archived_at) WHERE archived_at IS NOT NULL;
CREATE INDEX account_keys_active ON account_keys (active, expires_at);
-- Keys expiring soonest first.
CREATE INDEX account_keys_expiry ON account_keys (expires_at, id);
-- Accounts and keys never used (last_used_at NULL, oldest created first),
-- or least recently used first: the walk stops at the page's limit.
CREATE INDEX accounts_last_used ON accounts (last_used_at, created_at, id);
CREATE INDEX account_keys_last_used ON account_keys (last_used_at, created_at, id);
