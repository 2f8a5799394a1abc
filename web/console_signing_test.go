package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
)

// signingAdmin signs in a user holding the bootstrap role, the one that
// holds the rights on the signing keys.
func signingAdmin(t *testing.T, f *fixture, name string) *visitor {
	t.Helper()
	f.consoleUser(t, name, goodPassword, false, "")
	if err := f.users.GrantBootstrap(context.Background(), rbac.System(initBy), name); err != nil {
		t.Fatal(err)
	}
	v := f.visitor(t)
	v.login(t, name, goodPassword)
	return v
}

func TestConsoleSigningKeysRotate(t *testing.T) {
	f := newFixture(t)
	v := signingAdmin(t, f, "root")
	r := v.get(t, "/console/signing-keys")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	if strings.Count(body, `data-state="active"`) != 1 || strings.Count(body, "<tr data-kid=") != 1 {
		t.Fatalf("want one active key: %s", body)
	}
	if !strings.Contains(body, `action="/console/signing-keys/rotate"`) {
		t.Fatal("no rotate form")
	}
	if !strings.Contains(body, "starts signing in 6 minutes") {
		t.Errorf("the form does not say when the new key signs: %s", body)
	}
	token := v.csrf(t, "/console/signing-keys")

	r = v.post(t, "/console/signing-keys/rotate", url.Values{"csrf": {token}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if len(f.keys.Keys()) != 1 {
		t.Fatal("rotated without confirmation")
	}

	wantRedirect(t, v.post(t, "/console/signing-keys/rotate", url.Values{"csrf": {token}, "confirm": {"yes"}}), "/console/signing-keys?flash=signing.rotated")
	keys := f.keys.Keys()
	if len(keys) != 2 || keys[1].State != "next" {
		t.Fatalf("keys after the rotation: %+v", keys)
	}
	r = v.get(t, "/console/signing-keys?flash=signing.rotated")
	if !strings.Contains(string(r.Body), `<tr data-kid="`+keys[1].ID+`" data-state="next">`) {
		t.Errorf("the new key is not listed as next: %s", r.Body)
	}
	es, err := f.orgs.Audit().List(context.Background(), audit.Filter{Action: "signing_key.rotate", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Actor != "user:root" || es[0].Target != keys[1].ID || es[0].OrgID != rootOrg {
		t.Errorf("audit entries %+v", es)
	}
	if strings.Contains(string(es[0].After), "private") || strings.Contains(string(es[0].After), "\"d\"") {
		t.Errorf("the audit entry holds the private key: %s", es[0].After)
	}
}

func TestConsoleSigningKeysNeedTheirRight(t *testing.T) {
	f := newFixture(t)
	// The admin role holds no right on the signing keys.
	f.consoleUser(t, "alice", goodPassword, false, rbac.RoleAdmin)
	v := f.visitor(t)
	v.login(t, "alice", goodPassword)
	token := v.csrf(t, "/console/")
	wantPage(t, v.get(t, "/console/signing-keys"), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/signing-keys/rotate", url.Values{"csrf": {token}, "confirm": {"yes"}}), http.StatusForbidden)
	if n := len(f.keys.Keys()); n != 1 {
		t.Errorf("%d keys after a refused rotation", n)
	}
	// Without the CSRF token, even the bootstrap admin is refused.
	root := signingAdmin(t, f, "root")
	wantPage(t, root.post(t, "/console/signing-keys/rotate", url.Values{"confirm": {"yes"}}), http.StatusForbidden)
	if n := len(f.keys.Keys()); n != 1 {
		t.Errorf("%d keys after a rotation without CSRF token", n)
	}
}
