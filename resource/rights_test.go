package resource_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/iamd/iamd/resource"
)

// tr writes a triple as "ORG PERMISSION:OPERATION" for short tables.
func tr(s string) resource.Triple {
	org, right, _ := strings.Cut(s, " ")
	if right == "*" {
		return resource.Triple{Org: org, Permission: "*", Operation: "*"}
	}
	p, o, _ := strings.Cut(right, ":")
	return resource.Triple{Org: org, Permission: p, Operation: o}
}

func triples(ss ...string) []resource.Triple {
	out := make([]resource.Triple, len(ss))
	for i, s := range ss {
		out[i] = tr(s)
	}
	return out
}

func TestCompact(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []resource.Triple
		want string
	}{
		{"no triples give an empty claim", nil, `[]`},
		{"one right in one org is one entry", triples("billing billing.invoices:read"),
			`[{"orgs":["billing"],"scope":"billing.invoices:read"}]`},
		{"the example of the claim format", triples(
			"sales billing.invoices:read", "billing iam.keys:write", "billing billing.invoices:read", "billing iam.keys:read"),
			`[{"orgs":["billing","sales"],"scope":"billing.invoices:read"},{"orgs":["billing"],"scope":"iam.keys:read iam.keys:write"}]`},
		{"rights reaching the same orgs share an entry, sorted", triples(
			"b p.z:write", "a p.z:write", "a p.a:read", "b p.a:read"),
			`[{"orgs":["a","b"],"scope":"p.a:read p.z:write"}]`},
		{"a right reaching a superset of orgs gets its own entry", triples(
			"a p.x:read", "a p.y:read", "b p.y:read"),
			`[{"orgs":["a"],"scope":"p.x:read"},{"orgs":["a","b"],"scope":"p.y:read"}]`},
		{"entries are sorted by their first right", triples(
			"c z.z:read", "b m.m:read", "a a.a:read"),
			`[{"orgs":["a"],"scope":"a.a:read"},{"orgs":["b"],"scope":"m.m:read"},{"orgs":["c"],"scope":"z.z:read"}]`},
		{"duplicates collapse", triples("a p.x:read", "a p.x:read", "a p.x:read"),
			`[{"orgs":["a"],"scope":"p.x:read"}]`},
		{"operations of one permission are distinct rights", triples("a p.x:read", "b p.x:write"),
			`[{"orgs":["a"],"scope":"p.x:read"},{"orgs":["b"],"scope":"p.x:write"}]`},
		{"the wildcard right on every org is written *", triples("* *"),
			`[{"orgs":["*"],"scope":"*"}]`},
		{"every org absorbs the orgs it already names", triples("a p.x:read", "* p.x:read", "b p.x:read", "* p.y:read"),
			`[{"orgs":["*"],"scope":"p.x:read p.y:read"}]`},
		{"the wildcard right sorts first and stays apart from others in other orgs", triples("a p.x:read", "a *", "b *"),
			`[{"orgs":["a","b"],"scope":"*"},{"orgs":["a"],"scope":"p.x:read"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(resource.Compact(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("Compact =\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
}

// TestCompactIsExactAndDeterministic checks the claim's invariants on a
// larger random set: the same claim for any order, each right in one
// entry, entries for distinct org sets, and Allows answering exactly the
// triples given.
func TestCompactIsExactAndDeterministic(t *testing.T) {
	orgs := []string{"acme", "billing", "sales", "hr", "ops"}
	perms := []string{"billing.invoices", "iam.keys", "iam.roles", "crm.leads"}
	ops := []string{"read", "write", "delete", "archive"}
	r := rand.New(rand.NewPCG(1, 2))
	var in []resource.Triple
	held := map[resource.Triple]bool{}
	for range 60 {
		tt := resource.Triple{Org: orgs[r.IntN(len(orgs))], Permission: perms[r.IntN(len(perms))], Operation: ops[r.IntN(len(ops))]}
		in = append(in, tt)
		held[tt] = true
	}
	want := resource.Compact(in)
	for range 20 {
		shuffled := slices.Clone(in)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		shuffled = append(shuffled, shuffled[:10]...)
		if got := resource.Compact(shuffled); !reflect.DeepEqual(got, want) {
			t.Fatalf("Compact depends on order or repetitions:\n%v\n%v", got, want)
		}
	}
	rights, orgSets := map[string]bool{}, map[string]bool{}
	for i, e := range want {
		if !slices.IsSorted(e.Orgs) || !slices.IsSorted(strings.Fields(e.Scope)) {
			t.Errorf("entry %d is not sorted: %+v", i, e)
		}
		if key := strings.Join(e.Orgs, ","); orgSets[key] {
			t.Errorf("two entries for orgs %s", key)
		} else {
			orgSets[key] = true
		}
		for _, right := range strings.Fields(e.Scope) {
			if rights[right] {
				t.Errorf("right %s in two entries", right)
			}
			rights[right] = true
		}
		if i > 0 && strings.Fields(want[i-1].Scope)[0] >= strings.Fields(e.Scope)[0] {
			t.Errorf("entries %d and %d are not sorted by their first right", i-1, i)
		}
	}
	for _, o := range orgs {
		for _, p := range perms {
			for _, op := range ops {
				tt := resource.Triple{Org: o, Permission: p, Operation: op}
				if got := want.Allows(o, p, op); got != held[tt] {
					t.Errorf("Allows(%s, %s, %s) = %v, want %v", o, p, op, got, held[tt])
				}
			}
		}
	}
}

func TestAllows(t *testing.T) {
	var example resource.Rights
	if err := json.Unmarshal([]byte(`[
		{"orgs":["billing","sales"],"scope":"billing.invoices:read"},
		{"orgs":["billing"],"scope":"iam.keys:read iam.keys:write"},
		{"orgs":["*"],"scope":"iam.audit:read"}]`), &example); err != nil {
		t.Fatal(err)
	}
	admin := resource.Compact(triples("* *"))
	local := resource.Compact(triples("ops *"))
	for _, tc := range []struct {
		name          string
		rights        resource.Rights
		org, perm, op string
		want          bool
	}{
		{"a right listed for the org is allowed", example, "billing", "billing.invoices", "read", true},
		{"the same right in another listed org is allowed", example, "sales", "billing.invoices", "read", true},
		{"a right in an org the entry does not list is refused", example, "hr", "billing.invoices", "read", false},
		{"a right of another entry's orgs is refused", example, "sales", "iam.keys", "write", false},
		{"the second right of a scope is allowed", example, "billing", "iam.keys", "write", true},
		{"another operation of a held permission is refused", example, "billing", "billing.invoices", "write", false},
		{"a permission that only prefixes a held one is refused", example, "billing", "billing", "read", false},
		{"a permission a held one prefixes is refused", example, "billing", "billing.invoices.lines", "read", false},
		{"an org a listed org prefixes is refused", example, "bill", "billing.invoices", "read", false},
		{"a right on every org is allowed in any org", example, "anything", "iam.audit", "read", true},
		{"a right on every org is not every right", example, "anything", "iam.audit", "write", false},
		{"the wildcard right on every org allows anything", admin, "acme", "billing.invoices", "delete", true},
		{"the wildcard right on one org allows anything there", local, "ops", "crm.leads", "archive", true},
		{"the wildcard right on one org allows nothing elsewhere", local, "acme", "crm.leads", "read", false},
		{"an empty org is refused even by the wildcard", admin, "", "billing.invoices", "read", false},
		{"an empty permission is refused", admin, "acme", "", "read", false},
		{"an empty operation is refused", admin, "acme", "billing.invoices", "", false},
		{"a query for every org needs the right on every org", example, "*", "billing.invoices", "read", false},
		{"a query for every org holds with the right on every org", example, "*", "iam.audit", "read", true},
		{"empty rights allow nothing", nil, "billing", "billing.invoices", "read", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rights.Allows(tc.org, tc.perm, tc.op); got != tc.want {
				t.Errorf("Allows(%q, %q, %q) = %v, want %v", tc.org, tc.perm, tc.op, got, tc.want)
			}
		})
	}
}

func TestClaimsAllowOnlyByTheirRights(t *testing.T) {
	c := &resource.Claims{Org: "billing", Scope: "billing.invoices:read *"}
	if c.Allows("billing", "billing.invoices", "read") {
		t.Error("a token without a rights claim allows what its scope names")
	}
	c.Rights = resource.Compact(triples("billing billing.invoices:read"))
	if !c.Allows("billing", "billing.invoices", "read") || c.Allows("billing", "iam.keys", "read") {
		t.Errorf("claims with rights %+v", c.Rights)
	}
	var none *resource.Claims
	if none.Allows("billing", "billing.invoices", "read") {
		t.Error("nil claims allow")
	}
	reqs := []resource.Requirement{
		{Org: "billing", Permission: "billing.invoices", Operation: "write"},
		{Org: "billing", Permission: "billing.invoices", Operation: "read"},
		{Org: "sales", Permission: "billing.invoices", Operation: "read"},
	}
	if got := c.Missing(reqs); !slices.Equal(got, []resource.Requirement{reqs[0], reqs[2]}) {
		t.Errorf("Missing = %v", got)
	}
	if got := c.Missing(reqs[1:2]); got != nil {
		t.Errorf("Missing of held rights = %v, want none", got)
	}
	if got := none.Missing(reqs); !slices.Equal(got, reqs) {
		t.Errorf("nil claims: Missing = %v", got)
	}
}

func TestParseRequirement(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want resource.Requirement
		err  string
	}{
		{name: "an org, a permission and an operation", in: "billing:billing.invoices:read",
			want: resource.Requirement{Org: "billing", Permission: "billing.invoices", Operation: "read"}},
		{name: "a single-segment permission", in: "acme:reports:archive",
			want: resource.Requirement{Org: "acme", Permission: "reports", Operation: "archive"}},
		{name: "segments with digits and hyphens", in: "org-1:a1.b-c.d:delete",
			want: resource.Requirement{Org: "org-1", Permission: "a1.b-c.d", Operation: "delete"}},
		{name: "every organization", in: "*:iam.audit:read",
			want: resource.Requirement{Org: "*", Permission: "iam.audit", Operation: "read"}},
		{name: "a missing part is refused", in: "billing:billing.invoices", err: "want ORG:PERMISSION:OPERATION"},
		{name: "an extra part is refused", in: "billing:billing.invoices:read:x", err: "want ORG:PERMISSION:OPERATION"},
		{name: "an empty string is refused", in: "", err: "want ORG:PERMISSION:OPERATION"},
		{name: "an empty org is refused", in: ":billing.invoices:read", err: "not an organization ID"},
		{name: "an upper-case org is refused", in: "Billing:billing.invoices:read", err: "not an organization ID"},
		{name: "a too short org is refused", in: "ab:billing.invoices:read", err: "not an organization ID"},
		{name: "an org ending in a hyphen is refused", in: "bill-:billing.invoices:read", err: "not an organization ID"},
		{name: "an empty permission is refused", in: "billing::read", err: "not a permission name"},
		{name: "the wildcard permission is refused", in: "billing:*:read", err: "not a permission name"},
		{name: "an empty segment is refused", in: "billing:billing..invoices:read", err: "not a permission name"},
		{name: "a trailing dot is refused", in: "billing:billing.:read", err: "not a permission name"},
		{name: "a segment starting with a digit is refused", in: "billing:billing.1nvoices:read", err: "not a permission name"},
		{name: "an upper-case permission is refused", in: "billing:Billing.invoices:read", err: "not a permission name"},
		{name: "a permission of 101 characters is refused", in: "billing:" + strings.Repeat("a", 101) + ":read", err: "at most 100"},
		{name: "an unknown operation is refused", in: "billing:billing.invoices:list", err: "not one of read, write, delete, archive"},
		{name: "an upper-case operation is refused", in: "billing:billing.invoices:READ", err: "not one of"},
		{name: "the wildcard operation is refused", in: "billing:billing.invoices:*", err: "not one of"},
		{name: "a long input is quoted cut", in: strings.Repeat("x", 200), err: `(200 bytes)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resource.ParseRequirement(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseRequirement(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
				}
				if strings.Contains(err.Error(), strings.Repeat("x", 33)) {
					t.Errorf("the error quotes the whole input: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseRequirement(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
	// 100 characters is allowed.
	if _, err := resource.ParseRequirement("billing:" + strings.Repeat("a", 100) + ":read"); err != nil {
		t.Error(err)
	}
}

func TestCompactRoles(t *testing.T) {
	got := resource.CompactRoles(map[string][]string{
		"acme/writer": {"billing"},
		"acme/viewer": {"sales/*", "billing", "billing"},
		"acme/reader": {"billing", "sales/*"},
	})
	want := []resource.RoleEntry{
		{Orgs: []string{"billing", "sales/*"}, Roles: "acme/reader acme/viewer"},
		{Orgs: []string{"billing"}, Roles: "acme/writer"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CompactRoles = %+v, want %+v", got, want)
	}
	if got := resource.CompactRoles(nil); got != nil {
		t.Fatalf("CompactRoles(nil) = %+v, want nil (no claim)", got)
	}
}
