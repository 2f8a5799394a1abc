package accounts_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
)

func TestGroupMembersListsAccountsThenUsers(t *testing.T) {
	e := newEnv(t)
	if _, err := e.orgs.CreateGroup(e.ctx, sys, "eng", "oncall", ""); err != nil {
		t.Fatal(err)
	}
	people := users.NewService(e.db, e.db, e.orgs, users.Config{}, e.clock.Now)
	for _, name := range []string{"zoe", "adam"} {
		if _, _, err := people.Create(e.ctx, sys, users.NewUser{OrgID: "eng", Name: name, DisplayName: "User " + name}); err != nil {
			t.Fatal(err)
		}
		if err := people.JoinGroup(e.ctx, sys, name, "eng/oncall"); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"sync", "deploy"} {
		e.create(t, accounts.NewAccount{OrgID: "eng", Name: name, DisplayName: "Account " + name})
		if err := e.svc.JoinGroup(e.ctx, sys, name+"@eng.iam", "eng/oncall"); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := e.svc.GroupMembers(e.ctx, sys, "eng/oncall")
	if err != nil {
		t.Fatal(err)
	}
	type member struct{ kind, name, clientID, org, display, by string }
	var got []member
	for _, m := range ms {
		got = append(got, member{m.Kind, m.Name, m.ClientID, m.OrgID, m.DisplayName, m.CreatedBy})
		if !m.CreatedAt.Equal(start) {
			t.Errorf("%s joined at %v, want %v", m.Name, m.CreatedAt, start)
		}
	}
	want := []member{
		{accounts.MemberAccount, "deploy@eng.iam", "deploy@eng.iam", "eng", "Account deploy", sys.ID},
		{accounts.MemberAccount, "sync@eng.iam", "sync@eng.iam", "eng", "Account sync", sys.ID},
		{accounts.MemberUser, "adam", "", "eng", "User adam", sys.ID},
		{accounts.MemberUser, "zoe", "", "eng", "User zoe", sys.ID},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members\n got %v\nwant %v", got, want)
	}

	t.Run("an actor without iam.groups read is refused", func(t *testing.T) {
		_, err := e.svc.GroupMembers(e.ctx, rbac.NewActor("nobody", &rbac.Rights{}), "eng/oncall")
		var missing *rbac.MissingRight
		if !errors.As(err, &missing) {
			t.Fatalf("got %v, want a missing right", err)
		}
	})
}
