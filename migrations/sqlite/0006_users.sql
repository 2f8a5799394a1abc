-- Human admin users, the console's sessions, and account owners.
--
-- Users are subjects of the authorization model as service accounts are:
-- assignments and memberships now refer to subjects, a table holding the ID
-- of every account and every user, which triggers keep. Deleting an account
-- or a user deletes its subject row, and with it its assignments and
-- memberships.
CREATE TABLE subjects (
    id   TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('account', 'user'))
);
INSERT INTO subjects (id, kind) SELECT id, 'account' FROM accounts;
CREATE TRIGGER accounts_insert_subject AFTER INSERT ON accounts
BEGIN INSERT INTO subjects (id, kind) VALUES (NEW.id, 'account'); END;
CREATE TRIGGER accounts_delete_subject AFTER DELETE ON accounts
BEGIN DELETE FROM subjects WHERE id = OLD.id; END;

-- name is the login, unique across the tree. password_hash is an argon2id
-- hash in the PHC string format; the password itself is never stored.
-- must_change_password is set on a password an admin chose or iamd
-- generated: its owner changes it at the next sign-in.
CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES orgs (id),
    name                 TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    email                TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    disabled_at          INTEGER,
    created_at           INTEGER NOT NULL,
    created_by           TEXT NOT NULL,
    updated_at           INTEGER NOT NULL,
    password_changed_at  INTEGER NOT NULL,
    last_login_at        INTEGER
);
CREATE INDEX users_org ON users (org_id, name);
CREATE TRIGGER users_insert_subject AFTER INSERT ON users
BEGIN INSERT INTO subjects (id, kind) VALUES (NEW.id, 'user'); END;
CREATE TRIGGER users_delete_subject AFTER DELETE ON users
BEGIN DELETE FROM subjects WHERE id = OLD.id; END;
-- A user's organization decides which of its assignments hold, as an
-- account's does.
CREATE TRIGGER users_move_version AFTER UPDATE OF org_id ON users WHEN OLD.org_id <> NEW.org_id
BEGIN UPDATE authz_version SET version = version + 1; END;

-- SQLite changes a foreign key only by rebuilding the table: both tables
-- are copied under their names, with their indexes and triggers.
CREATE TABLE role_assignments_new (
    subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL REFERENCES roles (id),
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    subtree    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (subject_id, role_id, org_id)
);
INSERT INTO role_assignments_new SELECT subject_id, role_id, org_id, subtree, created_at, created_by FROM role_assignments;
DROP TABLE role_assignments;
ALTER TABLE role_assignments_new RENAME TO role_assignments;
CREATE INDEX role_assignments_role ON role_assignments (role_id);
CREATE INDEX role_assignments_org ON role_assignments (org_id);
CREATE TRIGGER role_assignments_insert_version AFTER INSERT ON role_assignments
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_assignments_delete_version AFTER DELETE ON role_assignments
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER role_assignments_update_version AFTER UPDATE ON role_assignments
BEGIN UPDATE authz_version SET version = version + 1; END;

CREATE TABLE group_members_new (
    subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (subject_id, group_id)
);
INSERT INTO group_members_new SELECT subject_id, group_id, created_at, created_by FROM group_members;
DROP TABLE group_members;
ALTER TABLE group_members_new RENAME TO group_members;
CREATE INDEX group_members_group ON group_members (group_id);
CREATE TRIGGER group_members_insert_version AFTER INSERT ON group_members
BEGIN UPDATE authz_version SET version = version + 1; END;
CREATE TRIGGER group_members_delete_version AFTER DELETE ON group_members
BEGIN UPDATE authz_version SET version = version + 1; END;

-- Console sessions, shared by every instance. id is the SHA-256 of the
-- session token the cookie carries: the database never holds a token that
-- would sign anyone in. A session ends at expires_at whatever happens, and
-- earlier once unused for the idle timeout after seen_at.
CREATE TABLE sessions (
    id         BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_seen ON sessions (seen_at);

-- Seed 001: an account may be tied to an owner, a user; deleting the user
-- leaves the account without one.
ALTER TABLE accounts ADD COLUMN owner_id TEXT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX accounts_owner ON accounts (owner_id, org_id, name);

INSERT INTO permissions (name, description, builtin, created_at, created_by)
VALUES ('iam.users', 'Human admin users of the organization: read lists them; write creates, changes and sets passwords; archive disables and enables; delete removes', 1,
    CAST(unixepoch('subsec') * 1000 AS INTEGER), 'iamd');
