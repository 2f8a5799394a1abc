package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
	"github.com/iamd/iamd/web"
)

// TestGroupMembersAPIListsAccountsOnly: the API names members by client
// ID, so a user in a group is left out of its answer, as before users
// could join groups.
func TestGroupMembersAPIListsAccountsOnly(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	if r := f.call(t, http.MethodPost, "/api/v1/groups", admin, web.CreateGroupRequest{Org: rootOrg, Name: "mixed"}); r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	f.client(t, admin, web.CreateAccountRequest{ID: "sync", Org: rootOrg})
	f.assign(t, admin, "sync@acme.iam", web.AssignRequest{Group: "acme/mixed"})
	people := users.NewService(f.db, f.db, f.orgs, users.Config{}, f.clock.Now)
	ctx := context.Background()
	if _, _, err := people.Create(ctx, rbac.System("test"), users.NewUser{OrgID: rootOrg, Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := people.JoinGroup(ctx, rbac.System("test"), "alice", "acme/mixed"); err != nil {
		t.Fatal(err)
	}
	l := decode[web.MemberList](t, f.get(t, "/api/v1/groups/acme/mixed/members", "Authorization", "Bearer "+admin), http.StatusOK)
	if len(l.Items) != 1 || l.Items[0].ClientID != "sync@acme.iam" {
		t.Errorf("members %+v, want sync@acme.iam alone", l.Items)
	}
}
