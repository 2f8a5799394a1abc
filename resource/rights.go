package resource

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Wildcard stands for every organization in an entry's orgs, and for every
// right in its scope.
const Wildcard = "*"

// Entry is one entry of the rights claim: the rights of Scope hold in each
// organization of Orgs.
type Entry struct {
	// Orgs are organization IDs, sorted; Wildcard stands alone for every
	// organization, present and future.
	Orgs []string `json:"orgs"`
	// Scope is the space-separated, sorted list of rights
	// "PERMISSION:OPERATION"; Wildcard is every right.
	Scope string `json:"scope"`
}

// Rights is the rights claim of a token: each right appears in exactly one
// entry, the one listing every organization where it holds.
type Rights []Entry

// Triple is a right held in an organization. Org Wildcard is every
// organization; Permission and Operation both Wildcard is every right.
type Triple struct{ Org, Permission, Operation string }

// Right returns the triple's right as the rights claim writes it:
// "PERMISSION:OPERATION", or Wildcard for every right.
func (t Triple) Right() string {
	if t.Permission == Wildcard && t.Operation == Wildcard {
		return Wildcard
	}
	return t.Permission + ":" + t.Operation
}

// Compact returns the rights claim of a set of triples. Rights that hold in
// exactly the same organizations share one entry; an organization list
// holding Wildcard is Wildcard alone, since it already names every other.
// Orgs and rights are sorted, and entries sorted by their first right, so
// the same set gives the same claim whatever the order or repetitions of ts.
func Compact(ts []Triple) Rights {
	orgsOf := map[string]map[string]bool{}
	for _, t := range ts {
		r := t.Right()
		if orgsOf[r] == nil {
			orgsOf[r] = map[string]bool{}
		}
		orgsOf[r][t.Org] = true
	}
	type group struct {
		orgs   []string
		rights []string
	}
	groups := map[string]*group{}
	for r, set := range orgsOf {
		orgs := orgList(set)
		// Organization IDs have no NUL: the key tells lists apart.
		key := strings.Join(orgs, "\x00")
		if groups[key] == nil {
			groups[key] = &group{orgs: orgs}
		}
		groups[key].rights = append(groups[key].rights, r)
	}
	out := make(Rights, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.rights)
		out = append(out, Entry{Orgs: g.orgs, Scope: strings.Join(g.rights, " ")})
	}
	// Each right is in one entry only, so first rights are distinct.
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(firstRight(a), firstRight(b)) })
	return out
}

func orgList(set map[string]bool) []string {
	if set[Wildcard] {
		return []string{Wildcard}
	}
	orgs := make([]string, 0, len(set))
	for o := range set {
		orgs = append(orgs, o)
	}
	slices.Sort(orgs)
	return orgs
}

func firstRight(e Entry) string {
	r, _, _ := strings.Cut(e.Scope, " ")
	return r
}

// Allows reports whether operation on permission holds in org: some entry
// lists org or Wildcard in its orgs, and "PERMISSION:OPERATION" or Wildcard
// in its scope. Empty arguments are never allowed.
func (r Rights) Allows(org, permission, operation string) bool {
	if org == "" || permission == "" || operation == "" {
		return false
	}
	want := permission + ":" + operation
	for _, e := range r {
		if (slices.Contains(e.Orgs, org) || slices.Contains(e.Orgs, Wildcard)) && hasRight(e.Scope, want) {
			return true
		}
	}
	return false
}

func hasRight(scope, want string) bool {
	for f := range strings.FieldsSeq(scope) {
		if f == want || f == Wildcard {
			return true
		}
	}
	return false
}

// Requirement is a right a caller needs in an organization, written
// "ORG:PERMISSION:OPERATION". Org Wildcard requires the right in every
// organization.
type Requirement struct{ Org, Permission, Operation string }

// String returns the requirement as ParseRequirement reads it.
func (q Requirement) String() string { return q.Org + ":" + q.Right() }

// Right returns the required right, "PERMISSION:OPERATION".
func (q Requirement) Right() string { return q.Permission + ":" + q.Operation }

// Missing returns the requirements r does not grant, in the order given;
// none if it grants them all.
func (r Rights) Missing(reqs []Requirement) []Requirement {
	var out []Requirement
	for _, q := range reqs {
		if !r.Allows(q.Org, q.Permission, q.Operation) {
			out = append(out, q)
		}
	}
	return out
}

// ParseRequirement reads "ORG:PERMISSION:OPERATION", e.g.
// "billing:billing.invoices:read". ORG is an organization ID or Wildcard,
// PERMISSION a permission name (dot-separated segments of lowercase
// letters, digits and hyphens, each starting with a letter, at most 100
// characters) and OPERATION one of read, write, delete and archive. It
// returns an error saying what is wrong otherwise.
func ParseRequirement(s string) (Requirement, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Requirement{}, fmt.Errorf("requirement %s: want ORG:PERMISSION:OPERATION, e.g. billing:billing.invoices:read", quote(s))
	}
	q := Requirement{Org: parts[0], Permission: parts[1], Operation: parts[2]}
	switch {
	case q.Org != Wildcard && !validOrg(q.Org):
		return Requirement{}, fmt.Errorf("requirement %s: %s is not an organization ID (3 to 63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen) or %q", quote(s), quote(q.Org), Wildcard)
	case !validPermission(q.Permission):
		return Requirement{}, fmt.Errorf("requirement %s: %s is not a permission name (dot-separated segments of lowercase letters, digits and hyphens, each starting with a letter, at most %d characters)", quote(s), quote(q.Permission), maxPermissionLen)
	case !slices.Contains(operations, q.Operation):
		return Requirement{}, fmt.Errorf("requirement %s: operation %s is not one of %s", quote(s), quote(q.Operation), strings.Join(operations, ", "))
	}
	return q, nil
}

// operations are the operations a right may name.
var operations = []string{"read", "write", "delete", "archive"}

const maxPermissionLen = 100

// validOrg is iamd's rule for organization IDs: DNS labels of 3 to 63
// characters starting with a letter.
func validOrg(s string) bool {
	if len(s) < 3 || len(s) > 63 || s[len(s)-1] == '-' {
		return false
	}
	return validSegment(s)
}

func validPermission(s string) bool {
	if len(s) > maxPermissionLen {
		return false
	}
	for seg := range strings.SplitSeq(s, ".") {
		if !validSegment(seg) {
			return false
		}
	}
	return true
}

// validSegment reports whether s is [a-z][a-z0-9-]*.
func validSegment(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// quote quotes input for an error message, as iamd's storage.Quote does:
// the first 32 bytes only, so that a megabyte sent where a name belongs does
// not grow the message and a secret pasted in the wrong place stays secret.
func quote(s string) string {
	const limit = 32
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	// Back off to the start of a character, unless there is none near.
	cut := limit
	for cut > limit-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = limit
	}
	q := strconv.Quote(s[:cut])
	return fmt.Sprintf("%s...\" (%d bytes)", q[:len(q)-1], len(s))
}
