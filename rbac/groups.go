package rbac

import "time"

// Group is a named set of role assignments, owned by an organization and
// referenced as ORG/NAME. A subject that joins the group receives each pair,
// under the same rules as if it were assigned directly.
type Group struct {
	// ID is internal and immutable.
	ID          string
	OrgID       string
	Name        string
	Description string
	// Pairs are sorted by role ID, then organization.
	Pairs     []Pair
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
}

// Ref returns how users name the group: ORG/NAME.
func (g Group) Ref() string { return g.OrgID + "/" + g.Name }

// Pair is a role to be held on an organization (and, with Subtree, its
// descendants).
type Pair struct {
	RoleID string
	On     Scope
}

// Subject kinds. Assignments are made to subjects: service accounts and
// human admin users (package users).
const (
	SubjectAccount = "account"
	SubjectUser    = "user"
)

// Subject is who receives assignments, as the rules need to see it.
type Subject struct {
	// ID is the internal ID assignments refer to.
	ID   string
	Kind string
	// Name is how users name it (a client ID), for messages and audit.
	Name string
	// Org is the subject's organization.
	Org Org
	// System subjects were created by iamd and receive no assignment.
	System bool
}

// RoleAssignment gives a role to a subject on a scope.
type RoleAssignment struct {
	SubjectID string
	RoleID    string
	On        Scope
	CreatedAt time.Time
	CreatedBy string
}

// Membership puts a subject in a group.
type Membership struct {
	SubjectID string
	GroupID   string
	CreatedAt time.Time
	CreatedBy string
}
