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
		{name: "listing orgs returns them all ordered by id", method: http.MethodGet, path: "/api/v1/orgs",
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
