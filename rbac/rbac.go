// Package rbac holds organizations and the role assignments that decide what
// a subject may do.
//
// Organizations form a single tree rooted at the organization `iamd init`
// creates. Until roles and groups land, the only role is the managed
// AdminRole, given to the bootstrap admin account.
package rbac

import (
	"context"
	"time"
)

// AdminRole is the managed role held by the bootstrap admin account. Holding
// it on any organization grants every management operation.
const AdminRole = "iam.admin"

// Org is an organization: a node in the organization tree.
type Org struct {
	// ID is the organization's identifier; it appears in client IDs
	// (`<account>@<org>.iam`) and is therefore a DNS label (see ValidID).
	ID string
	// Name is the human-readable display name.
	Name string
	// ParentID is the parent organization's ID; empty for the root.
	ParentID  string
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
}

// Assignment gives a role to a subject on an organization.
type Assignment struct {
	SubjectID string
	RoleID    string
	OrgID     string
	CreatedAt time.Time
	CreatedBy string
}

// Store persists organizations and assignments.
//
// Methods return storage.ErrNotFound for a missing record and
// storage.ErrConflict for a duplicate ID or a broken reference.
type Store interface {
	// CreateOrg stores a new organization. It returns ErrConflict if the ID
	// is taken, the parent does not exist, or a second root is created.
	CreateOrg(ctx context.Context, o Org) error
	// GetOrg returns the organization with that ID.
	GetOrg(ctx context.Context, id string) (Org, error)
	// ListOrgs returns every organization ordered by ID.
	ListOrgs(ctx context.Context) ([]Org, error)
	// UpdateOrg applies fn to the stored organization in one transaction.
	// The ID and parent are not changed by it.
	UpdateOrg(ctx context.Context, id string, fn func(Org) (Org, error)) error
	// DeleteOrg removes the organization. It returns ErrConflict while
	// child organizations, accounts or assignments still refer to it.
	DeleteOrg(ctx context.Context, id string) error

	// AddAssignment stores an assignment; ErrConflict if it already exists
	// or refers to a missing subject or organization.
	AddAssignment(ctx context.Context, a Assignment) error
	// ListAssignments returns the subject's assignments ordered by role
	// then organization.
	ListAssignments(ctx context.Context, subjectID string) ([]Assignment, error)
}

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
