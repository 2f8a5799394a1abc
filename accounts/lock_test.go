package accounts_test

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
)

// TestKeyWritesWaitForTheAuthzLock: whether an actor may change the keys
// of an account depends on rights, so key writes take the authorization
// lock first and never check rights a concurrent change of the model is
// taking away. PostgreSQL only: on SQLite every write transaction already
// waits for the one before.
func TestKeyWritesWaitForTheAuthzLock(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	orgs, svc := newServices(db, &fakeClock{t: start}, nil)
	ids := svc.ClientIDs()
	if _, err := orgs.CreateRoot(ctx, sys, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	a, err := svc.Create(ctx, sys, accounts.NewAccount{OrgID: "acme", Name: "deployer"})
	if err != nil {
		t.Fatal(err)
	}
	client := ids.Of(a)
	newKey := func() string {
		t.Helper()
		k, _, err := svc.CreateKey(ctx, sys, client, accounts.NewKey{})
		if err != nil {
			t.Fatal(err)
		}
		return k.ID
	}
	newKey() // so the others are never the last active key
	writes := []struct {
		name  string
		write func(keyID string) error
	}{
		{"CreateKey", func(string) error { _, _, err := svc.CreateKey(ctx, sys, client, accounts.NewKey{}); return err }},
		{"RotateKey", func(id string) error { _, err := svc.RotateKey(ctx, sys, id, accounts.Rotation{}); return err }},
		{"SetKeyActive", func(id string) error { _, _, err := svc.SetKeyActive(ctx, sys, id, false); return err }},
		{"DeleteKey", func(id string) error { return svc.DeleteKey(ctx, sys, id) }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			keyID := newKey()
			locked, release := make(chan struct{}), make(chan struct{})
			holder := make(chan error, 1)
			go func() {
				holder <- db.InTx(ctx, func(ctx context.Context) error {
					if err := orgs.LockAuthz(ctx); err != nil {
						return err
					}
					close(locked)
					<-release
					return nil
				})
			}()
			<-locked
			done := make(chan error, 1)
			go func() { done <- w.write(keyID) }()
			select {
			case err := <-done:
				close(release)
				<-holder
				t.Fatalf("%s ran while another transaction held the lock (error %v)", w.name, err)
			case <-time.After(150 * time.Millisecond):
			}
			close(release)
			if err := <-holder; err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
