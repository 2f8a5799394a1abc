package resource

import (
	"slices"
	"strings"
)

// RoleEntry is one entry of the roles claim: each role of Roles is held on
// each organization of Orgs.
type RoleEntry struct {
	// Orgs are the organizations the roles are held on, sorted: "ORG", or
	// "ORG/*" for an organization and its descendants.
	Orgs []string `json:"orgs"`
	// Roles is the space-separated, sorted list of roles, "ORG/ROLE".
	Roles string `json:"roles"`
}

// CompactRoles returns the roles claim of held, the organizations each
// role ("ORG/ROLE") is held on. As in the rights claim, each role appears
// in exactly one entry and roles held on the same organizations share one,
// so an account holding twenty roles on the same fifty organizations lists
// those organizations once.
func CompactRoles(held map[string][]string) []RoleEntry {
	byOrgs := map[string][]string{}
	for role, orgs := range held {
		orgs = slices.Clone(orgs)
		slices.Sort(orgs)
		key := strings.Join(slices.Compact(orgs), " ")
		byOrgs[key] = append(byOrgs[key], role)
	}
	out := make([]RoleEntry, 0, len(byOrgs))
	for key, roles := range byOrgs {
		slices.Sort(roles)
		out = append(out, RoleEntry{Orgs: strings.Fields(key), Roles: strings.Join(roles, " ")})
	}
	slices.SortFunc(out, func(a, b RoleEntry) int { return strings.Compare(a.Roles, b.Roles) })
	if len(out) == 0 {
		return nil
	}
	return out
}
