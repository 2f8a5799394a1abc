package rbac

import (
	"context"
	"time"
)

// Store persists the authorization model.
//
// Methods return storage.ErrNotFound for a missing record and
// storage.ErrConflict for a duplicate or a broken reference. Methods that
// change several rows do so atomically (in the caller's transaction if the
// context carries one, see storage.Transactor).
type Store interface {
	OrgStore
	PermissionStore
	RoleStore
	GroupStore
	AssignmentStore
	// LoadGrants returns, in one query, what the effective rights of a
	// subject depend on (see Grants). It runs for every token request.
	LoadGrants(ctx context.Context, subjectID string) (Grants, error)
	// LockAuthz, in a transaction, makes every other transaction that
	// calls it wait until this one ends. A change of the authorization
	// model checks rights, rules and uses it read in the same transaction:
	// without the lock, two changes could each pass on the state the other
	// has not committed yet. It returns an error outside a transaction.
	LockAuthz(ctx context.Context) error
}

// OrgStore persists the organization tree.
type OrgStore interface {
	// CreateOrg stores a new organization, Path included. It returns
	// ErrConflict if the ID is taken, the parent does not exist, or a
	// second root is created.
	CreateOrg(ctx context.Context, o Org) error
	// GetOrg returns the organization with that ID.
	GetOrg(ctx context.Context, id string) (Org, error)
	// ListOrgs returns every organization ordered by path (a depth-first
	// walk, parents before children); with under set, that organization
	// and its descendants only (ErrNotFound if it does not exist).
	ListOrgs(ctx context.Context, under string) ([]Org, error)
	// UpdateOrg applies fn to the stored organization in one transaction.
	// Only the name and update time are written.
	UpdateOrg(ctx context.Context, id string, fn func(Org) (Org, error)) error
	// MoveOrg makes parentID the parent of id, rewriting the paths of id
	// and its descendants in one statement, and sets its update time. The
	// caller checks, in the same transaction, that parentID is not id or
	// one of its descendants and that the depth stays within MaxDepth.
	MoveOrg(ctx context.Context, id, parentID string, at time.Time) error
	// DeleteOrg removes the organization. It returns ErrConflict while
	// anything refers to it: child organizations, accounts, roles, groups,
	// assignments, group pairs or perimeter entries.
	DeleteOrg(ctx context.Context, id string) error
}

// PermissionStore persists the permission catalog.
type PermissionStore interface {
	// CreatePermission stores a permission; ErrConflict if it exists.
	CreatePermission(ctx context.Context, p Permission) error
	// GetPermission returns the permission with that name.
	GetPermission(ctx context.Context, name string) (Permission, error)
	// ListPermissions returns the catalog ordered by name.
	ListPermissions(ctx context.Context) ([]Permission, error)
	// UpdatePermission applies fn to the stored permission; only the
	// description is written.
	UpdatePermission(ctx context.Context, name string, fn func(Permission) (Permission, error)) error
	// DeletePermission removes a permission; ErrConflict while a role
	// holds a right on it.
	DeletePermission(ctx context.Context, name string) error
}

// RoleStore persists roles with their rights and perimeters.
type RoleStore interface {
	// CreateRole stores a role with its rights and perimeter; ErrConflict
	// if its organization already has a role of that name, or a right
	// names a permission not in the catalog, or a perimeter entry an
	// organization that does not exist.
	CreateRole(ctx context.Context, r Role) error
	// GetRole returns the role with that internal ID.
	GetRole(ctx context.Context, id string) (Role, error)
	// GetRoleByName returns the role name of orgID.
	GetRoleByName(ctx context.Context, orgID, name string) (Role, error)
	// ListRoles returns the roles owned by orgID, or every role if orgID
	// is empty, ordered by organization ID then name.
	ListRoles(ctx context.Context, orgID string) ([]Role, error)
	// UpdateRole applies fn to the stored role in one transaction; the
	// description, rights, perimeter and update time are written.
	UpdateRole(ctx context.Context, id string, fn func(Role) (Role, error)) error
	// DeleteRole removes the role; ErrConflict while it is assigned or
	// part of a group.
	DeleteRole(ctx context.Context, id string) error
	// RoleUses returns the direct assignments of the role and the groups
	// holding it, for the rules that depend on where it is used.
	RoleUses(ctx context.Context, id string) ([]RoleAssignment, []Group, error)
}

// GroupStore persists groups and their members.
type GroupStore interface {
	// CreateGroup stores a group with its pairs; ErrConflict if the
	// organization already has a group of that name or a pair refers to
	// a missing role or organization.
	CreateGroup(ctx context.Context, g Group) error
	// GetGroup returns the group with that internal ID.
	GetGroup(ctx context.Context, id string) (Group, error)
	// GetGroupByName returns the group name of orgID.
	GetGroupByName(ctx context.Context, orgID, name string) (Group, error)
	// ListGroups returns the groups owned by orgID, or every group if
	// orgID is empty, ordered by organization ID then name.
	ListGroups(ctx context.Context, orgID string) ([]Group, error)
	// UpdateGroup applies fn to the stored group in one transaction; the
	// description, pairs and update time are written.
	UpdateGroup(ctx context.Context, id string, fn func(Group) (Group, error)) error
	// DeleteGroup removes the group and its memberships.
	DeleteGroup(ctx context.Context, id string) error
	// ListMembers returns the group's memberships ordered by subject ID.
	ListMembers(ctx context.Context, groupID string) ([]Membership, error)
}

// AssignmentStore persists role assignments and group memberships.
type AssignmentStore interface {
	// AddRoleAssignment stores an assignment; ErrConflict if the subject
	// already holds the role on that organization (with or without its
	// descendants) or a reference is missing.
	AddRoleAssignment(ctx context.Context, a RoleAssignment) error
	// RemoveRoleAssignment removes the subject's assignment of the role
	// on orgID; ErrNotFound if there is none.
	RemoveRoleAssignment(ctx context.Context, subjectID, roleID, orgID string) error
	// RemoveRoleUses removes every assignment of the role and every group
	// pair holding it, and returns how many of each it removed.
	RemoveRoleUses(ctx context.Context, roleID string) (assignments, pairs int, err error)
	// ListRoleAssignments returns the subject's assignments ordered by
	// role ID then organization.
	ListRoleAssignments(ctx context.Context, subjectID string) ([]RoleAssignment, error)
	// AddMembership stores a membership; ErrConflict if it exists or a
	// reference is missing.
	AddMembership(ctx context.Context, m Membership) error
	// RemoveMembership removes it; ErrNotFound if there is none.
	RemoveMembership(ctx context.Context, subjectID, groupID string) error
	// ListMemberships returns the subject's memberships ordered by group
	// ID.
	ListMemberships(ctx context.Context, subjectID string) ([]Membership, error)
}

// Grants is what the effective rights of a subject depend on, as
// LoadGrants reads it.
type Grants struct {
	// Org is the subject's organization.
	Org Org
	// Grants are the subject's role assignments, direct and through its
	// groups.
	Grants []Grant
	// Roles holds every role a grant names, by ID, rights and perimeter
	// included.
	Roles map[string]Role
	// Groups holds every group of the subject by ID, without pairs.
	Groups map[string]Group
	// Paths maps to its path every organization that a grant, a role's
	// owner or a perimeter entry names, and every descendant of an
	// organization granted with its subtree; but not the whole tree for a
	// grant on the root of a role whose perimeter is the whole tree, which
	// Compute writes AnyOrg: the bootstrap admin's rights cost the same on
	// ten organizations as on ten thousand.
	Paths map[string]string
}

// Grant is a role held on a scope, directly (GroupID empty) or through a
// group.
type Grant struct {
	RoleID  string
	On      Scope
	GroupID string
}
