package web_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/web"
)

func TestOrgs(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	start := f.clock.Now().Add(-time.Second)
	wantOrg := func(id, name, parent string) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			o := decode[web.Org](t, r, r.Status)
			if o.ID != id || o.Name != name || o.Parent != parent {
				t.Errorf("org %q named %q under %q, want %q named %q under %q", o.ID, o.Name, o.Parent, id, name, parent)
			}
			if o.CreatedBy != adminID || o.CreatedAt.Before(start) || o.UpdatedAt.Before(o.CreatedAt) {
				t.Errorf("created by %q at %s, updated at %s", o.CreatedBy, o.CreatedAt, o.UpdatedAt)
			}
			wantNoStore(t, r)
		}
	}
	wantOrgIDs := func(ids ...string) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			var got []string
			for _, o := range decode[web.OrgList](t, r, http.StatusOK).Items {
				got = append(got, o.ID)
			}
			if !slices.Equal(got, ids) {
				t.Errorf("orgs %q, want %q", got, ids)
			}
		}
	}
	f.runSteps(t, tok, []step{
		{name: "creating an org puts it under the root", method: http.MethodPost, path: "/api/v1/orgs",
			body: `{"id":"billing","name":"Billing"}`, status: http.StatusCreated, check: wantOrg("billing", "Billing", rootOrg)},
		{name: "an org created without a name is named after its id", method: http.MethodPost, path: "/api/v1/orgs",
			body: `{"id":"ops"}`, status: http.StatusCreated, check: wantOrg("ops", "ops", rootOrg)},
		{name: "an org can be created under another org", method: http.MethodPost, path: "/api/v1/orgs",
			body: `{"id":"billing-eu","name":"Billing EU","parent":"billing"}`, status: http.StatusCreated, check: wantOrg("billing-eu", "Billing EU", "billing")},
		{name: "creating an org with a taken id is a conflict", method: http.MethodPost, path: "/api/v1/orgs",
			body: `{"id":"billing"}`, status: http.StatusConflict, code: "conflict"},
		{name: "an org id with uppercase letters is invalid", method: http.MethodPost, path: "/api/v1/orgs",
			body: `{"id":"Billing"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an org under an unknown parent is not found", method: http.MethodPost, path: "/api/v1/orgs",
			body: `{"id":"orphan","parent":"nowhere"}`, status: http.StatusNotFound, code: "not_found"},
		{name: "an unknown field in the body is invalid", method: http.MethodPost, path: "/api/v1/orgs",
			body: `{"id":"typo","nmae":"Typo"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "listing orgs returns them all in tree order", method: http.MethodGet, path: "/api/v1/orgs",
			status: http.StatusOK, check: wantOrgIDs("acme", "billing", "billing-eu", "ops")},
		{name: "getting an org returns it", method: http.MethodGet, path: "/api/v1/orgs/billing",
			status: http.StatusOK, check: wantOrg("billing", "Billing", rootOrg)},
		{name: "getting an unknown org is not found", method: http.MethodGet, path: "/api/v1/orgs/nowhere",
			status: http.StatusNotFound, code: "not_found"},
		{name: "renaming an org changes its name and nothing else", method: http.MethodPatch, path: "/api/v1/orgs/billing",
			body: `{"name":"Billing department"}`, status: http.StatusOK, check: wantOrg("billing", "Billing department", rootOrg)},
		{name: "the new name is stored", method: http.MethodGet, path: "/api/v1/orgs/billing",
			status: http.StatusOK, check: wantOrg("billing", "Billing department", rootOrg)},
		{name: "renaming an org to an empty name is invalid", method: http.MethodPatch, path: "/api/v1/orgs/billing",
			body: `{"name":""}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "renaming an unknown org is not found", method: http.MethodPatch, path: "/api/v1/orgs/nowhere",
			body: `{"name":"Nowhere"}`, status: http.StatusNotFound, code: "not_found"},
		{name: "deleting an org with a child org is a conflict", method: http.MethodDelete, path: "/api/v1/orgs/billing",
			status: http.StatusConflict, code: "conflict"},
		{name: "deleting the root org is a conflict", method: http.MethodDelete, path: "/api/v1/orgs/" + rootOrg,
			status: http.StatusConflict, code: "conflict"},
		{name: "deleting a leaf org answers 204", method: http.MethodDelete, path: "/api/v1/orgs/billing-eu",
			status: http.StatusNoContent},
		{name: "a deleted org is not found", method: http.MethodGet, path: "/api/v1/orgs/billing-eu",
			status: http.StatusNotFound, code: "not_found"},
		{name: "deleting a deleted org is not found", method: http.MethodDelete, path: "/api/v1/orgs/billing-eu",
			status: http.StatusNotFound, code: "not_found"},
		{name: "an account is created in ops", method: http.MethodPost, path: "/api/v1/accounts",
			body: `{"id":"bot","org":"ops"}`, status: http.StatusCreated},
		{name: "deleting an org that holds an account is a conflict", method: http.MethodDelete, path: "/api/v1/orgs/ops",
			status: http.StatusConflict, code: "conflict"},
		{name: "the account is deleted", method: http.MethodDelete, path: "/api/v1/accounts/bot@ops.iam",
			status: http.StatusNoContent},
		{name: "an emptied org can be deleted", method: http.MethodDelete, path: "/api/v1/orgs/ops",
			status: http.StatusNoContent},
		{name: "the remaining orgs are listed", method: http.MethodGet, path: "/api/v1/orgs",
			status: http.StatusOK, check: wantOrgIDs("acme", "billing")},
	})
}

// TestOrgTree: organizations list in tree order, with their paths, and
// move with their subtree, never under themselves.
func TestOrgTree(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	for _, o := range []web.CreateOrgRequest{{ID: "sales"}, {ID: "billing"}, {ID: "billing-eu", Parent: "billing"}, {ID: "billing-fr", Parent: "billing-eu"}} {
		decode[web.Org](t, f.call(t, http.MethodPost, "/api/v1/orgs", tok, o), http.StatusCreated)
	}
	wantPath := func(path ...string) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			if o := decode[web.Org](t, r, r.Status); !slices.Equal(o.Path, path) || o.Parent != path[len(path)-2] {
				t.Errorf("org %s under %q at %q, want at %q", o.ID, o.Parent, o.Path, path)
			}
		}
	}
	f.runSteps(t, tok, []step{
		{name: "the list is in tree order: each org after its parent", method: http.MethodGet, path: "/api/v1/orgs", status: http.StatusOK,
			check: wantItems(orgID, "acme", "billing", "billing-eu", "billing-fr", "sales")},
		{name: "under lists an org's subtree", method: http.MethodGet, path: "/api/v1/orgs?under=billing-eu", status: http.StatusOK,
			check: wantItems(orgID, "billing-eu", "billing-fr")},
		{name: "under an unknown org is not found", method: http.MethodGet, path: "/api/v1/orgs?under=nowhere", status: http.StatusNotFound, code: "not_found"},
		{name: "an org gives its path from the root", method: http.MethodGet, path: "/api/v1/orgs/billing-fr", status: http.StatusOK,
			check: wantPath("acme", "billing", "billing-eu", "billing-fr")},
		{name: "the root's path is itself", method: http.MethodGet, path: "/api/v1/orgs/acme", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if o := decode[web.Org](t, r, http.StatusOK); !slices.Equal(o.Path, []string{"acme"}) || o.Parent != "" {
					t.Errorf("root %+v", o)
				}
			}},
		{name: "setting the parent moves an org", method: http.MethodPatch, path: "/api/v1/orgs/billing-eu",
			body: `{"parent":"sales"}`, status: http.StatusOK, check: wantPath("acme", "sales", "billing-eu")},
		{name: "its subtree moves with it", method: http.MethodGet, path: "/api/v1/orgs/billing-fr", status: http.StatusOK,
			check: wantPath("acme", "sales", "billing-eu", "billing-fr")},
		{name: "the list follows", method: http.MethodGet, path: "/api/v1/orgs?under=sales", status: http.StatusOK,
			check: wantItems(orgID, "sales", "billing-eu", "billing-fr")},
		{name: "a move under its own descendant is refused", method: http.MethodPatch, path: "/api/v1/orgs/sales",
			body: `{"parent":"billing-fr"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a move under itself is refused", method: http.MethodPatch, path: "/api/v1/orgs/sales",
			body: `{"parent":"sales"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "the root cannot be moved", method: http.MethodPatch, path: "/api/v1/orgs/acme",
			body: `{"parent":"sales"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a move under an unknown org is not found", method: http.MethodPatch, path: "/api/v1/orgs/sales",
			body: `{"parent":"nowhere"}`, status: http.StatusNotFound, code: "not_found"},
		{name: "an empty parent is invalid", method: http.MethodPatch, path: "/api/v1/orgs/sales",
			body: `{"parent":""}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a patch changing nothing is invalid", method: http.MethodPatch, path: "/api/v1/orgs/sales",
			body: `{}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a bad name with a parent is refused before anything moves", method: http.MethodPatch, path: "/api/v1/orgs/billing-eu",
			body: `{"name":"","parent":"billing"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "nothing moved", method: http.MethodGet, path: "/api/v1/orgs/billing-eu", status: http.StatusOK,
			check: wantPath("acme", "sales", "billing-eu")},
		{name: "a rename and a move at once", method: http.MethodPatch, path: "/api/v1/orgs/billing-eu",
			body: `{"name":"Billing EU","parent":"billing"}`, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				wantPath("acme", "billing", "billing-eu")(t, r)
				if o := decode[web.Org](t, r, http.StatusOK); o.Name != "Billing EU" {
					t.Errorf("name %q", o.Name)
				}
			}},
	})
	t.Run("moving needs the write right on the new parent too", func(t *testing.T) {
		_, boss := f.member(t, tok, "boss", "billing", role("acme/admin", "billing/*"))
		r := f.call(t, http.MethodPatch, "/api/v1/orgs/billing-fr", boss, `{"parent":"sales"}`)
		wantMissing("sales", "iam.organizations:write")(t, r)
	})
}
