-- The authorization model: the organization tree's materialized paths, the
-- permission catalog, roles with rights and perimeters, groups, role
-- assignments and group memberships, and the audit log. The assignments
-- of 0001 and the accounts' direct scopes are carried over.

-- Paths: "/" + the IDs from the root down to the organization, each followed
-- by "/" (see rbac.Org.Path). The descendants of P are one range scan of the
-- unique index: path >= P AND path < P with its last "/" replaced by "0".
-- SQLite adds a NOT NULL column only with a default; every insert names the
-- path, and the unique index refuses a second empty one.
ALTER TABLE orgs ADD COLUMN path TEXT NOT NULL DEFAULT '';
WITH RECURSIVE t (id, path) AS (
    SELECT id, '/' || id || '/' FROM orgs WHERE parent_id IS NULL
    UNION ALL
    SELECT o.id, t.path || o.id || '/' FROM orgs o JOIN t ON o.parent_id = t.id
)
UPDATE orgs SET path = t.path FROM t WHERE orgs.id = t.id;
CREATE UNIQUE INDEX orgs_path ON orgs (path);

CREATE TABLE permissions (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    builtin     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
);
WITH p (name, description) AS (VALUES
    ('iam.organizations', 'Organizations: read lists and details; write creates children, renames and moves; delete removes empty ones'),
    ('iam.service-accounts', 'Service accounts: read; write creates, changes and moves; archive archives and restores; delete removes'),
    ('iam.keys', 'Keys of service accounts: read lists; write creates, rotates, activates and deactivates; delete removes'),
    ('iam.roles', 'Roles owned by the organization: read; write creates and edits; delete removes'),
    ('iam.groups', 'Groups owned by the organization: read; write creates, edits and changes their roles; delete removes'),
    ('iam.assignments', 'Assignments of roles and groups on the organization: read lists them and effective rights; write assigns and unassigns'),
    ('iam.audit', 'Audit log of changes in the organization: read'),
    ('iam.signing-keys', 'Signing keys of the server (on the root organization): read lists; write rotates')
)
INSERT INTO permissions (name, description, builtin, created_at, created_by)
SELECT name, description, 1, CAST(unixepoch('subsec') * 1000 AS INTEGER), 'iamd' FROM p;

-- Deleting a role is refused while it is assigned or part of a group (no
-- cascade from roles to role_assignments or group_roles); its rights and
-- perimeter go with it. The bootstrap role (kind 'bootstrap') holds every
-- right and stores none.
CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE role_rights (
    role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT NOT NULL REFERENCES permissions (name),
    operation  TEXT NOT NULL CHECK (operation IN ('read', 'write', 'delete', 'archive')),
    PRIMARY KEY (role_id, permission, operation)
);
CREATE INDEX role_rights_permission ON role_rights (permission);

CREATE TABLE role_perimeter (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    org_id  TEXT NOT NULL REFERENCES orgs (id),
    subtree INTEGER NOT NULL,
    PRIMARY KEY (role_id, org_id)
);
CREATE INDEX role_perimeter_org ON role_perimeter (org_id);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE group_roles (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id  TEXT NOT NULL REFERENCES roles (id),
    org_id   TEXT NOT NULL REFERENCES orgs (id),
    subtree  INTEGER NOT NULL,
    PRIMARY KEY (group_id, role_id, org_id)
);
CREATE INDEX group_roles_role ON group_roles (role_id);
CREATE INDEX group_roles_org ON group_roles (org_id);

-- Subjects are accounts today; deleting one removes its assignments and
-- memberships.
CREATE TABLE role_assignments (
    subject_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL REFERENCES roles (id),
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    subtree    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (subject_id, role_id, org_id)
);
CREATE INDEX role_assignments_role ON role_assignments (role_id);
CREATE INDEX role_assignments_org ON role_assignments (org_id);

CREATE TABLE group_members (
    subject_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (subject_id, group_id)
);
CREATE INDEX group_members_group ON group_members (group_id);

-- The log outlives the organizations it names: org_id has no foreign key.
-- IDs sort by time; each filter has an index ending in id, for newest-first
-- pages.
CREATE TABLE audit_log (
    id     TEXT PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    org_id TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after  TEXT
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_org ON audit_log (org_id, id);

-- Carried over: the bootstrap role on the root, held by every holder of the
-- former iam.admin role, on the root and its subtree.
INSERT INTO roles (id, org_id, name, description, kind, created_at, created_by, updated_at)
SELECT 'managed-system-admin', id, 'system-admin',
    'Every right on every organization; held by the system admin iamd init creates', 'bootstrap',
    CAST(unixepoch('subsec') * 1000 AS INTEGER), 'iamd', CAST(unixepoch('subsec') * 1000 AS INTEGER)
FROM orgs WHERE parent_id IS NULL;
INSERT INTO role_perimeter (role_id, org_id, subtree)
SELECT 'managed-system-admin', id, 1 FROM orgs WHERE parent_id IS NULL;
INSERT INTO role_assignments (subject_id, role_id, org_id, subtree, created_at, created_by)
SELECT a.subject_id, 'managed-system-admin', r.id, 1, min(a.created_at), 'iamd'
FROM assignments a JOIN orgs r ON r.parent_id IS NULL
WHERE a.role_id = 'iam.admin'
GROUP BY a.subject_id, r.id;
DROP TABLE assignments;

-- Carried over: each account's direct scopes become the rights of a role of
-- its own, assigned to it on its organization alone. Scopes that are not
-- PERMISSION:OPERATION cannot be rights; the role's description lists them,
-- so nothing is lost. System accounts are left out: iamd made them, and
-- they act through their roles.
--
-- fits: a permission name as rbac.ValidPermission has it (dot-separated
-- segments of lowercase letters, digits and hyphens, each starting with a
-- letter, at most 100 characters) and an operation.
CREATE TEMP TABLE carried_scopes AS
SELECT s.*, (instr(scope, ':') > 1
        AND operation IN ('read', 'write', 'delete', 'archive')
        AND length(permission) <= 100
        AND permission GLOB '[a-z]*'
        AND permission NOT GLOB '*[^a-z0-9.-]*'
        AND permission NOT GLOB '*.[^a-z]*'
        AND permission NOT GLOB '*.') AS fits
FROM (
    SELECT a.id AS account_id, j.key AS ord, CAST(j.value AS TEXT) AS scope,
        substr(j.value, 1, instr(j.value, ':') - 1) AS permission,
        substr(j.value, instr(j.value, ':') + 1) AS operation
    FROM accounts a, json_each(a.allowed_scopes) j
    WHERE NOT a.system
) s;

INSERT INTO permissions (name, description, builtin, created_at, created_by)
SELECT DISTINCT permission, 'Carried over from account scopes', 0, CAST(unixepoch('subsec') * 1000 AS INTEGER), 'iamd'
FROM carried_scopes
WHERE fits AND permission NOT IN (SELECT name FROM permissions);

-- The role is named after the account; in the root organization, where iamd
-- owns the names of its managed roles, those names take a suffix.
INSERT INTO roles (id, org_id, name, description, kind, created_at, created_by, updated_at)
SELECT 'scopes-' || a.id, a.org_id,
    CASE WHEN a.name IN ('admin', 'developer', 'viewer', 'system-admin')
        AND a.org_id IN (SELECT id FROM orgs WHERE parent_id IS NULL)
        THEN a.name || '-scopes' ELSE a.name END,
    'Carried over from the scopes of ' || a.name || '@' || a.org_id ||
        coalesce('; scopes that are not PERMISSION:OPERATION: ' ||
            (SELECT group_concat(c.scope, ' ' ORDER BY c.ord) FROM carried_scopes c WHERE c.account_id = a.id AND NOT c.fits), ''),
    '', CAST(unixepoch('subsec') * 1000 AS INTEGER), 'iamd', CAST(unixepoch('subsec') * 1000 AS INTEGER)
FROM accounts a
WHERE a.id IN (SELECT account_id FROM carried_scopes);
INSERT INTO role_rights (role_id, permission, operation)
SELECT DISTINCT 'scopes-' || account_id, permission, operation FROM carried_scopes WHERE fits;
INSERT INTO role_perimeter (role_id, org_id, subtree)
SELECT 'scopes-' || a.id, a.org_id, 0 FROM accounts a WHERE a.id IN (SELECT account_id FROM carried_scopes);
INSERT INTO role_assignments (subject_id, role_id, org_id, subtree, created_at, created_by)
SELECT a.id, 'scopes-' || a.id, a.org_id, 0, CAST(unixepoch('subsec') * 1000 AS INTEGER), 'iamd'
FROM accounts a WHERE a.id IN (SELECT account_id FROM carried_scopes);
DROP TABLE carried_scopes;
ALTER TABLE accounts DROP COLUMN allowed_scopes;

-- The version of the authorization model. Every change that can change
-- someone's rights adds one to it, in the change's own transaction (the
-- triggers below), and the key lookup of each token request reads it: an
-- instance keeps the rights it computed while the version stays, and
-- recomputes them once any instance changed anything they depend on.
CREATE TABLE authz_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO authz_version (id, version) VALUES (1, 0);
CREATE TRIGGER role_assignments_insert_version AFTER INSERT ON role_assignments
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_assignments_delete_version AFTER DELETE ON role_assignments
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_assignments_update_version AFTER UPDATE ON role_assignments
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER group_members_insert_version AFTER INSERT ON group_members
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER group_members_delete_version AFTER DELETE ON group_members
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER group_roles_insert_version AFTER INSERT ON group_roles
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER group_roles_delete_version AFTER DELETE ON group_roles
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER group_roles_update_version AFTER UPDATE ON group_roles
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_rights_insert_version AFTER INSERT ON role_rights
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_rights_delete_version AFTER DELETE ON role_rights
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_perimeter_insert_version AFTER INSERT ON role_perimeter
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_perimeter_delete_version AFTER DELETE ON role_perimeter
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_perimeter_update_version AFTER UPDATE ON role_perimeter
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER orgs_insert_version AFTER INSERT ON orgs
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER orgs_delete_version AFTER DELETE ON orgs
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER orgs_update_version AFTER UPDATE OF parent_id, path ON orgs
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER accounts_move_version AFTER UPDATE OF org_id ON accounts WHEN OLD.org_id <> NEW.org_id
BEGIN UPDATE authz_version SET version = version + 1; END;
