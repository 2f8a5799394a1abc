package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/web"
)

// near reports whether got is within a few seconds of want.
func near(got *time.Time, want time.Time) bool {
	return got != nil && got.Sub(want).Abs() < 5*time.Second
}

// wantToken checks that c gets a token (status 200) or is refused (401).
func (f *fixture) wantToken(t *testing.T, c creds, status int) {
	t.Helper()
	r := f.token(t, c, grant())
	if status == http.StatusOK {
		decode[oauth.TokenResponse](t, r, http.StatusOK)
		return
	}
	wantOAuthError(t, r, status, oauth.CodeInvalidClient)
}

func TestKeyLifecycle(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	f.createAccount(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	account := "/api/v1/accounts/sync@billing.iam"

	// The keys the steps create, in order.
	var first, second, third creds
	// secrets lists every secret seen, none of which may appear again.
	var secrets []string
	noSecrets := func(t *testing.T, r *response) {
		t.Helper()
		wantNoSecret(t, r, secrets...)
	}
	wantKey := func(t *testing.T, k web.Key, id, label, status string) {
		t.Helper()
		if k.ID != id || k.ClientID != "sync@billing.iam" || k.Type != "secret" || k.Label != label || k.Status != status {
			t.Errorf("key %+v, want %s labelled %q, %s", k, id, label, status)
		}
	}
	f.runSteps(t, tok, []step{
		{name: "creating a key returns its secret once and the secret obtains tokens", method: http.MethodPost, path: account + "/keys",
			body: `{"label":"ci","expires_in":86400}`, status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				k := decode[web.NewKey](t, r, http.StatusCreated)
				wantNoStore(t, r)
				first = credsOf(k)
				secrets = append(secrets, k.Secret)
				wantKey(t, k.Key, k.ID, "ci", "active")
				if !strings.HasPrefix(k.Secret, "iamd_"+k.ID+"_") || k.CreatedBy != adminID || k.LastUsedAt != nil {
					t.Errorf("secret %q, created_by %q, last_used_at %v", k.Secret, k.CreatedBy, k.LastUsedAt)
				}
				if !near(k.ExpiresAt, f.clock.Now().Add(24*time.Hour)) {
					t.Errorf("expires_at %v, want in 24 hours", k.ExpiresAt)
				}
				f.wantToken(t, first, http.StatusOK)
			}},
		{name: "listing the keys never shows a secret", method: http.MethodGet, path: account + "/keys", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				l := decode[web.KeyList](t, r, http.StatusOK)
				if len(l.Items) != 1 {
					t.Fatalf("%d keys, want 1", len(l.Items))
				}
				wantKey(t, l.Items[0], first.KeyID, "ci", "active")
			}},
		{name: "getting the account never shows a secret", method: http.MethodGet, path: account, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				if a := decode[web.Account](t, r, http.StatusOK); len(a.Keys) != 1 || a.Keys[0].ID != first.KeyID {
					t.Errorf("keys %+v", a.Keys)
				}
			}},
	})
	// Paths with key IDs are known only now.
	key := func(c *creds, action string) string { return "/api/v1/keys/" + c.KeyID + action }
	f.runSteps(t, tok, []step{
		{name: "getting the key never shows its secret", method: http.MethodGet, path: key(&first, ""), status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				k := decode[web.Key](t, r, http.StatusOK)
				wantKey(t, k, first.KeyID, "ci", "active")
				if k.LastUsedAt == nil {
					t.Error("last_used_at is null after the key obtained a token")
				}
			}},
		{name: "deactivating the key refuses its secret", method: http.MethodPost, path: key(&first, "/deactivate"), status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				wantKey(t, decode[web.Key](t, r, http.StatusOK), first.KeyID, "ci", "inactive")
				f.wantToken(t, first, http.StatusUnauthorized)
			}},
		{name: "activating the key accepts its secret again", method: http.MethodPost, path: key(&first, "/activate"), status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				wantKey(t, decode[web.Key](t, r, http.StatusOK), first.KeyID, "ci", "active")
				f.wantToken(t, first, http.StatusOK)
			}},
		{name: "rotating without grace period refuses the old secret at once", method: http.MethodPost, path: key(&first, "/rotate"),
			body: `{"grace_period":0}`, status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				rot := decode[web.KeyRotation](t, r, http.StatusCreated)
				second = credsOf(rot.Key)
				secrets = append(secrets, second.Secret)
				wantKey(t, rot.Key.Key, second.KeyID, "ci", "active")
				wantKey(t, rot.OldKey, first.KeyID, "ci", "inactive")
				if rot.Key.ExpiresAt != nil || second.KeyID == first.KeyID || second.Secret == "" {
					t.Errorf("new key %+v", rot.Key)
				}
				f.wantToken(t, first, http.StatusUnauthorized)
				f.wantToken(t, second, http.StatusOK)
			}},
	})
	f.runSteps(t, tok, []step{
		{name: "rotating with a grace period of an hour keeps both secrets working", method: http.MethodPost, path: key(&second, "/rotate"),
			body: `{"grace_period":3600,"label":"ci-2"}`, status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				rot := decode[web.KeyRotation](t, r, http.StatusCreated)
				third = credsOf(rot.Key)
				secrets = append(secrets, third.Secret)
				wantKey(t, rot.Key.Key, third.KeyID, "ci-2", "active")
				wantKey(t, rot.OldKey, second.KeyID, "ci", "active")
				if !near(rot.OldKey.ExpiresAt, f.clock.Now().Add(time.Hour)) {
					t.Errorf("old key expires_at %v, want in an hour", rot.OldKey.ExpiresAt)
				}
				f.wantToken(t, second, http.StatusOK)
				f.wantToken(t, third, http.StatusOK)
			}},
		{name: "the keys are listed oldest first without secrets", method: http.MethodGet, path: account + "/keys", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				l := decode[web.KeyList](t, r, http.StatusOK)
				if len(l.Items) != 3 {
					t.Fatalf("%d keys, want 3", len(l.Items))
				}
				wantKey(t, l.Items[0], first.KeyID, "ci", "inactive")
				wantKey(t, l.Items[1], second.KeyID, "ci", "active")
				wantKey(t, l.Items[2], third.KeyID, "ci-2", "active")
			}},
	})
	t.Run("the old key expires when the grace period ends", func(t *testing.T) {
		f.clock.Advance(time.Hour + time.Second)
		wantKey(t, decode[web.Key](t, f.call(t, http.MethodGet, key(&second, ""), f.adminToken(t), nil), http.StatusOK), second.KeyID, "ci", "expired")
		f.wantToken(t, second, http.StatusUnauthorized)
		f.wantToken(t, third, http.StatusOK)
	})
	tok = f.adminToken(t)
	f.runSteps(t, tok, []step{
		{name: "an expired key cannot be activated", method: http.MethodPost, path: key(&second, "/activate"), status: http.StatusConflict, code: "conflict"},
		{name: "deleting a key refuses its secret", method: http.MethodDelete, path: key(&third, ""), status: http.StatusNoContent,
			check: func(t *testing.T, r *response) { f.wantToken(t, third, http.StatusUnauthorized) }},
		{name: "a deleted key is not found", method: http.MethodGet, path: key(&third, ""), status: http.StatusNotFound, code: "not_found"},
		{name: "deleting a deleted key is not found", method: http.MethodDelete, path: key(&third, ""), status: http.StatusNotFound, code: "not_found"},
		{name: "the account lists the two remaining keys", method: http.MethodGet, path: account, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				noSecrets(t, r)
				if a := decode[web.Account](t, r, http.StatusOK); len(a.Keys) != 2 {
					t.Errorf("%d keys, want 2", len(a.Keys))
				}
			}},
	})
}

func TestKeyRequests(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	sync := f.client(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	keys := "/api/v1/accounts/sync@billing.iam/keys"
	rotate := "/api/v1/keys/" + sync.KeyID + "/rotate"
	in2h := f.clock.Now().Add(2 * time.Hour).UTC().Truncate(time.Millisecond)
	const unknownKey = "/api/v1/keys/aaaaaaaaaaaaaaaa"

	f.runSteps(t, tok, []step{
		{name: "a key created without body never expires", method: http.MethodPost, path: keys, status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				if k := decode[web.NewKey](t, r, http.StatusCreated); k.ExpiresAt != nil || k.Label != "" || k.Status != "active" {
					t.Errorf("key %+v", k.Key)
				}
			}},
		{name: "a key created with expires_at expires then", method: http.MethodPost, path: keys,
			body: `{"expires_at":"` + in2h.Format(time.RFC3339Nano) + `"}`, status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				if k := decode[web.NewKey](t, r, http.StatusCreated); k.ExpiresAt == nil || !k.ExpiresAt.Equal(in2h) {
					t.Errorf("expires_at %v, want %s", k.ExpiresAt, in2h)
				}
			}},
		{name: "expires_in and expires_at together are invalid", method: http.MethodPost, path: keys,
			body: `{"expires_in":60,"expires_at":"2099-01-01T00:00:00Z"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "expires_in of zero is invalid", method: http.MethodPost, path: keys,
			body: `{"expires_in":0}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "expires_in over ten years is invalid", method: http.MethodPost, path: keys,
			body: fmt.Sprintf(`{"expires_in":%d}`, 10*366*24*3600+1), status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "expires_at in the past is invalid", method: http.MethodPost, path: keys,
			body: `{"expires_at":"2001-01-01T00:00:00Z"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "expires_at of the zero time is invalid, not never", method: http.MethodPost, path: keys,
			body: `{"expires_at":"0001-01-01T00:00:00Z"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "rotating with expires_at of the zero time is invalid", method: http.MethodPost, path: rotate,
			body: `{"expires_at":"0001-01-01T00:00:00Z"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "expires_at that is not RFC 3339 is invalid", method: http.MethodPost, path: keys,
			body: `{"expires_at":"tomorrow"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a label over 100 characters is invalid", method: http.MethodPost, path: keys,
			body: `{"label":"` + strings.Repeat("x", 101) + `"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a label with a newline is invalid", method: http.MethodPost, path: keys,
			body: `{"label":"a\nb"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a secret cannot be chosen by the caller", method: http.MethodPost, path: keys,
			body: `{"secret":"iamd_mine"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a key body that is not JSON is invalid", method: http.MethodPost, path: keys,
			body: `label=x`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a key of an unknown account is not found", method: http.MethodPost, path: "/api/v1/accounts/ghost@billing.iam/keys",
			status: http.StatusNotFound, code: "not_found"},
		{name: "rotating with a negative grace period is invalid", method: http.MethodPost, path: rotate,
			body: `{"grace_period":-1}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "rotating with a grace period over 90 days is invalid", method: http.MethodPost, path: rotate,
			body: fmt.Sprintf(`{"grace_period":%d}`, 90*24*3600+1), status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "rotating with both expiries is invalid", method: http.MethodPost, path: rotate,
			body: `{"expires_in":60,"expires_at":"2099-01-01T00:00:00Z"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "rotating an unknown key is not found", method: http.MethodPost, path: unknownKey + "/rotate", status: http.StatusNotFound, code: "not_found"},
		{name: "getting an unknown key is not found", method: http.MethodGet, path: unknownKey, status: http.StatusNotFound, code: "not_found"},
		{name: "activating an unknown key is not found", method: http.MethodPost, path: unknownKey + "/activate", status: http.StatusNotFound, code: "not_found"},
		{name: "deactivating an unknown key is not found", method: http.MethodPost, path: unknownKey + "/deactivate", status: http.StatusNotFound, code: "not_found"},
		{name: "deleting an unknown key is not found", method: http.MethodDelete, path: unknownKey, status: http.StatusNotFound, code: "not_found"},
		{name: "the failed requests left the original key working", method: http.MethodGet, path: "/api/v1/keys/" + sync.KeyID, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if k := decode[web.Key](t, r, http.StatusOK); k.Status != "active" {
					t.Errorf("status %q", k.Status)
				}
				f.wantToken(t, sync, http.StatusOK)
			}},
	})
}

func TestKeyLimit(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	sync := f.client(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	for range 9 {
		f.createKey(t, tok, sync.ClientID, web.CreateKeyRequest{})
	}
	f.runSteps(t, tok, []step{
		{name: "an eleventh key is a conflict", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/keys",
			status: http.StatusConflict, code: "conflict"},
		{name: "rotating at the limit is a conflict and keeps the old key", method: http.MethodPost, path: "/api/v1/keys/" + sync.KeyID + "/rotate",
			status: http.StatusConflict, code: "conflict",
			check: func(t *testing.T, r *response) { f.wantToken(t, sync, http.StatusOK) }},
		{name: "deleting a key makes room", method: http.MethodDelete, path: "/api/v1/keys/" + sync.KeyID, status: http.StatusNoContent},
		{name: "a key can be created again", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/keys", status: http.StatusCreated},
	})
}

func TestAdminMustKeepAnActiveKey(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	only := "/api/v1/keys/" + f.admin.KeyID
	f.runSteps(t, tok, []step{
		{name: "deactivating the admin's only key is a conflict", method: http.MethodPost, path: only + "/deactivate", status: http.StatusConflict, code: "conflict"},
		{name: "deleting the admin's only key is a conflict", method: http.MethodDelete, path: only, status: http.StatusConflict, code: "conflict"},
		{name: "the admin's key still works", method: http.MethodGet, path: only, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if k := decode[web.Key](t, r, http.StatusOK); k.Status != "active" {
					t.Errorf("status %q", k.Status)
				}
				f.wantToken(t, f.admin, http.StatusOK)
			}},
	})
	spare := credsOf(f.createKey(t, tok, adminID, web.CreateKeyRequest{Label: "spare"}))
	f.runSteps(t, tok, []step{
		{name: "with a second key the first can be deactivated", method: http.MethodPost, path: only + "/deactivate", status: http.StatusOK},
		{name: "the second key cannot be deleted while it is the only active one", method: http.MethodDelete, path: "/api/v1/keys/" + spare.KeyID,
			status: http.StatusConflict, code: "conflict"},
		{name: "the inactive first key can be deleted", method: http.MethodDelete, path: only, status: http.StatusNoContent},
		{name: "the last key cannot be deactivated", method: http.MethodPost, path: "/api/v1/keys/" + spare.KeyID + "/deactivate",
			status: http.StatusConflict, code: "conflict",
			check: func(t *testing.T, r *response) { f.wantToken(t, spare, http.StatusOK) }},
	})
}

// signingKeys lists the signing keys through the API.
func signingKeys(t *testing.T, r *response) []web.SigningKey {
	t.Helper()
	wantNoStore(t, r)
	return decode[web.SigningKeyList](t, r, http.StatusOK).Items
}

func TestSigningKeyRotation(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	firstKid := jwtHeader(t, tok).Kid
	var activeKid string
	f.runSteps(t, tok, []step{
		{name: "the first signing key is listed as active", method: http.MethodGet, path: "/api/v1/signing-keys", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				keys := signingKeys(t, r)
				if len(keys) != 1 || keys[0].ID != firstKid || keys[0].State != "active" || keys[0].Algorithm != signing.ES256 ||
					keys[0].ActivatesAt.After(f.clock.Now()) || keys[0].RetiredAt != nil || keys[0].PublishedUntil != nil {
					t.Errorf("signing keys %+v, want %s active", keys, firstKid)
				}
				// Keys activating in the same millisecond would tie.
				f.clock.Advance(time.Second)
			}},
		{name: "rotating with activate_in 0 is refused without force", method: http.MethodPost, path: "/api/v1/signing-keys/rotate",
			body: `{"activate_in":0}`, status: http.StatusBadRequest, code: "invalid_argument",
			check: func(t *testing.T, r *response) {
				e := decode[web.ErrorBody](t, r, http.StatusBadRequest)
				if !strings.Contains(e.Message, "at least 300 seconds") || !strings.Contains(e.Message, "force") {
					t.Errorf("message %q does not give the minimum and the way past it", e.Message)
				}
			}},
		{name: "rotating with activate_in 0 and force signs new tokens with the new key at once", method: http.MethodPost, path: "/api/v1/signing-keys/rotate",
			body: `{"activate_in":0,"force":true}`, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				keys := signingKeys(t, r)
				if len(keys) != 2 || keys[0].ID != firstKid || keys[0].State != "retired" || keys[1].State != "active" {
					t.Fatalf("signing keys %+v, want %s retired, then a new active key", keys, firstKid)
				}
				activeKid = keys[1].ID
				if keys[0].RetiredAt == nil || !keys[0].RetiredAt.Equal(keys[1].ActivatesAt) ||
					keys[0].PublishedUntil == nil || !keys[0].PublishedUntil.Equal(keys[0].RetiredAt.Add(tokenTTL+resource.DefaultLeeway)) {
					t.Errorf("retired key %+v, want retired when %s activated and published a token lifetime more", keys[0], activeKid)
				}
				if kid := jwtHeader(t, f.adminToken(t)).Kid; kid != activeKid {
					t.Errorf("new tokens are signed by %s, want %s", kid, activeKid)
				}
				if set, _ := f.jwks(t); len(set.Keys) != 2 {
					t.Errorf("JWKS has %d keys, want the retired and the active one", len(set.Keys))
				}
			}},
		{name: "tokens signed by the retired key are still accepted", method: http.MethodGet, path: "/api/v1/orgs", status: http.StatusOK},
		{name: "rotating with a delay adds a key that waits", method: http.MethodPost, path: "/api/v1/signing-keys/rotate",
			body: `{"activate_in":600}`, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				keys := signingKeys(t, r)
				if len(keys) != 3 || keys[1].ID != activeKid || keys[1].State != "active" || keys[2].State != "next" ||
					!near(&keys[2].ActivatesAt, f.clock.Now().Add(10*time.Minute)) {
					t.Fatalf("signing keys %+v, want %s active then a key activating in 10 minutes", keys, activeKid)
				}
				if kid := jwtHeader(t, f.adminToken(t)).Kid; kid != activeKid {
					t.Errorf("new tokens are signed by %s, want %s until the next key activates", kid, activeKid)
				}
			}},
		{name: "rotating again while a key waits is a conflict", method: http.MethodPost, path: "/api/v1/signing-keys/rotate",
			body: `{"activate_in":0,"force":true}`, status: http.StatusConflict, code: "conflict"},
		{name: "rotating with the default delay while a key waits is a conflict too", method: http.MethodPost, path: "/api/v1/signing-keys/rotate",
			status: http.StatusConflict, code: "conflict"},
		{name: "the conflicts added no key", method: http.MethodGet, path: "/api/v1/signing-keys", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if keys := signingKeys(t, r); len(keys) != 3 {
					t.Errorf("%d signing keys, want 3", len(keys))
				}
			}},
	})
}

func TestSigningKeyRotationRequests(t *testing.T) {
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		check  func(t *testing.T, f *fixture, keys []web.SigningKey)
	}{
		{name: "without a body the next key activates after the default delay", status: http.StatusOK,
			check: func(t *testing.T, f *fixture, keys []web.SigningKey) {
				if len(keys) != 2 || keys[1].State != "next" || keys[1].Algorithm != signing.ES256 || !near(&keys[1].ActivatesAt, f.clock.Now().Add(activation)) {
					t.Errorf("signing keys %+v, want an ES256 key activating in %s", keys, activation)
				}
			}},
		{name: "an EdDSA key can replace the ES256 key", body: `{"algorithm":"EdDSA","activate_in":0,"force":true}`, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, keys []web.SigningKey) {
				if len(keys) != 2 || keys[1].Algorithm != signing.EdDSA || keys[1].State != "active" {
					t.Fatalf("signing keys %+v, want an active EdDSA key", keys)
				}
				tok := f.adminToken(t)
				if h := jwtHeader(t, tok); h.Alg != signing.EdDSA || h.Kid != keys[1].ID {
					t.Errorf("JWT header %+v, want EdDSA by %s", h, keys[1].ID)
				}
				decode[web.OrgList](t, f.call(t, http.MethodGet, "/api/v1/orgs", tok, nil), http.StatusOK)
			}},
		{name: "an unknown algorithm is invalid", body: `{"algorithm":"HS256"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a negative delay is invalid", body: `{"activate_in":-1}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a negative delay is invalid even forced", body: `{"activate_in":-1,"force":true}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a delay shorter than the JWKS cache lifetime is refused", body: fmt.Sprintf(`{"activate_in":%d}`, int(jwksMaxAge/time.Second)-1), status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a delay of the JWKS cache lifetime is accepted", body: fmt.Sprintf(`{"activate_in":%d}`, int(jwksMaxAge/time.Second)), status: http.StatusOK,
			check: func(t *testing.T, f *fixture, keys []web.SigningKey) {
				if len(keys) != 2 || keys[1].State != "next" || !near(&keys[1].ActivatesAt, f.clock.Now().Add(jwksMaxAge)) {
					t.Errorf("signing keys %+v, want a key activating in %s", keys, jwksMaxAge)
				}
			}},
		{name: "force is ignored for a delay that needs none", body: `{"activate_in":600,"force":true}`, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, keys []web.SigningKey) {
				if len(keys) != 2 || keys[1].State != "next" {
					t.Errorf("signing keys %+v, want a waiting key", keys)
				}
			}},
		{name: "a delay over 30 days is invalid", body: fmt.Sprintf(`{"activate_in":%d}`, 30*24*3600+1), status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an unknown field is invalid", body: `{"activate":0}`, status: http.StatusBadRequest, code: "invalid_argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.clock.Advance(time.Second) // so that a new key activates after the first
			tok := f.adminToken(t)
			r := f.call(t, http.MethodPost, "/api/v1/signing-keys/rotate", tok, tt.body)
			if tt.code != "" {
				wantAPIError(t, r, tt.status, tt.code)
				if keys := signingKeys(t, f.call(t, http.MethodGet, "/api/v1/signing-keys", tok, nil)); len(keys) != 1 {
					t.Errorf("%d signing keys after a refused rotation, want 1", len(keys))
				}
				return
			}
			tt.check(t, f, signingKeys(t, r))
		})
	}
}
