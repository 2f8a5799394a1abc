package rbac

import (
	"slices"
	"strings"
	"time"

	"github.com/iamd/iamd/storage"
)

// Operations: a right is a permission together with one of these.
const (
	OpRead    = "read"
	OpWrite   = "write"
	OpDelete  = "delete"
	OpArchive = "archive"
)

// Operations lists every operation, in the order they are shown.
var Operations = []string{OpRead, OpWrite, OpDelete, OpArchive}

// ValidOperation reports whether op is one of Operations.
func ValidOperation(op string) bool { return slices.Contains(Operations, op) }

// The built-in permissions govern iamd itself: the management API, the CLI
// and the console require them on the organization they touch.
const (
	PermOrganizations   = "iam.organizations"
	PermServiceAccounts = "iam.service-accounts"
	PermKeys            = "iam.keys"
	PermRoles           = "iam.roles"
	PermGroups          = "iam.groups"
	PermAssignments     = "iam.assignments"
	PermAudit           = "iam.audit"
	PermSigningKeys     = "iam.signing-keys"
	PermTokens          = "iam.tokens"
	PermUsers           = "iam.users"
)

// BuiltinPermissions are the permissions iamd ships, with their
// descriptions; the migrations store them (0002, 0005 for iam.tokens and
// 0006 for iam.users).
var BuiltinPermissions = []Permission{
	{Name: PermOrganizations, Description: "Organizations: read lists and details; write creates children, renames and moves; delete removes empty ones", Builtin: true},
	{Name: PermServiceAccounts, Description: "Service accounts: read; write creates, changes and moves; archive archives and restores; delete removes", Builtin: true},
	{Name: PermKeys, Description: "Keys of service accounts: read lists; write creates, rotates, activates and deactivates; delete removes", Builtin: true},
	{Name: PermRoles, Description: "Roles owned by the organization: read; write creates and edits; delete removes", Builtin: true},
	{Name: PermGroups, Description: "Groups owned by the organization: read; write creates, edits and changes their roles; delete removes", Builtin: true},
	{Name: PermAssignments, Description: "Assignments of roles and groups on the organization: read lists them and effective rights; write assigns and unassigns", Builtin: true},
	{Name: PermAudit, Description: "Audit log of changes in the organization: read", Builtin: true},
	{Name: PermSigningKeys, Description: "Signing keys of the server (on the root organization): read lists; write rotates", Builtin: true},
	{Name: PermTokens, Description: "Access tokens of service accounts in the organization: read introspects them; write revokes them", Builtin: true},
	{Name: PermUsers, Description: "Human admin users of the organization: read lists them; write creates, changes and sets passwords; archive disables and enables; delete removes", Builtin: true},
}

// BuiltinPrefix starts the name of every built-in permission; admins may
// not register permissions under it.
const BuiltinPrefix = "iam."

// Permission is an entry of the permission catalog. Roles are made of
// rights on catalogued permissions only, so a typo cannot slip into one.
type Permission struct {
	// Name is dotted: billing.invoices, iam.service-accounts.
	Name        string
	Description string
	// Builtin permissions are shipped by iamd and cannot be changed.
	Builtin   bool
	CreatedAt time.Time
	CreatedBy string
}

// MaxPermissionLen bounds permission names.
const MaxPermissionLen = 100

// ValidPermission reports whether name is a permission name: one or more
// dot-separated segments, each a lowercase letter followed by lowercase
// letters, digits or hyphens, at most MaxPermissionLen characters in all.
func ValidPermission(name string) bool {
	if name == "" || len(name) > MaxPermissionLen {
		return false
	}
	for _, seg := range strings.Split(name, ".") {
		if seg == "" || seg[0] < 'a' || seg[0] > 'z' {
			return false
		}
		for i := 1; i < len(seg); i++ {
			c := seg[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

// PermissionRule describes ValidPermission for error messages.
const PermissionRule = "dot-separated segments of lowercase letters, digits and hyphens, each starting with a letter, at most 100 characters"

// Right is a permission together with an operation. All, the wildcard, is
// every operation on every permission: only the bootstrap role holds it.
type Right struct {
	Permission string
	Operation  string
}

// All is the wildcard right of the bootstrap role.
var All = Right{Permission: "*", Operation: "*"}

// String returns "PERMISSION:OPERATION", or "*" for All: the form of the
// scope and rights claims of tokens.
func (r Right) String() string {
	if r == All {
		return "*"
	}
	return r.Permission + ":" + r.Operation
}

// Covers reports whether holding r grants want.
func (r Right) Covers(want Right) bool { return r == All || r == want }

// ParseRight parses "PERMISSION:OPERATION". It returns a storage.ErrInvalid
// error naming what is wrong.
func ParseRight(s string) (Right, error) {
	perm, op, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return Right{}, storage.Errorf(storage.ErrInvalid, "right %s: want PERMISSION:OPERATION, as in billing.invoices:read", storage.Quote(s))
	case !ValidPermission(perm):
		return Right{}, storage.Errorf(storage.ErrInvalid, "right %s: the permission must be %s", storage.Quote(s), PermissionRule)
	case !ValidOperation(op):
		return Right{}, storage.Errorf(storage.ErrInvalid, "right %s: the operation must be one of %s", storage.Quote(s), strings.Join(Operations, ", "))
	}
	return Right{perm, op}, nil
}

// SortRights sorts rights by permission, then operation in the order of
// Operations, and removes duplicates.
func SortRights(rs []Right) []Right {
	slices.SortFunc(rs, compareRights)
	return slices.Compact(rs)
}

func compareRights(a, b Right) int {
	if c := strings.Compare(a.Permission, b.Permission); c != 0 {
		return c
	}
	return slices.Index(Operations, a.Operation) - slices.Index(Operations, b.Operation)
}

// checkPermissionName returns a storage.ErrInvalid error unless name may be
// registered by an admin.
func checkPermissionName(name string) error {
	if !ValidPermission(name) {
		return storage.Errorf(storage.ErrInvalid, "permission %s: must be %s", storage.Quote(name), PermissionRule)
	}
	if strings.HasPrefix(name, BuiltinPrefix) {
		return storage.Errorf(storage.ErrInvalid, "permission %s: names starting with %q are reserved for iamd", storage.Quote(name), BuiltinPrefix)
	}
	return nil
}
