-- Human admin users, the console's sessions, and account owners.
--
-- Users are subjects of the authorization model as service accounts are:
-- assignments and memberships now refer to subjects, a table holding the ID
-- of every account and every user, which triggers keep. Deleting an account
-- or a user deletes its subject row, and with it its assignments and
-- memberships.
CREATE TABLE subjects (
    id   text COLLATE "C" PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('account', 'user'))
);
INSERT INTO subjects (id, kind) SELECT id, 'account' FROM accounts;

CREATE FUNCTION insert_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subjects (id, kind) VALUES (NEW.id, TG_ARGV[0]);
    RETURN NULL;
END $$;
CREATE FUNCTION delete_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM subjects WHERE id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_insert_subject AFTER INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION insert_subject('account');
CREATE TRIGGER accounts_delete_subject AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION delete_subject();

-- name is the login, unique across the tree. password_hash is an argon2id
-- hash in the PHC string format; the password itself is never stored.
-- must_change_password is set on a password an admin chose or iamd
-- generated: its owner changes it at the next sign-in.
CREATE TABLE users (
    id                   text COLLATE "C" PRIMARY KEY,
    org_id               text COLLATE "C" NOT NULL REFERENCES orgs (id),
    name                 text COLLATE "C" NOT NULL UNIQUE,
    display_name         text NOT NULL,
    email                text NOT NULL,
    password_hash        text NOT NULL,
    must_change_password boolean NOT NULL,
    disabled_at          timestamptz,
    created_at           timestamptz NOT NULL,
    created_by           text NOT NULL,
    updated_at           timestamptz NOT NULL,
    password_changed_at  timestamptz NOT NULL,
    last_login_at        timestamptz
);
CREATE INDEX users_org ON users (org_id, name);
CREATE TRIGGER users_insert_subject AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION insert_subject('user');
CREATE TRIGGER users_delete_subject AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION delete_subject();
-- A user's organization decides which of its assignments hold, as an
-- account's does.
CREATE TRIGGER users_move_version AFTER UPDATE OF org_id ON users
    FOR EACH ROW WHEN (OLD.org_id <> NEW.org_id) EXECUTE FUNCTION bump_authz_version();

ALTER TABLE role_assignments
    DROP CONSTRAINT role_assignments_subject_id_fkey,
    ADD CONSTRAINT role_assignments_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES subjects (id) ON DELETE CASCADE;
ALTER TABLE group_members
    DROP CONSTRAINT group_members_subject_id_fkey,
    ADD CONSTRAINT group_members_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES subjects (id) ON DELETE CASCADE;

-- Console sessions, shared by every instance. id is the SHA-256 of the
-- session token the cookie carries: the database never holds a token that
-- would sign anyone in. A session ends at expires_at whatever happens, and
-- earlier once unused for the idle timeout after seen_at.
CREATE TABLE sessions (
    id         bytea PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_seen ON sessions (seen_at);

-- Seed 001: an account may be tied to an owner, a user; deleting the user
-- leaves the account without one.
ALTER TABLE accounts ADD COLUMN owner_id text COLLATE "C" REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX accounts_owner ON accounts (owner_id, org_id, name);

INSERT INTO permissions (name, description, builtin, created_at, created_by)
VALUES ('iam.users', 'Human admin users of the organization: read lists them; write creates, changes and sets passwords; archive disables and enables; delete removes', true,
    date_trunc('milliseconds', now()), 'iamd');
