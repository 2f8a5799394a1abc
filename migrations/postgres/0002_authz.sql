-- The authorization model: the organization tree's materialized paths, the
-- permission catalog, roles with rights and perimeters, groups, role
-- assignments and group memberships, and the audit log. The assignments
-- of 0001 and the accounts' direct scopes are carried over.

-- Paths: "/" + the IDs from the root down to the organization, each followed
-- by "/" (see rbac.Org.Path). The descendants of P are one range scan of the
-- unique index: path >= P AND path < P with its last "/" replaced by "0",
-- bytewise (COLLATE "C").
ALTER TABLE orgs ADD COLUMN path text COLLATE "C";
WITH RECURSIVE t (id, path) AS (
    SELECT id, '/' || id || '/' FROM orgs WHERE parent_id IS NULL
    UNION ALL
    SELECT o.id, t.path || o.id || '/' FROM orgs o JOIN t ON o.parent_id = t.id
)
UPDATE orgs SET path = t.path FROM t WHERE orgs.id = t.id;
ALTER TABLE orgs ALTER COLUMN path SET NOT NULL;
CREATE UNIQUE INDEX orgs_path ON orgs (path);

CREATE TABLE permissions (
    name        text COLLATE "C" PRIMARY KEY,
    description text NOT NULL,
    builtin     boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL
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
SELECT name, description, true, date_trunc('milliseconds', now()), 'iamd' FROM p;

-- Deleting a role is refused while it is assigned or part of a group (no
-- cascade from roles to role_assignments or group_roles); its rights and
-- perimeter go with it. The bootstrap role (kind 'bootstrap') holds every
-- right and stores none.
CREATE TABLE roles (
    id          text COLLATE "C" PRIMARY KEY,
    org_id      text COLLATE "C" NOT NULL REFERENCES orgs (id),
    name        text COLLATE "C" NOT NULL,
    description text NOT NULL,
    kind        text NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE role_rights (
    role_id    text COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission text COLLATE "C" NOT NULL REFERENCES permissions (name),
    operation  text COLLATE "C" NOT NULL CHECK (operation IN ('read', 'write', 'delete', 'archive')),
    PRIMARY KEY (role_id, permission, operation)
);
CREATE INDEX role_rights_permission ON role_rights (permission);

CREATE TABLE role_perimeter (
    role_id text COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    org_id  text COLLATE "C" NOT NULL REFERENCES orgs (id),
    subtree boolean NOT NULL,
    PRIMARY KEY (role_id, org_id)
);
CREATE INDEX role_perimeter_org ON role_perimeter (org_id);

CREATE TABLE groups (
    id          text COLLATE "C" PRIMARY KEY,
    org_id      text COLLATE "C" NOT NULL REFERENCES orgs (id),
    name        text COLLATE "C" NOT NULL,
    description text NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE group_roles (
    group_id text COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id  text COLLATE "C" NOT NULL REFERENCES roles (id),
    org_id   text COLLATE "C" NOT NULL REFERENCES orgs (id),
    subtree  boolean NOT NULL,
    PRIMARY KEY (group_id, role_id, org_id)
);
CREATE INDEX group_roles_role ON group_roles (role_id);
CREATE INDEX group_roles_org ON group_roles (org_id);

-- Subjects are accounts today; deleting one removes its assignments and
-- memberships.
CREATE TABLE role_assignments (
    subject_id text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role_id    text COLLATE "C" NOT NULL REFERENCES roles (id),
    org_id     text COLLATE "C" NOT NULL REFERENCES orgs (id),
    subtree    boolean NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (subject_id, role_id, org_id)
);
CREATE INDEX role_assignments_role ON role_assignments (role_id);
CREATE INDEX role_assignments_org ON role_assignments (org_id);

CREATE TABLE group_members (
    subject_id text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_id   text COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (subject_id, group_id)
);
CREATE INDEX group_members_group ON group_members (group_id);

-- The log outlives the organizations it names: org_id has no foreign key.
-- IDs sort by time; each filter has an index ending in id, for newest-first
-- pages. Before and after are kept as written (text, not jsonb, which would
-- reformat them).
CREATE TABLE audit_log (
    id     text COLLATE "C" PRIMARY KEY,
    at     timestamptz NOT NULL,
    actor  text COLLATE "C" NOT NULL,
    action text NOT NULL,
    org_id text COLLATE "C" NOT NULL,
    target text COLLATE "C" NOT NULL,
    before text,
    after  text
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_org ON audit_log (org_id, id);

-- Carried over: the bootstrap role on the root, held by every holder of the
-- former iam.admin role, on the root and its subtree.
INSERT INTO roles (id, org_id, name, description, kind, created_at, created_by, updated_at)
SELECT 'managed-system-admin', id, 'system-admin',
    'Every right on every organization; held by the system admin iamd init creates', 'bootstrap',
    date_trunc('milliseconds', now()), 'iamd', date_trunc('milliseconds', now())
FROM orgs WHERE parent_id IS NULL;
INSERT INTO role_perimeter (role_id, org_id, subtree)
SELECT 'managed-system-admin', id, true FROM orgs WHERE parent_id IS NULL;
INSERT INTO role_assignments (subject_id, role_id, org_id, subtree, created_at, created_by)
SELECT a.subject_id, 'managed-system-admin', r.id, true, min(a.created_at), 'iamd'
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
SELECT a.id AS account_id, s.ord, s.scope,
    split_part(s.scope, ':', 1) AS permission,
    substr(s.scope, strpos(s.scope, ':') + 1) AS operation,
    (s.scope COLLATE "C" ~ '^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*:(read|write|delete|archive)$'
        AND length(split_part(s.scope, ':', 1)) <= 100) AS fits
FROM accounts a, unnest(a.allowed_scopes) WITH ORDINALITY s (scope, ord)
WHERE NOT a.system;

INSERT INTO permissions (name, description, builtin, created_at, created_by)
SELECT DISTINCT permission, 'Carried over from account scopes', false, date_trunc('milliseconds', now()), 'iamd'
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
            (SELECT string_agg(c.scope, ' ' ORDER BY c.ord) FROM carried_scopes c WHERE c.account_id = a.id AND NOT c.fits), ''),
    '', date_trunc('milliseconds', now()), 'iamd', date_trunc('milliseconds', now())
FROM accounts a
WHERE a.id IN (SELECT account_id FROM carried_scopes);
INSERT INTO role_rights (role_id, permission, operation)
SELECT DISTINCT 'scopes-' || account_id, permission, operation FROM carried_scopes WHERE fits;
INSERT INTO role_perimeter (role_id, org_id, subtree)
SELECT 'scopes-' || a.id, a.org_id, false FROM accounts a WHERE a.id IN (SELECT account_id FROM carried_scopes);
INSERT INTO role_assignments (subject_id, role_id, org_id, subtree, created_at, created_by)
SELECT a.id, 'scopes-' || a.id, a.org_id, false, date_trunc('milliseconds', now()), 'iamd'
FROM accounts a WHERE a.id IN (SELECT account_id FROM carried_scopes);
DROP TABLE carried_scopes;
ALTER TABLE accounts DROP COLUMN allowed_scopes;

-- The version of the authorization model. Every change that can change
-- someone's rights adds one to it, in the change's own transaction (the
-- triggers below), and the key lookup of each token request reads it: an
-- instance keeps the rights it computed while the version stays, and
-- recomputes them once any instance changed anything they depend on.
CREATE TABLE authz_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO authz_version (id, version) VALUES (1, 0);

CREATE FUNCTION bump_authz_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE authz_version SET version = version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER role_assignments_version AFTER INSERT OR UPDATE OR DELETE ON role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_authz_version();
CREATE TRIGGER group_members_version AFTER INSERT OR DELETE ON group_members
    FOR EACH STATEMENT EXECUTE FUNCTION bump_authz_version();
CREATE TRIGGER group_roles_version AFTER INSERT OR UPDATE OR DELETE ON group_roles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_authz_version();
CREATE TRIGGER role_rights_version AFTER INSERT OR DELETE ON role_rights
    FOR EACH STATEMENT EXECUTE FUNCTION bump_authz_version();
CREATE TRIGGER role_perimeter_version AFTER INSERT OR UPDATE OR DELETE ON role_perimeter
    FOR EACH STATEMENT EXECUTE FUNCTION bump_authz_version();
CREATE TRIGGER orgs_version AFTER INSERT OR DELETE OR UPDATE OF parent_id, path ON orgs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_authz_version();
CREATE TRIGGER accounts_move_version AFTER UPDATE OF org_id ON accounts
    FOR EACH ROW WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id) EXECUTE FUNCTION bump_authz_version();
