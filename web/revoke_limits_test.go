package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// TestSelfRevocationsAreBounded: an account that holds no right may revoke
// its own tokens, but not grow the public feed without bound: past 100
// unexpired revocations by jti, revoking one of its tokens revokes it with
// a cutoff of its key, one entry however many follow.
func TestSelfRevocationsAreBounded(t *testing.T) {
	f := newFixture(t)
	w := newRevocationWorld(t, f)
	const limit = 100
	var last string
	for range limit + 20 {
		last = f.accessToken(t, w.out)
		if r := f.revokeAt(t, w.out, last); r.Status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
	}
	feed := f.revocations(t)
	if len(feed.Tokens) != limit || len(feed.Cutoffs) != 1 {
		t.Fatalf("feed has %d tokens and %d cutoffs, want %d and 1", len(feed.Tokens), len(feed.Cutoffs), limit)
	}
	c := tokenClaims(t, last)
	if cut := feed.Cutoffs[0]; cut.Account != c.Account || cut.Key != c.Key || cut.IssuedBefore <= c.IssuedAt {
		t.Errorf("cutoff %+v does not revoke the last token (acct %s key %s iat %d)", cut, c.Account, c.Key, c.IssuedAt)
	}
	if f.active(t, f.admin, last) {
		t.Error("the last token revoked past the limit is still active")
	}
	// An admin's revocations are not bounded by the account's.
	f.clock.Advance(time.Second) // past the cutoff's second
	fresh := f.accessToken(t, w.out)
	decode[web.Revocation](t, f.call(t, http.MethodPost, "/api/v1/tokens/revoke", w.admin, web.RevokeTokensRequest{Token: fresh}), http.StatusOK)
	if feed := f.revocations(t); len(feed.Tokens) != limit+1 {
		t.Errorf("after an admin's revocation: %d tokens, want %d", len(feed.Tokens), limit+1)
	}
}

// TestDeletingAnAccountRevokesItsTokens: once an account is deleted nothing
// can name it for a cutoff, and its client ID may name another account:
// its tokens are cut off with it, on resource servers too.
func TestDeletingAnAccountRevokesItsTokens(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		w := newRevocationWorld(t, f)
		old := f.client(t, w.admin, web.CreateAccountRequest{ID: "batch", Org: "billing"})
		leaked := tokenClaims(t, f.accessToken(t, old))
		if r := f.call(t, http.MethodDelete, "/api/v1/accounts/"+old.ClientID, w.admin, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		feed := f.revocations(t)
		if !feed.Revoked(&leaked) {
			t.Errorf("the feed %+v does not revoke the deleted account's token", feed)
		}
	})
}

// TestCutoffsOutliveEveryToken: a cutoff is kept as long as the longest
// token any instance may issue (24 h), whatever --token-ttl the instance
// making it has, and it covers the whole second it is made in.
func TestCutoffsOutliveEveryToken(t *testing.T) {
	f := newFixture(t)
	w := newRevocationWorld(t, f)
	before := f.clock.Now()
	r := f.call(t, http.MethodPost, "/api/v1/tokens/revoke", w.admin, web.RevokeTokensRequest{Account: w.svc.ClientID})
	after := f.clock.Now()
	got := decode[web.Revocation](t, r, http.StatusOK)
	if got.IssuedBefore == nil {
		t.Fatalf("no issued_before: %s", r.Body)
	}
	if want := got.IssuedBefore.Add(24 * time.Hour); !got.ExpiresAt.Equal(want) {
		t.Errorf("cutoff expires at %v, want %v (24 h after issued_before)", got.ExpiresAt, want)
	}
	// The cutoff was made between before and after: issued_before is the
	// end of that second, a whole second later than the cut.
	end := after.Truncate(time.Second).Add(time.Second)
	if !got.IssuedBefore.After(before) || got.IssuedBefore.After(end) || !got.IssuedBefore.Equal(got.IssuedBefore.Truncate(time.Second)) {
		t.Errorf("issued_before %v, want the end of the second of the cut, between %v and %v", got.IssuedBefore, before, end)
	}
}

// TestIntrospectionFollowsTheIssuersClock: past its exp a token is inactive
// even within the leeway resource servers allow for their clocks.
func TestIntrospectionFollowsTheIssuersClock(t *testing.T) {
	f := newFixture(t)
	w := newRevocationWorld(t, f)
	tok := f.accessToken(t, w.svc)
	f.clock.Advance(tokenTTL + 30*time.Second)
	if got := decode[oauth.Introspection](t, f.introspect(t, w.auditor, tok), http.StatusOK); got.Active {
		t.Errorf("active past exp: %+v", got)
	}
}

// TestIntrospectionOfAMovedAccountsToken: a token whose client ID now
// names another account is inactive for every caller, as the management
// API refuses it, rather than judged by the moved account's new
// organization.
func TestIntrospectionOfAMovedAccountsToken(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		w := newRevocationWorld(t, f)
		salesAuditor, _ := f.member(t, w.admin, "sales-auditor", "acme", role("acme/viewer", "sales"))
		mover := f.client(t, w.admin, web.CreateAccountRequest{ID: "mover", Org: "billing", AllowedAudiences: []string{oauth.ManagementAudience}})
		tok := f.apiToken(t, mover)
		decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts/"+mover.ClientID+"/move", w.admin,
			web.MoveAccountRequest{Org: "sales", Confirm: true}), http.StatusOK)
		f.client(t, w.admin, web.CreateAccountRequest{ID: "mover", Org: "billing"}) // takes mover@billing.iam
		for name, c := range map[string]creds{"sales": salesAuditor, "billing": w.auditor} {
			if f.active(t, c, tok) {
				t.Errorf("active for the %s auditor", name)
			}
		}
	})
}
