package rbac

import (
	"strings"
	"time"

	"github.com/iamd/iamd/storage"
)

// Role kinds.
const (
	// KindCustom roles are created by admins.
	KindCustom = ""
	// KindManaged roles ship with iamd, owned by the root: assignable,
	// not editable.
	KindManaged = "managed"
	// KindBootstrap is the role of the system admin `iamd init` creates:
	// every right everywhere; neither editable nor assignable.
	KindBootstrap = "bootstrap"
)

// Names of the roles iamd ships, all owned by the root organization.
const (
	RoleAdmin     = "admin"
	RoleDeveloper = "developer"
	RoleViewer    = "viewer"
	// RoleBootstrap is the role of the bootstrap admin.
	RoleBootstrap = "system-admin"
)

// Role is a named set of rights owned by an organization, assignable on the
// organizations of its perimeter. Roles are referenced as ORG/NAME.
type Role struct {
	// ID is internal and immutable; assignments refer to it.
	ID          string
	OrgID       string
	Name        string
	Description string
	Kind        string
	// Rights are sorted (see SortRights); the bootstrap role holds All.
	Rights []Right
	// Perimeter lists where the role may be assigned and where a subject
	// must belong for it to take effect; sorted by organization ID.
	Perimeter []Scope
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
}

// Ref returns how users name the role: ORG/NAME.
func (r Role) Ref() string { return r.OrgID + "/" + r.Name }

// Editable reports whether admins may change or delete the role.
func (r Role) Editable() bool { return r.Kind == KindCustom }

// Scope is an organization alone or, with Subtree, the organization and
// every descendant, present and future. Perimeter entries, assignments and
// group pairs each name one.
type Scope struct {
	OrgID   string
	Subtree bool
}

// String returns "ORG", or "ORG/*" with its descendants: the form the CLI
// reads and prints.
func (s Scope) String() string {
	if s.Subtree {
		return s.OrgID + "/*"
	}
	return s.OrgID
}

// ParseScope reads "ORG" or "ORG/*".
func ParseScope(s string) (Scope, error) {
	id, subtree := strings.CutSuffix(s, "/*")
	if !ValidID(id) {
		return Scope{}, storage.Errorf(storage.ErrInvalid, "organization %s: want ORG, or ORG/* for it and its descendants", storage.Quote(s))
	}
	return Scope{OrgID: id, Subtree: subtree}, nil
}

// ParseRef splits ORG/NAME, the reference of a role or group.
func ParseRef(kind, ref string) (orgID, name string, err error) {
	orgID, name, ok := strings.Cut(ref, "/")
	if !ok || !ValidID(orgID) || !ValidID(name) {
		return "", "", storage.Errorf(storage.ErrInvalid, "%s %s: want ORG/NAME, as in acme/invoice-reader", kind, storage.Quote(ref))
	}
	return orgID, name, nil
}

// inScope reports whether the organization at path is in one of the
// scopes; paths maps organization IDs to paths.
func inScope(path string, scopes []Scope, paths map[string]string) bool {
	for _, s := range scopes {
		p := paths[s.OrgID]
		if p == path || s.Subtree && Within(path, p) {
			return true
		}
	}
	return false
}

// managedRights are the rights of the managed roles on iamd itself. Each
// holds them on the organizations it is assigned on; iam.signing-keys is
// the bootstrap admin's alone.
var managedRights = map[string][]Right{
	RoleViewer: rights(
		PermOrganizations+":read", PermServiceAccounts+":read", PermKeys+":read",
		PermRoles+":read", PermGroups+":read", PermAssignments+":read",
		PermTokens+":read", PermUsers+":read"),
	RoleDeveloper: rights(
		PermOrganizations+":read", PermServiceAccounts+":read", PermKeys+":read",
		PermRoles+":read", PermGroups+":read", PermAssignments+":read",
		PermServiceAccounts+":write", PermServiceAccounts+":archive",
		PermKeys+":write", PermKeys+":delete",
		PermTokens+":read", PermTokens+":write", PermUsers+":read"),
	RoleAdmin: rights(
		PermOrganizations+":read", PermOrganizations+":write", PermOrganizations+":delete",
		PermServiceAccounts+":read", PermServiceAccounts+":write", PermServiceAccounts+":delete", PermServiceAccounts+":archive",
		PermKeys+":read", PermKeys+":write", PermKeys+":delete",
		PermRoles+":read", PermRoles+":write", PermRoles+":delete",
		PermGroups+":read", PermGroups+":write", PermGroups+":delete",
		PermAssignments+":read", PermAssignments+":write",
		PermAudit+":read",
		PermTokens+":read", PermTokens+":write",
		PermUsers+":read", PermUsers+":write", PermUsers+":archive", PermUsers+":delete"),
}

// managedDescriptions describe the managed roles.
var managedDescriptions = map[string]string{
	RoleViewer:    "Reads organizations, service accounts, keys, roles, groups, assignments and users, and introspects tokens",
	RoleDeveloper: "Viewer, plus creates, changes and archives service accounts and manages their keys and tokens",
	RoleAdmin:     "Every operation on organizations, service accounts, keys, tokens, roles, groups, assignments and users, and reads the audit log",
	RoleBootstrap: "Every right on every organization; held by the system admin iamd init creates",
}

// ManagedRoles returns the roles iamd ships, owned by root, bootstrap role
// included, with their fixed IDs.
func ManagedRoles(root string, at time.Time) []Role {
	var out []Role
	for _, name := range []string{RoleAdmin, RoleDeveloper, RoleViewer, RoleBootstrap} {
		r := Role{
			ID: ManagedRoleID(name), OrgID: root, Name: name, Kind: KindManaged,
			Description: managedDescriptions[name], Rights: managedRights[name],
			Perimeter: []Scope{{OrgID: root, Subtree: true}},
			CreatedAt: at, CreatedBy: "iamd", UpdatedAt: at,
		}
		if name == RoleBootstrap {
			r.Kind, r.Rights = KindBootstrap, []Right{All}
		}
		out = append(out, r)
	}
	return out
}

// ManagedRoleID is the fixed ID of a managed role: the migration that
// created them for existing databases and `iamd init` agree on it.
func ManagedRoleID(name string) string { return "managed-" + name }

func rights(ss ...string) []Right {
	out := make([]Right, len(ss))
	for i, s := range ss {
		p, o, _ := strings.Cut(s, ":")
		out[i] = Right{p, o}
	}
	return SortRights(out)
}
