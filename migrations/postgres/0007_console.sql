-- The console's dashboard (accounts.DashboardStore): each of its queries
-- reads through one of these instead of scanning accounts or keys.
--
-- Counts by status read (org_id, archived_at) and (account_id, active,
-- expires_at) alone, never the rows.
CREATE INDEX accounts_org_archived ON accounts (org_id, archived_at);
CREATE INDEX account_keys_status ON account_keys (account_id, active, expires_at);
-- Keys expiring soonest first.
CREATE INDEX account_keys_expiry ON account_keys (expires_at, id);
-- Accounts and keys never used (last_used_at NULL, oldest created first),
-- or least recently used first: the walk stops at the page's limit.
CREATE INDEX accounts_last_used ON accounts (last_used_at, created_at, id);
CREATE INDEX account_keys_last_used ON account_keys (last_used_at, created_at, id);
