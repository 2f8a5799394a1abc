// Package accounts manages service accounts and their keys: creation,
// archiving, secrets that are shown once and stored only as hashes, rotation,
// and the credential check behind client authentication.
package accounts

import (
	"context"
	"time"
)

// Account is a service account: a non-human subject of one organization.
type Account struct {
	// ID is the internal, immutable identifier; keys and assignments refer
	// to it. It is never shown to users, who see the client ID.
	ID string
	// OrgID is the organization the account belongs to.
	OrgID string
	// Name is the account's ID within its organization (see rbac.ValidID);
	// the client ID is Name@OrgID.iam.
	Name        string
	DisplayName string
	Description string
	// System accounts are created by iamd itself and are immutable.
	System bool
	// ArchivedAt is set while the account is archived.
	ArchivedAt time.Time
	// AllowedAudiences bound the audiences of its tokens; what they may
	// do comes from roles (see rbac).
	AllowedAudiences []string
	CreatedAt        time.Time
	CreatedBy        string
	UpdatedAt        time.Time
	// LastUsedAt is the last successful authentication; zero if never.
	LastUsedAt time.Time
	// OwnerID is the internal ID of the user who owns the account (seed
	// 001); empty for none.
	OwnerID string
}

// Status values of accounts and keys.
const (
	StatusActive   = "active"
	StatusArchived = "archived"
	StatusInactive = "inactive"
	StatusExpired  = "expired"
)

// Status returns StatusActive or StatusArchived.
func (a Account) Status() string {
	if a.ArchivedAt.IsZero() {
		return StatusActive
	}
	return StatusArchived
}

// Key kinds.
const (
	// KindSecret keys authenticate with client_secret_basic or
	// client_secret_post.
	KindSecret = "secret"
	// KindKeyPair keys hold a public key; the client proves it holds the
	// private key by signing an assertion (private_key_jwt).
	KindKeyPair = "key-pair"
)

// Key is a credential of an account.
type Key struct {
	// ID is the key ID, embedded in the key's secret.
	ID        string
	AccountID string
	Kind      string
	Label     string
	// SecretHash is the SHA-256 of the secret; the secret itself is never
	// stored.
	SecretHash []byte
	// KID, Algorithm and PublicJWK are set on key-pair keys only: the key
	// ID assertions name in their header (unique within the account), the
	// JWS algorithm the key signs with, and the public key as a JWK in
	// JSON. The private key is never stored.
	KID       string
	Algorithm string
	PublicJWK string
	// Uploaded marks a key-pair key whose private half iamd never had: an
	// admin uploaded its public key. iamd cannot rotate it.
	Uploaded bool
	// Active is false once the key was deactivated.
	Active    bool
	CreatedAt time.Time
	CreatedBy string
	// ExpiresAt is when the key stops working; zero for never.
	ExpiresAt time.Time
	// LastUsedAt is the key's last successful authentication; zero if never.
	LastUsedAt time.Time
}

// Status returns StatusActive, StatusInactive or StatusExpired at now.
func (k Key) Status(now time.Time) string {
	switch {
	case !k.Active:
		return StatusInactive
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Credential is a key together with its account, as loaded to authenticate
// a client in one lookup.
type Credential struct {
	Key     Key
	Account Account
	// RightsVersion is the version of the authorization model when the
	// credential was read: it changes whenever anyone's rights may have
	// (see rbac.Store), so rights computed at the same version still hold.
	RightsVersion int64
}

// Usage records that a key authenticated successfully at At.
type Usage struct {
	KeyID     string
	AccountID string
	At        time.Time
}

// ListOptions select and page accounts. Accounts are ordered by
// organization ID then name.
type ListOptions struct {
	// OrgID, if set, keeps accounts of that organization only.
	OrgID string
	// OrgIDs, if not nil, keeps accounts of these organizations only: the
	// ones the caller may read.
	OrgIDs []string
	// Status, if set, keeps StatusActive or StatusArchived accounts only.
	Status string
	// OwnerID, if set, keeps accounts of that owner only.
	OwnerID string
	// Search, if set, keeps accounts whose name or display name contains
	// it, ignoring the case of ASCII letters (other characters match as
	// they are, alike on both backends); % and _ match themselves. It is
	// at most MaxSearchLen characters of UTF-8 without control characters.
	// No index serves a substring search: the backends read in list order
	// until Limit accounts match, at worst every account the other options
	// keep (10,000 in a few milliseconds; see BenchConsole).
	Search string
	// AfterOrgID and AfterName resume after that account.
	AfterOrgID, AfterName string
	// Limit caps the number of accounts returned; it must be positive.
	Limit int
}

// AccountCounts counts accounts by status.
type AccountCounts struct {
	Active, Archived int
}

// KeyCounts counts keys by status (see Key.Status).
type KeyCounts struct {
	Active, Inactive, Expired int
}

// IdleOptions select the accounts or keys not used lately, for the
// dashboard: those of active accounts, and for keys active ones (Active,
// not expired at Now).
type IdleOptions struct {
	// OrgIDs, if not nil, keeps those of these organizations only.
	OrgIDs []string
	// UsedBefore zero keeps those never used, oldest created first;
	// otherwise those last used before it, least recently used first.
	UsedBefore time.Time
	// Now decides which keys have expired.
	Now time.Time
	// Limit caps the number returned; it must be positive.
	Limit int
}

// AccountKey is a key with its account, as the dashboard lists keys.
type AccountKey struct {
	Key     Key
	Account Account
}

// DashboardStore reads what the console's dashboard shows. Each method is
// one statement, bounded by its limit or, for the counts, by the accounts
// and keys of the organizations given (nil: every one).
type DashboardStore interface {
	// CountAccounts counts the accounts of orgIDs by status.
	CountAccounts(ctx context.Context, orgIDs []string) (AccountCounts, error)
	// CountKeys counts the keys of the accounts of orgIDs by status at now.
	CountKeys(ctx context.Context, orgIDs []string, now time.Time) (KeyCounts, error)
	// ListExpiringKeys returns up to limit active keys of active accounts
	// of orgIDs expiring after now and at or before until, soonest first
	// (then by key ID).
	ListExpiringKeys(ctx context.Context, orgIDs []string, now, until time.Time, limit int) ([]AccountKey, error)
	// ListIdleAccounts returns the accounts opts selects, in its order,
	// ties by creation time then ID.
	ListIdleAccounts(ctx context.Context, opts IdleOptions) ([]Account, error)
	// ListIdleKeys returns the keys opts selects with their accounts, in
	// its order, ties by creation time then key ID.
	ListIdleKeys(ctx context.Context, opts IdleOptions) ([]AccountKey, error)
}

// Store persists accounts and keys.
//
// Methods return storage.ErrNotFound for a missing record and
// storage.ErrConflict for a duplicate ID or a broken reference.
type Store interface {
	// CreateAccount stores a new account; ErrConflict if the name is taken
	// in its organization, or the organization or owner does not exist.
	CreateAccount(ctx context.Context, a Account) error
	// GetAccount returns the account with that internal ID.
	GetAccount(ctx context.Context, id string) (Account, error)
	// GetAccounts returns those of the accounts with these internal IDs
	// that exist, in no particular order: the accounts among a group's
	// members, in one query.
	GetAccounts(ctx context.Context, ids []string) ([]Account, error)
	// GetAccountByName returns the account named name in orgID.
	GetAccountByName(ctx context.Context, orgID, name string) (Account, error)
	// ListAccounts returns the accounts opts selects, in order.
	ListAccounts(ctx context.Context, opts ListOptions) ([]Account, error)
	// UpdateAccount applies fn to the stored account in one transaction;
	// a new OrgID moves it (ErrConflict if that organization already has
	// an account of its name), a new OwnerID gives it to that user
	// (ErrConflict if there is no such user).
	UpdateAccount(ctx context.Context, id string, fn func(Account) (Account, error)) error
	// DeleteAccount removes the account, its keys and its assignments.
	DeleteAccount(ctx context.Context, id string) error
	// LockAccount, in a transaction, makes other transactions that lock
	// the same account wait until this one ends, so that rules spanning its
	// keys (at most MaxKeys, a system account keeps an active key) hold
	// under concurrency. ErrNotFound if there is no such account.
	LockAccount(ctx context.Context, id string) error

	// CreateKey stores a new key; ErrConflict if the ID is taken or the
	// account does not exist.
	CreateKey(ctx context.Context, k Key) error
	// GetKey returns the key with that ID.
	GetKey(ctx context.Context, id string) (Key, error)
	// ListKeys returns the account's keys ordered by creation time then ID.
	ListKeys(ctx context.Context, accountID string) ([]Key, error)
	// UpdateKey applies fn to the stored key in one transaction.
	UpdateKey(ctx context.Context, id string, fn func(Key) (Key, error)) error
	// DeleteKey removes the key.
	DeleteKey(ctx context.Context, id string) error

	// GetCredential returns the key with that ID and its account, and the
	// version of the authorization model, in one indexed lookup.
	GetCredential(ctx context.Context, keyID string) (Credential, error)
	// GetKeyPairCredentials returns the key-pair keys of the account
	// named name in orgID, each with the account and the version of the
	// authorization model, in one lookup, ordered by creation time then ID;
	// none if there is no such account or it has no key-pair key.
	GetKeyPairCredentials(ctx context.Context, orgID, name string) ([]Credential, error)
	// UseAssertionID records that the account presented a client assertion
	// with that jti, kept until expiresAt; ErrConflict if the account
	// already presented it (and it was not pruned since).
	UseAssertionID(ctx context.Context, accountID, jti string, expiresAt time.Time) error
	// PruneAssertionIDs removes up to limit assertion IDs that expired
	// before t and returns how many it removed.
	PruneAssertionIDs(ctx context.Context, t time.Time, limit int) (int, error)
	// RecordUsage moves last-used times of keys and their accounts forward
	// (never backward) in one transaction. Unknown keys are skipped.
	RecordUsage(ctx context.Context, uses []Usage) error

	RevocationStore
	DashboardStore
	UserReader
}
