package oauth_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/storage"
)

func storedKeyIDs(t *testing.T, e *env) []string {
	t.Helper()
	ks, err := e.db.ListSigningKeys(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range ks {
		ids = append(ids, k.ID)
	}
	return ids
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

type keyState struct{ id, state string }

func states(ks *oauth.KeySet) []keyState {
	var out []keyState
	for _, k := range ks.Keys() {
		out = append(out, keyState{k.ID, k.State})
	}
	return out
}

func TestKeySetRotationSchedule(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	id, _, secret := e.account("sync", syncScopes, nil)
	srv := e.server(oauth.Config{Throttle: generous})
	verifier := srv.Verifier()
	t0 := e.clock.Now()
	old := e.keys.Keys()[0]
	if old.State != "active" || !old.ActivatesAt.Equal(t0) || old.Algorithm != oauth.ES256 {
		t.Fatalf("Ensure made %+v, want an ES256 key active since %v", old, t0)
	}

	body0, etag0 := e.keys.JWKS()
	if len(etag0) < 3 || etag0[0] != '"' || etag0[len(etag0)-1] != '"' {
		t.Errorf("ETag %s is not a quoted strong ETag", etag0)
	}
	if err := e.keys.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	if body, etag := e.keys.JWKS(); etag != etag0 || !bytes.Equal(body, body0) {
		t.Errorf("refreshing an unchanged set changed the JWKS: %s %s, was %s %s", etag, body, etag0, body0)
	}

	// Rotate with a delay: the next key is published at once, not signing.
	e.clock.Advance(time.Minute)
	next, err := e.keys.Rotate(e.ctx, oauth.ES256, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(11 * time.Minute); !next.ActivatesAt.Equal(want) || !next.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("next key created %v activates %v, want %v and %v", next.CreatedAt, next.ActivatesAt, t0.Add(time.Minute), want)
	}
	if got, want := e.jwksKIDs(), sorted(old.ID, next.ID); !slices.Equal(got, want) {
		t.Errorf("JWKS after rotation: %v, want %v", got, want)
	}
	_, etag1 := e.keys.JWKS()
	if etag1 == etag0 {
		t.Error("the ETag did not change when a key was added")
	}
	if got, want := states(e.keys), []keyState{{old.ID, "active"}, {next.ID, "next"}}; !slices.Equal(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
	_, tokOld := e.token(srv, id, secret)
	if kid := e.inspect(tokOld).header.KeyID; kid != old.ID {
		t.Errorf("before activation the token is signed by %s, want the old key %s", kid, old.ID)
	}
	if err := e.keys.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, etag := e.keys.JWKS(); etag != etag1 {
		t.Error("the ETag changed although the set did not")
	}

	// A second rotation must wait for the first to activate.
	if _, err := e.keys.Rotate(e.ctx, oauth.ES256, 0); !errors.Is(err, storage.ErrConflict) || !strings.Contains(err.Error(), next.ID) {
		t.Errorf("rotating while %s is upcoming: %v, want ErrConflict naming it", next.ID, err)
	}
	if got := storedKeyIDs(t, e); !slices.Equal(got, []string{old.ID, next.ID}) {
		t.Errorf("a refused rotation changed the stored keys: %v", got)
	}

	// One millisecond before activation the old key still signs; at
	// activation the new one does, without a refresh.
	e.clock.Set(next.ActivatesAt.Add(-time.Millisecond))
	if _, tok := e.token(srv, id, secret); e.inspect(tok).header.KeyID != old.ID {
		t.Error("the next key signed before it activated")
	}
	e.clock.Set(next.ActivatesAt)
	_, tokNew := e.token(srv, id, secret)
	if kid := e.inspect(tokNew).header.KeyID; kid != next.ID {
		t.Errorf("after activation the token is signed by %s, want %s", kid, next.ID)
	}
	ks := e.keys.Keys()
	if len(ks) != 2 || ks[0].State != "retired" || !ks[0].RetiredAt.Equal(next.ActivatesAt) ||
		!ks[0].PublishedUntil.Equal(next.ActivatesAt.Add(retention)) || ks[1].State != "active" {
		t.Errorf("states after activation: %+v", ks)
	}

	// The old key verifies its tokens until its publication ends.
	for _, tok := range []string{tokOld, tokNew} {
		if _, err := verifier.Verify(tok, testIssuer); err != nil {
			t.Errorf("Verify after activation: %v", err)
		}
	}
	e.clock.Set(next.ActivatesAt.Add(retention - time.Millisecond))
	if _, ok := e.keys.PublicKey(old.ID); !ok {
		t.Error("the retired key is gone before its retention ended")
	}
	e.clock.Set(next.ActivatesAt.Add(retention))
	if _, ok := e.keys.PublicKey(old.ID); ok {
		t.Error("the retired key is still published after its retention")
	}
	if _, ok := e.keys.PublicKey(next.ID); !ok {
		t.Error("the current key is not published")
	}
	if _, err := verifier.Verify(tokOld, ""); !errors.Is(err, resource.ErrInvalidToken) || !strings.Contains(err.Error(), "unknown signing key") {
		t.Errorf("Verify with a key past retention: %v, want unknown signing key", err)
	}
	if err := e.keys.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.jwksKIDs(); !slices.Equal(got, []string{next.ID}) {
		t.Errorf("JWKS after retention: %v, want only %s", got, next.ID)
	}
	if _, etag := e.keys.JWKS(); etag == etag1 {
		t.Error("the ETag did not change when a key was dropped")
	}

	// The next rotation deletes the unpublished key, keeps the current one.
	third, err := e.keys.Rotate(e.ctx, oauth.ES256, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := storedKeyIDs(t, e), []string{next.ID, third.ID}; !slices.Equal(got, want) {
		t.Errorf("stored keys after rotation: %v, want %v", got, want)
	}
	if _, tok := e.token(srv, id, secret); e.inspect(tok).header.KeyID != third.ID {
		t.Error("a key rotated in without delay does not sign at once")
	}
}

func TestKeySetEnsureIsIdempotent(t *testing.T) {
	e := newEnv(t, "")
	if e.keys.CanSign() {
		t.Fatal("an empty set can sign")
	}
	if err := e.keys.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	if body, _ := e.keys.JWKS(); string(body) != `{"keys":[]}` {
		t.Errorf("JWKS of an empty set: %s", body)
	}
	for i, want := range []bool{true, false, false} {
		created, err := e.keys.Ensure(e.ctx, oauth.ES256)
		if err != nil || created != want {
			t.Fatalf("Ensure #%d = %v, %v; want %v", i+1, created, err, want)
		}
		e.clock.Advance(time.Hour)
	}
	if ids := storedKeyIDs(t, e); len(ids) != 1 {
		t.Errorf("stored keys %v, want one", ids)
	}
	// Another algorithm does not matter while a key is active.
	if created, err := e.keys.Ensure(e.ctx, oauth.EdDSA); err != nil || created {
		t.Errorf("Ensure(EdDSA) with an active ES256 key = %v, %v", created, err)
	}
	if !e.keys.CanSign() {
		t.Error("cannot sign after Ensure")
	}
	if _, err := e.keys.Ensure(e.ctx, "HS256"); err != nil {
		t.Errorf("Ensure with an unknown algorithm while a key is active: %v, want no-op", err)
	}

	// With only an upcoming key, Ensure adds one that signs now.
	e2 := newEnv(t, "")
	upcoming, err := e2.keys.Rotate(e2.ctx, oauth.ES256, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if created, err := e2.keys.Ensure(e2.ctx, oauth.ES256); err != nil || !created {
		t.Fatalf("Ensure with only an upcoming key = %v, %v; want a new key", created, err)
	}
	if got := states(e2.keys); len(got) != 2 || got[0].state != "active" || got[1] != (keyState{upcoming.ID, "next"}) {
		t.Errorf("states %v, want a new active key then %s next", got, upcoming.ID)
	}
}

func TestKeySetRotateRefusesBadInput(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	before := storedKeyIDs(t, e)
	cases := []struct {
		name       string
		alg        string
		activateIn time.Duration
	}{
		{"a negative activation delay is refused", oauth.ES256, -time.Second},
		{"an unknown algorithm is refused", "HS256", 0},
		{"an algorithm name in the wrong case is refused", "es256", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.keys.Rotate(e.ctx, tc.alg, tc.activateIn); !errors.Is(err, storage.ErrInvalid) {
				t.Errorf("Rotate(%q, %v) = %v, want ErrInvalid", tc.alg, tc.activateIn, err)
			}
			if got := storedKeyIDs(t, e); !slices.Equal(got, before) {
				t.Errorf("stored keys changed to %v", got)
			}
		})
	}
}

func TestRotateToOtherAlgorithms(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	id, _, secret := e.account("sync", syncScopes, nil)
	srv := e.server(oauth.Config{Throttle: generous})
	verifier := srv.Verifier()
	first := e.keys.Keys()[0].ID
	for _, alg := range []string{oauth.EdDSA, oauth.RS256, oauth.ES256} {
		t.Run("tokens signed after rotating to "+alg+" verify with go-jose", func(t *testing.T) {
			e.clock.Advance(time.Second)
			k, err := e.keys.Rotate(e.ctx, alg, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, tok := e.token(srv, id, secret, "scope", "data.items:read")
			m := e.inspect(tok)
			if m.header.KeyID != k.ID || m.header.Algorithm != alg || m.key.Algorithm != alg || m.typ != resource.AccessTokenType {
				t.Errorf("header kid %s alg %s typ %s (JWKS alg %s), want %s %s at+jwt", m.header.KeyID, m.header.Algorithm, m.typ, m.key.Algorithm, k.ID, alg)
			}
			var ok bool
			switch alg {
			case oauth.EdDSA:
				_, ok = m.key.Key.(ed25519.PublicKey)
			case oauth.RS256:
				var pub *rsa.PublicKey
				if pub, ok = m.key.Key.(*rsa.PublicKey); ok && pub.N.BitLen() < 2048 {
					t.Errorf("RSA key of %d bits", pub.N.BitLen())
				}
			case oauth.ES256:
				_, ok = m.key.Key.(*ecdsa.PublicKey)
			}
			if !ok || !m.key.IsPublic() || m.key.Use != "sig" {
				t.Errorf("JWKS key %T public %v use %q, want a public %s signing key", m.key.Key, m.key.IsPublic(), m.key.Use, alg)
			}
			c, err := verifier.Verify(tok, testIssuer)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.Subject != id || !slices.Equal(c.Scopes(), []string{"data.items:read"}) {
				t.Errorf("verified claims %+v", c)
			}
		})
	}
	// All keys are still within retention.
	if got := e.jwksKIDs(); len(got) != 4 || !slices.Contains(got, first) {
		t.Errorf("JWKS %v, want the first key and the three rotated in", got)
	}
}

func TestJWKSHoldsOnlyPublicKeys(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	e.clock.Advance(time.Second)
	if _, err := e.keys.Rotate(e.ctx, oauth.EdDSA, time.Hour); err != nil {
		t.Fatal(err)
	}
	body, _ := e.keys.JWKS()
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 2 {
		t.Fatalf("JWKS %s, want 2 keys", body)
	}
	for _, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v has private member %q", k["kid"], private)
			}
		}
		if k["use"] != "sig" || k["kid"] == "" || k["alg"] == nil {
			t.Errorf("JWKS key %v lacks use, kid or alg", k)
		}
	}
}

func TestKeySetsSharingADatabaseAgree(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	other := oauth.NewKeySet(e.store, e.mk, retention, e.clock.Now, e.log)
	if err := other.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	sameJWKS := func() bool {
		b1, t1 := e.keys.JWKS()
		b2, t2 := other.JWKS()
		return bytes.Equal(b1, b2) && t1 == t2
	}
	if !sameJWKS() {
		t.Fatal("two key sets over one database serve different JWKS")
	}
	e.clock.Advance(time.Second)
	next, err := e.keys.Rotate(e.ctx, oauth.ES256, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := other.PublicKey(next.ID); ok || sameJWKS() {
		t.Fatal("the other instance saw the new key before refreshing")
	}
	if err := other.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := other.PublicKey(next.ID); !ok || !sameJWKS() {
		t.Error("after a refresh the instances still disagree")
	}
	// Both refuse a second rotation through the shared store.
	if _, err := other.Rotate(e.ctx, oauth.ES256, 0); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("rotation from the other instance: %v, want ErrConflict", err)
	}
}

// tamperedKeys returns the stored keys edited by edit.
type tamperedKeys struct {
	oauth.KeyStore
	edit func(ks []oauth.SigningKey)
}

func (s tamperedKeys) ListSigningKeys(ctx context.Context) ([]oauth.SigningKey, error) {
	ks, err := s.KeyStore.ListSigningKeys(ctx)
	for i := range ks {
		ks[i].PublicJWK = slices.Clone(ks[i].PublicJWK)
		ks[i].PrivateKey = slices.Clone(ks[i].PrivateKey)
	}
	if err == nil && s.edit != nil {
		s.edit(ks)
	}
	return ks, err
}

// relabel returns the JWK with member set to value.
func relabel(t *testing.T, jwk []byte, member string, value any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(jwk, &m); err != nil {
		t.Fatal(err)
	}
	m[member] = value
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeySetRefusesTamperedKeys(t *testing.T) {
	e := newEnv(t, "")
	now := e.clock.Now()
	a, err := oauth.GenerateSigningKey(oauth.ES256, e.mk, now, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := oauth.GenerateSigningKey(oauth.ES256, e.mk, now, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ed, err := oauth.GenerateSigningKey(oauth.EdDSA, e.mk, now, now.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.UpdateSigningKeys(e.ctx, func([]oauth.SigningKey) ([]oauth.SigningKey, error) {
		return []oauth.SigningKey{a, b, ed}, nil
	}); err != nil {
		t.Fatal(err)
	}
	// Stored order: a, b, ed.
	cases := []struct {
		name   string
		master *oauth.MasterKey
		edit   func(ks []oauth.SigningKey)
	}{
		{name: "keys sealed under another master key are refused", master: newMasterKey(t)},
		{name: "a sealed private key moved onto another key ID is refused", edit: func(ks []oauth.SigningKey) { ks[0].PrivateKey = ks[1].PrivateKey }},
		{name: "a key relabelled with another algorithm is refused", edit: func(ks []oauth.SigningKey) { ks[0].Algorithm = oauth.RS256 }},
		{name: "an EdDSA key relabelled as ES256 is refused", edit: func(ks []oauth.SigningKey) { ks[2].Algorithm = oauth.ES256 }},
		{name: "a truncated sealed key is refused", edit: func(ks []oauth.SigningKey) { ks[0].PrivateKey = ks[0].PrivateKey[:12] }},
		{name: "an empty sealed key is refused", edit: func(ks []oauth.SigningKey) { ks[0].PrivateKey = nil }},
		{name: "a sealed key of an unknown format version is refused", edit: func(ks []oauth.SigningKey) { ks[0].PrivateKey[0] = 2 }},
		{name: "a sealed key with a flipped ciphertext bit is refused", edit: func(ks []oauth.SigningKey) { ks[0].PrivateKey[len(ks[0].PrivateKey)-20] ^= 1 }},
		{name: "the public JWK of another key is refused", edit: func(ks []oauth.SigningKey) { ks[0].PublicJWK = ks[1].PublicJWK }},
		{name: "the public JWK of another key relabelled with this key's kid is refused", edit: func(ks []oauth.SigningKey) {
			ks[0].PublicJWK = relabel(t, ks[1].PublicJWK, "kid", ks[0].ID)
		}},
		{name: "a public JWK announcing another algorithm is refused", edit: func(ks []oauth.SigningKey) {
			ks[0].PublicJWK = relabel(t, ks[0].PublicJWK, "alg", oauth.RS256)
		}},
		{name: "a public JWK that is not JSON is refused", edit: func(ks []oauth.SigningKey) { ks[0].PublicJWK = []byte("not json") }},
		{name: "a key renamed consistently in its record and JWK is refused", edit: func(ks []oauth.SigningKey) {
			// Without the master key the private key cannot be re-sealed
			// for the new kid: the AD binding refuses it.
			ks[0].ID = ks[1].ID + "x"
			ks[0].PublicJWK = relabel(t, ks[0].PublicJWK, "kid", ks[0].ID)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mk := tc.master
			if mk == nil {
				mk = e.mk
			}
			ks := oauth.NewKeySet(tamperedKeys{KeyStore: e.db, edit: tc.edit}, mk, retention, e.clock.Now, e.log)
			if err := ks.Refresh(e.ctx); err == nil {
				msg := ""
				if pub, ok := ks.PublicKey(a.ID); ok {
					thumb, _ := pub.Thumbprint(crypto.SHA256)
					if got := base64.RawURLEncoding.EncodeToString(thumb); got != a.ID {
						msg = fmt.Sprintf("; the JWKS now publishes key material with thumbprint %s under kid %s, so no token it signs verifies", got, a.ID)
					}
				}
				t.Fatalf("Refresh accepted the tampered keys%s", msg)
			}
			if ks.CanSign() || len(ks.Keys()) != 0 {
				t.Errorf("a refused refresh loaded keys: %v", ks.Keys())
			}
		})
	}
	t.Run("untampered keys load", func(t *testing.T) {
		ks := oauth.NewKeySet(tamperedKeys{KeyStore: e.db}, e.mk, retention, e.clock.Now, e.log)
		if err := ks.Refresh(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := kidsOf(ks); !slices.Equal(got, []string{a.ID, b.ID, ed.ID}) {
			t.Errorf("loaded %v", got)
		}
	})
	t.Run("a refresh that meets a broken new key fails and keeps the keys loaded before", func(t *testing.T) {
		c, err := oauth.GenerateSigningKey(oauth.ES256, e.mk, now, now.Add(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ks := oauth.NewKeySet(tamperedKeys{KeyStore: e.db, edit: func(ks []oauth.SigningKey) {
			for i := range ks {
				if ks[i].ID == c.ID {
					ks[i].PrivateKey = ks[0].PrivateKey
				}
			}
		}}, e.mk, retention, e.clock.Now, e.log)
		if err := ks.Refresh(e.ctx); err != nil {
			t.Fatal(err)
		}
		body, etag := ks.JWKS()
		if err := e.db.UpdateSigningKeys(e.ctx, func(old []oauth.SigningKey) ([]oauth.SigningKey, error) {
			return append(old, c), nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := ks.Refresh(e.ctx); err == nil || !strings.Contains(err.Error(), c.ID) {
			t.Fatalf("Refresh with a broken new key: %v, want an error naming %s", err, c.ID)
		}
		if b2, t2 := ks.JWKS(); !bytes.Equal(b2, body) || t2 != etag || !ks.CanSign() || len(ks.Keys()) != 3 {
			t.Errorf("the failed refresh changed the key set: %v", kidsOf(ks))
		}
	})
}

func kidsOf(ks *oauth.KeySet) []string {
	var out []string
	for _, k := range ks.Keys() {
		out = append(out, k.ID)
	}
	return out
}

func TestRotateWithoutDelayInTheSameMillisecondSigns(t *testing.T) {
	// Keys are ordered by activation time to the millisecond. Rotating with
	// no delay in the millisecond the current key activated (a fixed clock
	// makes every rotation do so) must still schedule the new key after the
	// current one, never before it, and the new key must sign as soon as
	// that instant comes. Ten rotations in a row all pass only if the new
	// key always wins.
	e := newEnv(t, oauth.ES256)
	id, _, secret := e.account("sync", syncScopes, nil)
	srv := e.server(oauth.Config{Throttle: generous})
	for i := range 10 {
		before := e.keys.Keys()
		k, err := e.keys.Rotate(e.ctx, oauth.ES256, 0)
		if err != nil {
			t.Fatal(err)
		}
		if last := before[len(before)-1]; !k.ActivatesAt.After(last.ActivatesAt) {
			t.Fatalf("rotation %d: the new key activates at %v, not after the current key's %v", i+1, k.ActivatesAt, last.ActivatesAt)
		}
		e.clock.Set(k.ActivatesAt)
		if _, tok := e.token(srv, id, secret); e.inspect(tok).header.KeyID != k.ID {
			var st []string
			for _, s := range e.keys.Keys() {
				st = append(st, s.ID[:6]+"="+s.State)
			}
			t.Fatalf("rotation %d: key %s returned by Rotate(ES256, 0) does not sign at its activation; key states %v", i+1, k.ID[:6], st)
		}
	}
}

func TestRotateWithoutAlgorithmKeepsTheCurrentOne(t *testing.T) {
	for _, alg := range []string{oauth.RS256, oauth.EdDSA, oauth.ES256} {
		t.Run(alg+" stays "+alg, func(t *testing.T) {
			e := newEnv(t, alg)
			k, err := e.keys.Rotate(e.ctx, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if k.Algorithm != alg {
				t.Fatalf("rotation without an algorithm chose %s, want the current %s", k.Algorithm, alg)
			}
		})
	}
	t.Run("an explicit algorithm wins", func(t *testing.T) {
		e := newEnv(t, oauth.RS256)
		k, err := e.keys.Rotate(e.ctx, oauth.EdDSA, 0)
		if err != nil || k.Algorithm != oauth.EdDSA {
			t.Fatalf("got %+v, %v", k, err)
		}
	})
}

// TestLookupReloadsForUnknownKeyIDs: an instance meeting a token of a key
// another instance rotated in reloads at once, but no flood of made-up key
// IDs makes it read the store more than once every ReloadEvery.
func TestLookupReloadsForUnknownKeyIDs(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	other := oauth.NewKeySet(e.store, e.mk, retention, e.clock.Now, e.log)
	if err := other.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	next, err := e.keys.Rotate(e.ctx, oauth.ES256, 0)
	if err != nil {
		t.Fatal(err)
	}
	reloads := func() int { return e.store.snapshot()["ListSigningKeys"] }

	t.Run("a key rotated in elsewhere is found by reloading", func(t *testing.T) {
		e.store.reset()
		if _, ok := other.PublicKey(next.ID); ok {
			t.Fatal("the other instance knew the key before reloading")
		}
		if _, ok := other.Lookup(e.ctx, next.ID); !ok {
			t.Fatal("Lookup did not find the rotated key")
		}
		if n := reloads(); n != 1 {
			t.Errorf("%d reloads, want 1", n)
		}
		if body, _ := other.JWKS(); !bytes.Contains(body, []byte(next.ID)) {
			t.Error("the reload did not publish the key")
		}
	})
	t.Run("known keys are found without reloading", func(t *testing.T) {
		e.store.reset()
		for range 100 {
			if _, ok := other.Lookup(e.ctx, next.ID); !ok {
				t.Fatal("a known key was not found")
			}
		}
		if n := reloads(); n != 0 {
			t.Errorf("%d reloads for known keys", n)
		}
	})
	t.Run("a flood of unknown key IDs reloads at most once per interval", func(t *testing.T) {
		e.clock.Advance(oauth.ReloadEvery)
		e.store.reset()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					if _, ok := other.Lookup(e.ctx, randomKeyID()); ok {
						t.Error("a made-up key ID was found")
					}
				}
			})
		}
		wg.Wait()
		if n := reloads(); n != 1 {
			t.Errorf("%d reloads for 400 unknown key IDs within one interval, want 1", n)
		}
		e.clock.Advance(oauth.ReloadEvery - time.Millisecond)
		other.Lookup(e.ctx, randomKeyID())
		if n := reloads(); n != 1 {
			t.Errorf("reloaded again before the interval ended (%d reloads)", n)
		}
		e.clock.Advance(time.Millisecond)
		other.Lookup(e.ctx, randomKeyID())
		if n := reloads(); n != 2 {
			t.Errorf("%d reloads once the interval ended, want 2", n)
		}
	})
}

// TestVerifierAcceptsTokensOfAKeyRotatedInElsewhere: the management API's
// verifier, on an instance that has not refreshed, accepts a token signed by
// a key another instance has just rotated in.
func TestVerifierAcceptsTokensOfAKeyRotatedInElsewhere(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	id, _, secret := e.account("sync", syncScopes, nil)
	other := oauth.NewKeySet(e.store, e.mk, retention, e.clock.Now, e.log)
	if err := other.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	otherServer := oauth.NewServer(oauth.Config{Issuer: testIssuer, TokenTTL: testTTL}, e.accts, e.orgs, other, e.clock.Now, e.log)
	e.clock.Advance(time.Second)
	next, err := e.keys.Rotate(e.ctx, oauth.ES256, 0)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.server(oauth.Config{}).Token(e.ctx, oauth.TokenRequest{ContentType: formType,
		Body: form("grant_type", "client_credentials"), Authorization: basic(id, secret), ClientAddr: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if kid := jwtKid(t, resp.AccessToken); kid != next.ID {
		t.Fatalf("token signed by %s, want the new key %s", kid, next.ID)
	}
	if _, err := otherServer.Verifier().Verify(resp.AccessToken, ""); err != nil {
		t.Fatalf("the other instance refused a token of the new key: %v", err)
	}
}

// jwtKid returns the kid of a compact JWT's header.
func jwtKid(t *testing.T, token string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		t.Fatalf("parse %q: %v", token, err)
	}
	return tok.Headers[0].KeyID
}
