package oauth_test

import (
	"maps"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/storage"
)

func TestIssuingTokensWritesNothingToTheDatabase(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	id, key, secret := e.account("sync", syncScopes, syncAudiences)
	srv := e.server(oauth.Config{Throttle: generous})
	e.store.reset()

	const n = 50
	for i := range n {
		e.clock.Advance(time.Second)
		// Alternate the authentication methods and parameters.
		params := []string{"scope", "data.items:read"}
		if i%2 == 1 {
			params = []string{"audience", "https://api.acme.test"}
		}
		e.token(srv, id, secret, params...)
	}
	lastUse := storage.Time(e.clock.Now())
	if w := e.store.writes(); w != 0 {
		t.Fatalf("%d tokens made %d database writes: %v", n, w, e.store.snapshot())
	}
	// Per token, one indexed lookup of the key and nothing else: the
	// rights, computed for the first, stay in memory while the
	// authorization model's version does.
	if got, want := e.store.snapshot(), map[string]int{"GetCredential": n, "LoadGrants": 1}; !maps.Equal(got, want) {
		t.Errorf("store calls for %d tokens: %v, want %v", n, got, want)
	}

	// The usage is pending in memory and shows through the service.
	stored, err := e.db.GetKey(e.ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.LastUsedAt.IsZero() {
		t.Fatalf("LastUsedAt %v stored before the flush", stored.LastUsedAt)
	}
	keys, err := e.accts.ListKeys(e.ctx, sys, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !keys[0].LastUsedAt.Equal(lastUse) {
		t.Errorf("pending LastUsedAt through the service: %v, want %v", keys, lastUse)
	}

	e.store.reset()
	if err := e.usage.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := e.store.snapshot(), map[string]int{"RecordUsage": 1}; !maps.Equal(got, want) {
		t.Errorf("store calls of one flush: %v, want %v", got, want)
	}
	stored, err = e.db.GetKey(e.ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.LastUsedAt.Equal(lastUse) {
		t.Errorf("stored key LastUsedAt %v, want the last token's time %v", stored.LastUsedAt, lastUse)
	}
	acct, err := e.db.GetAccount(e.ctx, stored.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if !acct.LastUsedAt.Equal(lastUse) {
		t.Errorf("stored account LastUsedAt %v, want %v", acct.LastUsedAt, lastUse)
	}

	// Nothing is left to write.
	e.store.reset()
	if err := e.usage.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if w := e.store.writes(); w != 0 {
		t.Errorf("a second flush with nothing pending wrote %d times", w)
	}
}

func TestRefusedTokenRequestsWriteNothing(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	id, key, _ := e.account("sync", syncScopes, nil)
	srv := e.server(oauth.Config{Throttle: generous})
	e.store.reset()
	for range 10 {
		srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: basic(id, forgeSecret(t, key.ID))})
	}
	if w := e.store.writes(); w != 0 {
		t.Errorf("refused requests made %d writes: %v", w, e.store.snapshot())
	}
	if err := e.usage.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if w := e.store.writes(); w != 0 {
		t.Errorf("refused requests left usage to record: %v", e.store.snapshot())
	}
}
