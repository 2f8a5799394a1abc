// Package rbac is the authorization model: the organization tree, the
// permission catalog, roles with their perimeters, groups, the assignment
// rules of seed 003 and the effective rights they yield.
//
// Organizations form a single tree rooted at the organization `iamd init`
// creates. Each stores its materialized path (see Org.Path), so that
// "is A an ancestor of B" is a string prefix test and "the descendants of A"
// one index range scan, however deep or wide the tree.
package rbac

import (
	"strings"
	"time"
)

// Org is an organization: a node in the organization tree.
type Org struct {
	// ID is the organization's identifier; it appears in client IDs
	// (`<account>@<org>.iam`) and is therefore a DNS label (see ValidID).
	ID string
	// Name is the human-readable display name.
	Name string
	// ParentID is the parent organization's ID; empty for the root.
	ParentID string
	// Path is "/" followed by the IDs from the root down to this
	// organization, each followed by "/": "/acme/billing/". IDs never hold
	// "/", so A is B or an ancestor of B exactly when B.Path starts with
	// A.Path.
	Path      string
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
}

// AdminRole is the ID of the bootstrap role.
var AdminRole = ManagedRoleID(RoleBootstrap)

// Contains reports whether o is org or one of its ancestors.
func (o Org) Contains(org Org) bool { return Within(org.Path, o.Path) }

// Within reports whether the organization at path is the one at ancestor or
// one of its descendants.
func Within(path, ancestor string) bool {
	return ancestor != "" && strings.HasPrefix(path, ancestor)
}

// Depth returns how many organizations the path names: 1 for the root.
func Depth(path string) int { return strings.Count(path, "/") - 1 }

// RootOf returns the ID of the root organization of a path.
func RootOf(path string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return id
}

// ChildPath returns the path of an organization id under parent.
func ChildPath(parent, id string) string {
	if parent == "" {
		return "/" + id + "/"
	}
	return parent + id + "/"
}

// MaxDepth bounds the depth of the organization tree, the root counting as
// one: it bounds the length of paths and of every ancestor walk.
const MaxDepth = 32

// ValidID reports whether s is a valid organization or account ID: 3 to 63
// characters, lowercase ASCII letters, digits and hyphens, starting with a
// letter and not ending with a hyphen. Both kinds of ID are DNS labels in a
// client ID, hence the last rule.
func ValidID(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	if s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// IDRule describes ValidID for error messages.
const IDRule = "3 to 63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
