package main

import (
	"encoding/json"
	"time"
)

// The management API's forms of the authorization model, as the CLI sends
// and reads them.

// permission is an entry of the permission catalog.
type permission struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

type permissionList struct {
	Items []permission `json:"items"`
}

type createPermissionRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type updatePermissionRequest struct {
	Description string `json:"description"`
}

// org is an organization; Path lists the IDs from the root to it.
type org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Parent    string    `json:"parent,omitempty"`
	Path      []string  `json:"path"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// orgList is in tree order, parents first.
type orgList struct {
	Items []org `json:"items"`
}

type createOrgRequest struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
}

// updateOrgRequest renames an organization, or moves it under another
// parent.
type updateOrgRequest struct {
	Name   *string `json:"name,omitempty"`
	Parent *string `json:"parent,omitempty"`
}

// role has rights ("PERMISSION:OPERATION") and a perimeter ("ORG" or
// "ORG/*").
type role struct {
	Ref         string    `json:"ref"`
	Org         string    `json:"org"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Kind        string    `json:"kind"`
	Rights      []string  `json:"rights"`
	Perimeter   []string  `json:"perimeter"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type roleList struct {
	Items []role `json:"items"`
}

type createRoleRequest struct {
	Org         string   `json:"org"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rights      []string `json:"rights"`
	// Perimeter, left out, is the owner's subtree.
	Perimeter []string `json:"perimeter,omitempty"`
}

type updateRoleRequest struct {
	Description *string   `json:"description,omitempty"`
	Rights      *[]string `json:"rights,omitempty"`
	Perimeter   *[]string `json:"perimeter,omitempty"`
}

// groupPair is a role of a group and the scope it applies on.
type groupPair struct {
	Role string `json:"role"`
	On   string `json:"on"`
}

// roleGroup is a group: roles on organizations, given together.
type roleGroup struct {
	Ref         string      `json:"ref"`
	Org         string      `json:"org"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Roles       []groupPair `json:"roles"`
	CreatedAt   time.Time   `json:"created_at"`
	CreatedBy   string      `json:"created_by"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

type roleGroupList struct {
	Items []roleGroup `json:"items"`
}

type createGroupRequest struct {
	Org         string `json:"org"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type updateGroupRequest struct {
	Description string `json:"description"`
}

type member struct {
	ClientID  string    `json:"client_id"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

type memberList struct {
	Items []member `json:"items"`
}

// assignRequest gives a role on scopes, or a group.
type assignRequest struct {
	Role  string   `json:"role,omitempty"`
	On    []string `json:"on,omitempty"`
	Group string   `json:"group,omitempty"`
}

// accountRights are an account's effective rights, each with its source, and its
// inactive grants with the reason.
type accountRights struct {
	ClientID string           `json:"client_id"`
	Org      string           `json:"org"`
	Roles    []string         `json:"roles"`
	Groups   []string         `json:"groups"`
	Rights   []effectiveRight `json:"rights"`
	Inactive []inactiveGrant  `json:"inactive"`
}

// effectiveRight is a right held; Org is "*" for every organization.
type effectiveRight struct {
	Org   string `json:"org"`
	Right string `json:"right"`
	Role  string `json:"role"`
	Group string `json:"group,omitempty"`
	On    string `json:"on"`
}

// inactiveGrant is a grant that yields no right; Rule is the assignment rule
// that fails, 0 when the account's own organization is outside the role's
// perimeter.
type inactiveGrant struct {
	Role   string `json:"role"`
	Group  string `json:"group,omitempty"`
	On     string `json:"on"`
	Rule   int    `json:"rule"`
	Reason string `json:"reason"`
}

type moveAccountRequest struct {
	Org     string `json:"org"`
	Confirm bool   `json:"confirm"`
}

type auditEntry struct {
	ID     string          `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Org    string          `json:"org"`
	Target string          `json:"target"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

type auditList struct {
	Items         []auditEntry `json:"items"`
	NextPageToken string       `json:"next_page_token,omitempty"`
}
