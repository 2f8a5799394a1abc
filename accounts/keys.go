package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// NewKey describes a key to create.
type NewKey struct {
	Label string
	// ExpiresAt is when the key stops working; zero for never.
	ExpiresAt time.Time
}

// keyView is a key as the audit log records it: never its secret or hash.
type keyView struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	KID       string     `json:"kid,omitempty"`
	Algorithm string     `json:"algorithm,omitempty"`
	Label     string     `json:"label"`
	Active    bool       `json:"active"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func viewKey(k Key) keyView {
	v := keyView{ID: k.ID, Kind: k.Kind, KID: k.KID, Algorithm: k.Algorithm, Label: k.Label, Active: k.Active}
	if !k.ExpiresAt.IsZero() {
		v.ExpiresAt = &k.ExpiresAt
	}
	return v
}

// CreateKey creates a secret key for the account and returns it with its
// secret; it requires iam.keys write on the account's organization. The
// secret is not stored and cannot be retrieved again.
func (s *Service) CreateKey(ctx context.Context, actor rbac.Actor, clientID string, in NewKey) (Key, string, error) {
	var secret string
	k, err := s.createKey(ctx, actor, clientID, in, secretMaterial(&secret))
	if err != nil {
		return Key{}, "", err
	}
	return k, secret, nil
}

// material gives a new key its kind and credential; keys are the
// account's other keys, read under the account's lock.
type material func(k *Key, keys []Key) error

// secretMaterial makes the key a secret key and sets *secret to its
// secret.
func secretMaterial(secret *string) material {
	return func(k *Key, _ []Key) error {
		k.Kind = KindSecret
		*secret, k.SecretHash = newSecret(k.ID)
		return nil
	}
}

// createKey creates a key of any kind under the rules every key creation
// shares: iam.keys write, no key beyond the creator's own rights, audited.
func (s *Service) createKey(ctx context.Context, actor rbac.Actor, clientID string, in NewKey, m material) (Key, error) {
	a, err := s.lookupFor(ctx, actor, clientID, writeKeys)
	if err != nil {
		return Key{}, err
	}
	var k Key
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.orgs.LockAuthz(ctx); err != nil {
			return err
		}
		if err := s.mayActAs(ctx, actor, a, true); err != nil {
			return err
		}
		if k, err = s.addKey(ctx, a, in, actor.ID, m); err != nil {
			return err
		}
		return s.record(ctx, actor, "key.create", a, nil, viewKey(k))
	})
	return k, err
}

// addKey checks the rules of a new key (label, expiry, at most MaxKeys of
// any kind) and stores it with what m gives it.
func (s *Service) addKey(ctx context.Context, a Account, in NewKey, by string, m material) (Key, error) {
	if err := rbac.CheckText("label", in.Label, MaxLabelLen, false); err != nil {
		return Key{}, err
	}
	now := storage.Time(s.now())
	// Compare what will be stored: a sub-millisecond expiry rounds to now.
	if exp := storage.Time(in.ExpiresAt); !exp.IsZero() && !exp.After(now) {
		return Key{}, storage.Errorf(storage.ErrInvalid, "expiry %s is not in the future", in.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if err := s.store.LockAccount(ctx, a.ID); err != nil {
		return Key{}, fmt.Errorf("account %s: %w", storage.Quote(s.ids.Of(a)), err)
	}
	keys, err := s.store.ListKeys(ctx, a.ID)
	if err != nil {
		return Key{}, err
	}
	if len(keys) >= MaxKeys {
		return Key{}, storage.Errorf(storage.ErrConflict, "account %s already has %d keys, the most allowed; delete one first", storage.Quote(s.ids.Of(a)), MaxKeys)
	}
	k := Key{
		ID: newID(), AccountID: a.ID, Label: in.Label, Active: true,
		CreatedAt: now, CreatedBy: by, ExpiresAt: storage.Time(in.ExpiresAt),
	}
	if err := m(&k, keys); err != nil {
		return Key{}, err
	}
	if err := s.store.CreateKey(ctx, k); err != nil {
		return Key{}, fmt.Errorf("create key: %w", err)
	}
	return k, nil
}

// ListKeys returns the account's keys, oldest first; it requires iam.keys
// read.
func (s *Service) ListKeys(ctx context.Context, actor rbac.Actor, clientID string) ([]Key, error) {
	a, err := s.lookupFor(ctx, actor, clientID, readKeys)
	if err != nil {
		return nil, err
	}
	return s.keys(ctx, a)
}

// GetWithKeys returns the account with that client ID and, if the actor
// holds iam.keys read, its keys, oldest first (nil otherwise).
func (s *Service) GetWithKeys(ctx context.Context, actor rbac.Actor, clientID string) (Account, []Key, error) {
	a, err := s.Get(ctx, actor, clientID)
	if err != nil || !actor.Can(a.OrgID, readKeys) {
		return a, nil, err
	}
	keys, err := s.keys(ctx, a)
	return a, keys, err
}

func (s *Service) keys(ctx context.Context, a Account) ([]Key, error) {
	keys, err := s.store.ListKeys(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		s.usage.overlayKey(&keys[i])
	}
	return keys, nil
}

// GetKey returns the key with that ID and its account; it requires iam.keys
// read on the account's organization.
func (s *Service) GetKey(ctx context.Context, actor rbac.Actor, keyID string) (Key, Account, error) {
	return s.keyFor(ctx, actor, keyID, readKeys)
}

func (s *Service) keyFor(ctx context.Context, actor rbac.Actor, keyID string, right rbac.Right) (Key, Account, error) {
	c, err := s.store.GetCredential(ctx, keyID)
	if err != nil {
		return Key{}, Account{}, fmt.Errorf("key %s: %w", storage.Quote(keyID), err)
	}
	if err := actor.Need(c.Account.OrgID, right); err != nil {
		return Key{}, Account{}, err
	}
	s.usage.overlayKey(&c.Key)
	s.usage.overlayAccount(&c.Account)
	return c.Key, c.Account, nil
}

// SetKeyActive activates or deactivates a key; it requires iam.keys write.
// Deactivating every key of an account disables it without archiving it.
func (s *Service) SetKeyActive(ctx context.Context, actor rbac.Actor, keyID string, active bool) (Key, Account, error) {
	return s.setKeyActive(ctx, actor, keyID, active, false)
}

// DeactivateKeyRevoking deactivates a key as SetKeyActive does and, if
// revokeTokens, revokes the tokens already issued with it, in the same
// transaction (see RevokeTokensOf).
func (s *Service) DeactivateKeyRevoking(ctx context.Context, actor rbac.Actor, keyID string, revokeTokens bool) (Key, Account, error) {
	return s.setKeyActive(ctx, actor, keyID, false, revokeTokens)
}

func (s *Service) setKeyActive(ctx context.Context, actor rbac.Actor, keyID string, active, revokeTokens bool) (Key, Account, error) {
	var k Key
	var a Account
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.orgs.LockAuthz(ctx); err != nil {
			return err
		}
		var err error
		if k, a, err = s.keyFor(ctx, actor, keyID, writeKeys); err != nil {
			return err
		}
		if err := s.mayActAs(ctx, actor, a, active); err != nil {
			return err
		}
		before := k
		if !active {
			if err := s.keepActiveKey(ctx, a, keyID); err != nil {
				return err
			}
		}
		if revokeTokens {
			if _, err := s.cutoff(ctx, actor, a, keyID); err != nil {
				return err
			}
		}
		err = s.store.UpdateKey(ctx, keyID, func(stored Key) (Key, error) {
			// Status says inactive before expired: test the expiry itself.
			if active && !stored.ExpiresAt.IsZero() && !s.now().Before(stored.ExpiresAt) {
				return stored, storage.Errorf(storage.ErrConflict, "key %s has expired and cannot be activated; create a new key", storage.Quote(keyID))
			}
			stored.Active = active
			k = stored
			return stored, nil
		})
		if err != nil {
			return err
		}
		action := "key.deactivate"
		if active {
			action = "key.activate"
		}
		return s.record(ctx, actor, action, a, viewKey(before), viewKey(k))
	})
	if err != nil {
		return Key{}, Account{}, err
	}
	s.usage.overlayKey(&k)
	return k, a, nil
}

// DeleteKey deletes a key; clients using it are refused from then on. It
// requires iam.keys delete.
func (s *Service) DeleteKey(ctx context.Context, actor rbac.Actor, keyID string) error {
	return s.DeleteKeyRevoking(ctx, actor, keyID, false)
}

// DeleteKeyRevoking deletes a key as DeleteKey does and, if revokeTokens,
// revokes the tokens already issued with it, in the same transaction (see
// RevokeTokensOf).
func (s *Service) DeleteKeyRevoking(ctx context.Context, actor rbac.Actor, keyID string, revokeTokens bool) error {
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.orgs.LockAuthz(ctx); err != nil {
			return err
		}
		k, a, err := s.keyFor(ctx, actor, keyID, deleteKeys)
		if err != nil {
			return err
		}
		if err := s.mayActAs(ctx, actor, a, false); err != nil {
			return err
		}
		if err := s.keepActiveKey(ctx, a, keyID); err != nil {
			return err
		}
		if revokeTokens {
			if _, err := s.cutoff(ctx, actor, a, keyID); err != nil {
				return err
			}
		}
		if err := s.store.DeleteKey(ctx, keyID); err != nil {
			return fmt.Errorf("key %s: %w", storage.Quote(keyID), err)
		}
		return s.record(ctx, actor, "key.delete", a, viewKey(k), nil)
	})
}

// Rotation describes a key rotation.
type Rotation struct {
	// Label of the new key; empty keeps the old key's label.
	Label string
	// ExpiresAt of the new key; zero for never.
	ExpiresAt time.Time
	// Grace keeps the old key working for this long; zero deactivates it
	// at once.
	Grace time.Duration
}

// Rotated is the outcome of a key rotation.
type Rotated struct {
	Account Account
	// New is the new key, of the old key's kind, and Secret its secret
	// (secret keys) or KeyFile its private key (key-pair keys), shown this
	// once.
	New     Key
	Secret  string
	KeyFile *KeyFile
	// Old is the rotated key as it is now.
	Old Key
}

// RotateKey creates a new key for the account of keyID and retires keyID:
// deactivated now, or set to expire after the grace period (earlier if it
// was already due to). Both happen in one transaction. It requires iam.keys
// write.
func (s *Service) RotateKey(ctx context.Context, actor rbac.Actor, keyID string, r Rotation) (Rotated, error) {
	if r.Grace < 0 {
		return Rotated{}, storage.Errorf(storage.ErrInvalid, "grace period must not be negative")
	}
	var out Rotated
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.orgs.LockAuthz(ctx); err != nil {
			return err
		}
		k, a, err := s.keyFor(ctx, actor, keyID, writeKeys)
		if err != nil {
			return err
		}
		if err := s.mayActAs(ctx, actor, a, true); err != nil {
			return err
		}
		if k.Uploaded {
			return storage.Errorf(storage.ErrConflict, "key %s was uploaded: iamd never had its private key and cannot make its successor; upload the new public key, then deactivate this one", storage.Quote(keyID))
		}
		out.Account = a
		if r.Label == "" {
			r.Label = k.Label
		}
		if out.New, err = s.addKey(ctx, a, NewKey{Label: r.Label, ExpiresAt: r.ExpiresAt}, actor.ID, s.rotated(k, &out)); err != nil {
			return err
		}
		if err := s.record(ctx, actor, "key.create", a, nil, viewKey(out.New)); err != nil {
			return err
		}
		err = s.store.UpdateKey(ctx, keyID, func(k Key) (Key, error) {
			if r.Grace == 0 {
				k.Active = false
			} else if until := storage.Time(s.now().Add(r.Grace)); k.ExpiresAt.IsZero() || until.Before(k.ExpiresAt) {
				k.ExpiresAt = until
			}
			out.Old = k
			return k, nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, actor, "key.rotate", a, viewKey(k), viewKey(out.Old))
	})
	if err != nil {
		return Rotated{}, err
	}
	s.usage.overlayKey(&out.Old)
	return out, nil
}

// mayActAs refuses a key change that would let the actor act beyond its
// own rights. A system account's keys are its own to manage: nobody
// else's, whatever their rights. And since a key lets whoever holds it act
// as its account, creating, rotating or activating one (gains) requires
// holding every right the account holds, as assigning them would: nobody
// grants what they do not hold.
func (s *Service) mayActAs(ctx context.Context, actor rbac.Actor, a Account, gains bool) error {
	// The account itself is held to the rule too: a token narrowed by
	// its scope must not mint a key of its own account that is not.
	switch {
	case actor.IsSystem():
		return nil
	case a.System && actor.ID != s.ids.Of(a):
		return storage.Errorf(storage.ErrForbidden, "%s is a system account: only it manages its keys", storage.Quote(s.ids.Of(a)))
	case !gains:
		return nil
	}
	held, err := s.orgs.SubjectRights(ctx, a.ID)
	if err != nil {
		return err
	}
	if err := actor.NeedAll(held); err != nil {
		return fmt.Errorf("a key of %s acts with all its rights: %w", s.ids.Of(a), err)
	}
	return nil
}

// keepActiveKey refuses to take away the last active key of a system
// account: without it the bootstrap admin would be locked out for good. It
// locks the account, so two transactions cannot each take away one of its
// last two keys.
func (s *Service) keepActiveKey(ctx context.Context, a Account, keyID string) error {
	if !a.System {
		return nil
	}
	if err := s.store.LockAccount(ctx, a.ID); err != nil {
		return err
	}
	keys, err := s.store.ListKeys(ctx, a.ID)
	if err != nil {
		return err
	}
	now := s.now()
	for _, k := range keys {
		if k.ID != keyID && k.Status(now) == StatusActive {
			return nil
		}
	}
	return storage.Errorf(storage.ErrConflict, "%s is a system account and must keep an active key; create another key first", storage.Quote(s.ids.Of(a)))
}

var (
	// ErrAuthentication is wrapped by Authenticate for every refused
	// credential. The message says why, for the server log only: clients
	// must not learn which part was wrong.
	ErrAuthentication = errors.New("client authentication failed")
	// ErrNoSuchKey is wrapped too when the secret names no key of the
	// claimed client (malformed, unknown, or another client's): such a
	// guess fails whatever the rest of the secret.
	ErrNoSuchKey = errors.New("no such key for this client")
)

// Authenticate checks a client ID and secret and returns the key and account
// they belong to. It returns an error wrapping ErrAuthentication if the
// secret is malformed, unknown or wrong, belongs to another client, the key
// is inactive or expired, or the account is archived.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (Credential, error) {
	keyID, ok := SecretKeyID(secret)
	if !ok {
		return Credential{}, fmt.Errorf("%w: %w: malformed secret", ErrAuthentication, ErrNoSuchKey)
	}
	c, err := s.store.GetCredential(ctx, keyID)
	if errors.Is(err, storage.ErrNotFound) {
		return Credential{}, fmt.Errorf("%w: %w: unknown key %s", ErrAuthentication, ErrNoSuchKey, keyID)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("load key %s: %w", keyID, err)
	}
	now := s.now()
	switch {
	case c.Key.Kind != KindSecret || !secretMatches(secret, c.Key.SecretHash):
		return Credential{}, fmt.Errorf("%w: wrong secret for key %s", ErrAuthentication, keyID)
	case s.ids.Of(c.Account) != clientID:
		return Credential{}, fmt.Errorf("%w: %w: key %s belongs to %s", ErrAuthentication, ErrNoSuchKey, keyID, s.ids.Of(c.Account))
	case c.Key.Status(now) != StatusActive:
		return Credential{}, fmt.Errorf("%w: key %s is %s", ErrAuthentication, keyID, c.Key.Status(now))
	case !c.Account.ArchivedAt.IsZero():
		return Credential{}, fmt.Errorf("%w: account is archived", ErrAuthentication)
	}
	return c, nil
}

// Used records that the credential obtained a token. The time is kept in
// memory and written with the next batch: issuing a token writes nothing.
func (s *Service) Used(c Credential) {
	s.usage.Record(c.Key.ID, c.Account.ID, s.now())
}
