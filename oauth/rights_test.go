package oauth_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/signing"
)

// claimsOf decodes the iamd claims of a token verified with go-jose.
func (e *env) claimsOf(token string) resource.Claims {
	e.tb.Helper()
	raw, err := json.Marshal(e.inspect(token).raw)
	if err != nil {
		e.tb.Fatal(err)
	}
	var c resource.Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		e.tb.Fatal(err)
	}
	return c
}

func TestTokensCarryTheRightsOfTheRoles(t *testing.T) {
	e := newEnv(t, signing.ES256)
	for _, id := range []string{"billing", "sales"} {
		if _, err := e.orgs.CreateOrg(e.ctx, sys, id, "", "acme"); err != nil {
			t.Fatal(err)
		}
	}
	srv := e.server(oauth.Config{})
	id, _, secret := e.account("sync", []string{"billing.invoices:read", "billing.invoices:write"}, nil)
	e.grant(id, "billing", "billing.invoices:read")
	e.grant(id, "sales", "billing.invoices:read")

	resp, tok := e.token(srv, id, secret)
	c := e.claimsOf(tok)
	if resp.Scope != "billing.invoices:read billing.invoices:write" || c.Scope != resp.Scope {
		t.Fatalf("scope %q, claim %q", resp.Scope, c.Scope)
	}
	want := resource.Rights{
		{Orgs: []string{"acme", "billing", "sales"}, Scope: "billing.invoices:read"},
		{Orgs: []string{"acme"}, Scope: "billing.invoices:write"},
	}
	if !slices.EqualFunc(c.Rights, want, func(a, b resource.Entry) bool { return slices.Equal(a.Orgs, b.Orgs) && a.Scope == b.Scope }) {
		t.Fatalf("rights %+v, want %+v", c.Rights, want)
	}
	wantRoles := []resource.RoleEntry{
		{Orgs: []string{"acme"}, Roles: "acme/sync-acme"},
		{Orgs: []string{"billing"}, Roles: "acme/sync-billing"},
		{Orgs: []string{"sales"}, Roles: "acme/sync-sales"},
	}
	if !reflect.DeepEqual(c.Roles, wantRoles) || c.Org != "acme" {
		t.Fatalf("roles %v, org %q", c.Roles, c.Org)
	}
	if !c.Allows("sales", "billing.invoices", "read") || c.Allows("sales", "billing.invoices", "write") {
		t.Fatal("Allows disagrees with the rights claim")
	}

	// A requested scope narrows the rights claim.
	_, tok = e.token(srv, id, secret, "scope", "billing.invoices:write")
	if c := e.claimsOf(tok); len(c.Rights) != 1 || c.Rights[0].Scope != "billing.invoices:write" || c.Scope != "billing.invoices:write" {
		t.Fatalf("narrowed to %+v (scope %q)", c.Rights, c.Scope)
	}
	// A right not held is invalid_scope.
	_, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials", "scope", "billing.invoices:delete"), Authorization: basic(id, secret)})
	wantError(t, err, oauth.CodeInvalidScope, http.StatusBadRequest)

	// Removing a role removes it from the next token, though the server
	// keeps rights in memory: the change advanced the version its key
	// lookup reads.
	e.store.reset()
	if err := e.orgs.DeleteRole(e.ctx, sys, "acme/sync-sales", true); err != nil {
		t.Fatal(err)
	}
	_, tok = e.token(srv, id, secret)
	if c := e.claimsOf(tok); c.Allows("sales", "billing.invoices", "read") || len(c.Roles) != 2 {
		t.Fatalf("the deleted role is still in the token: %+v %v", c.Rights, c.Roles)
	}
	if n := e.store.snapshot()["LoadGrants"]; n != 1 {
		t.Fatalf("%d grants queries after the change, want 1", n)
	}
}

func TestAnAccountWithoutRolesGetsATokenThatGrantsNothing(t *testing.T) {
	e := newEnv(t, signing.ES256)
	srv := e.server(oauth.Config{})
	id, _, secret := e.account("bare", nil, nil)
	resp, tok := e.token(srv, id, secret)
	c := e.claimsOf(tok)
	if resp.Scope != "" || c.Scope != "" || len(c.Rights) != 0 || len(c.Roles) != 0 {
		t.Fatalf("scope %q, rights %+v, roles %v", resp.Scope, c.Rights, c.Roles)
	}
	if _, ok := e.inspect(tok).raw["rights"]; ok {
		t.Fatal("a token granting nothing carries a rights claim")
	}
}

func TestTheBootstrapAdminsTokenHoldsEverything(t *testing.T) {
	e := newEnv(t, signing.ES256)
	srv := e.server(oauth.Config{})
	a, err := e.accts.Create(e.ctx, sys, accounts.NewAccount{OrgID: "acme", Name: "admin", System: true})
	if err != nil {
		t.Fatal(err)
	}
	root, err := e.orgs.Root(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := e.ids.Of(a)
	if err := e.orgs.GrantBootstrap(e.ctx, sys, rbac.Subject{ID: a.ID, Kind: rbac.SubjectAccount, Name: id, Org: root, System: true}); err != nil {
		t.Fatal(err)
	}
	_, secret := e.key(id, time.Time{})
	_, tok := e.token(srv, id, secret)
	c := e.claimsOf(tok)
	if c.Scope != "*" || !c.Allows("any-org", "billing.invoices", "delete") || !reflect.DeepEqual(c.Roles, []resource.RoleEntry{{Orgs: []string{"acme/*"}, Roles: "acme/system-admin"}}) {
		t.Fatalf("scope %q rights %+v roles %v", c.Scope, c.Rights, c.Roles)
	}
	// Narrowed, the wildcard becomes the right asked for, everywhere.
	_, tok = e.token(srv, id, secret, "scope", "iam.keys:read")
	if c := e.claimsOf(tok); c.Scope != "iam.keys:read" || !c.Allows("any-org", "iam.keys", "read") || c.Allows("any-org", "iam.keys", "write") {
		t.Fatalf("narrowed: scope %q rights %+v", c.Scope, c.Rights)
	}
}

func TestTheManagementAPIActsWithTheTokensScopeAndAccount(t *testing.T) {
	e := newEnv(t, signing.ES256)
	srv := e.server(oauth.Config{})
	id, _, secret := e.account("ops", []string{"iam.keys:read", "iam.keys:write"}, []string{oauth.ManagementAudience})
	admins := srv.Admins()
	_, narrow := e.token(srv, id, secret, "audience", oauth.ManagementAudience, "scope", "iam.keys:read")
	a, err := admins.Authenticate(e.ctx, narrow)
	if err != nil {
		t.Fatal(err)
	}
	read, write := rbac.Right{Permission: "iam.keys", Operation: "read"}, rbac.Right{Permission: "iam.keys", Operation: "write"}
	if !a.Can("acme", read) || a.Can("acme", write) {
		t.Fatalf("a token of scope iam.keys:read acts with read %v, write %v", a.Can("acme", read), a.Can("acme", write))
	}
	_, full := e.token(srv, id, secret, "audience", oauth.ManagementAudience)
	if a, err := admins.Authenticate(e.ctx, full); err != nil || !a.Can("acme", write) {
		t.Fatalf("a token of every right cannot write: %v", err)
	}
	// The account deleted and another of the same client ID created: the
	// old token is not the new account's.
	if err := e.accts.Delete(e.ctx, sys, id); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	if _, err := e.accts.Create(e.ctx, sys, accounts.NewAccount{OrgID: "acme", Name: "ops"}); err != nil {
		t.Fatal(err)
	}
	if err := e.accts.AssignRole(e.ctx, sys, id, "acme/ops-acme", []rbac.Scope{{OrgID: "acme"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admins.Authenticate(e.ctx, full); !errors.Is(err, resource.ErrInvalidToken) {
		t.Fatalf("a token of the deleted account authenticates the new one: %v", err)
	}
}

func TestANarrowTokenCannotMintAWiderKeyOfItsOwnAccount(t *testing.T) {
	e := newEnv(t, signing.ES256)
	srv := e.server(oauth.Config{})
	id, _, secret := e.account("ops", []string{"iam.keys:read", "iam.keys:write", "iam.service-accounts:delete"}, []string{oauth.ManagementAudience})
	_, narrow := e.token(srv, id, secret, "audience", oauth.ManagementAudience, "scope", "iam.keys:write")
	a, err := srv.Admins().Authenticate(e.ctx, narrow)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.accts.CreateKey(e.ctx, a, id, accounts.NewKey{})
	var missing *rbac.MissingRight
	if !errors.As(err, &missing) {
		t.Fatalf("a token of scope iam.keys:write made a key of all its account's rights: %v", err)
	}
	_, full := e.token(srv, id, secret, "audience", oauth.ManagementAudience)
	if a, err = srv.Admins().Authenticate(e.ctx, full); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.accts.CreateKey(e.ctx, a, id, accounts.NewKey{}); err != nil {
		t.Fatalf("a token of every right cannot make a key of its own account: %v", err)
	}
}

func TestATokenDoesNotActAsAnAccountMovedIntoItsClientID(t *testing.T) {
	e := newEnv(t, signing.ES256)
	srv := e.server(oauth.Config{})
	for _, o := range []string{"sales", "team"} {
		if _, err := e.orgs.CreateOrg(e.ctx, sys, o, "", "acme"); err != nil {
			t.Fatal(err)
		}
	}
	a, err := e.accts.Create(e.ctx, sys, accounts.NewAccount{OrgID: "sales", Name: "ops", AllowedAudiences: []string{oauth.ManagementAudience}})
	if err != nil {
		t.Fatal(err)
	}
	id := e.ids.Of(a)
	_, secret := e.key(id, time.Time{})
	if _, err := e.accts.Create(e.ctx, sys, accounts.NewAccount{OrgID: "team", Name: "ops"}); err != nil {
		t.Fatal(err)
	}
	_, tok := e.token(srv, id, secret, "audience", oauth.ManagementAudience)
	if err := e.accts.Delete(e.ctx, sys, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accts.Move(e.ctx, sys, "ops@team.iam", "sales"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Admins().Authenticate(e.ctx, tok); !errors.Is(err, resource.ErrInvalidToken) {
		t.Fatalf("the token of the deleted account acts as the one moved into its client ID: %v", err)
	}
}
