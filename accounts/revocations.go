package accounts

import (
	"context"
	"errors"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// RevokedToken is an access token revoked by its jti (RFC 7009): kept until
// the token expires, since a token is never stored and its jti is all
// that tells it apart.
type RevokedToken struct {
	// ID is the token's jti.
	ID string
	// AccountID is the internal ID of the account the token was issued
	// to.
	AccountID string
	// ExpiresAt is the token's exp.
	ExpiresAt time.Time
	RevokedAt time.Time
	// RevokedBy is the client ID of who revoked it.
	RevokedBy string
}

// Cutoff revokes every token of an account, or of one of its keys, issued
// before a time: revoking tokens without having stored them. It is kept
// until ExpiresAt, when every token it revokes has expired.
type Cutoff struct {
	AccountID string
	// KeyID, if set, limits the cutoff to tokens issued to that key.
	KeyID string
	// IssuedBefore is a whole second: tokens whose iat is before it are
	// revoked.
	IssuedBefore time.Time
	ExpiresAt    time.Time
	CreatedAt    time.Time
	CreatedBy    string
}

// RevocationStore persists revoked tokens and cutoffs.
type RevocationStore interface {
	// RevokeToken records a revoked token and reports whether it was not
	// revoked already; revoking it again changes nothing.
	RevokeToken(ctx context.Context, t RevokedToken) (bool, error)
	// AddCutoff records a cutoff. An account (or key) holds one cutoff at
	// most: a new one keeps the later IssuedBefore and ExpiresAt of the
	// two, so a cutoff never brings a revoked token back.
	AddCutoff(ctx context.Context, c Cutoff) error
	// TokenRevoked reports, in one indexed query, whether the token with
	// that jti, issued to accountID's key keyID at issuedAt, is revoked by
	// its jti or by a cutoff.
	TokenRevoked(ctx context.Context, jti, accountID, keyID string, issuedAt time.Time) (bool, error)
	// ListRevocations returns the revoked tokens and cutoffs that expire
	// after t, ordered by jti and by account then key.
	ListRevocations(ctx context.Context, t time.Time) ([]RevokedToken, []Cutoff, error)
	// PruneRevocations deletes at most limit revoked tokens and limit
	// cutoffs that expired at or before t, and returns how many it
	// deleted.
	PruneRevocations(ctx context.Context, t time.Time, limit int) (int, error)
	// CountRevokedTokens returns how many tokens of the account are
	// revoked by jti and expire after t.
	CountRevokedTokens(ctx context.Context, accountID string, t time.Time) (int, error)
	// RevocationsVersion returns a number that changes whenever a token or
	// cutoff is added, by any instance sharing the database.
	RevocationsVersion(ctx context.Context) (int64, error)
}

// Rights on tokens.
var (
	readTokens  = rbac.Right{Permission: rbac.PermTokens, Operation: rbac.OpRead}
	writeTokens = rbac.Right{Permission: rbac.PermTokens, Operation: rbac.OpWrite}
)

// MaxTokenLifetime is the longest lifetime of access tokens iamd issues.
const MaxTokenLifetime = 24 * time.Hour

// revocationLeeway is how long after its exp a token is still accepted,
// resource.DefaultLeeway.
const revocationLeeway = time.Minute

// RevocationRetention is how long past its expiry a revocation is kept and
// published: twice the verifiers' leeway, so that a verifier whose clock
// runs up to a leeway behind still finds it while it accepts the token.
const RevocationRetention = 2 * revocationLeeway

// maxSelfRevocations bounds the tokens an account may revoke one by one
// (by jti) while they are unexpired; past it, revoking one of its own
// tokens revokes it with a cutoff of its key instead (the token and every
// earlier one of the key), so that no account can make the public feed
// grow without bound.
const maxSelfRevocations = 100

// revocationPruneBatch bounds the expired revocations each new one deletes, so a
// revocation does a bounded amount of extra work however many expired.
const revocationPruneBatch = 100

// Token is a verified access token, as its claims describe it.
type Token struct {
	// ID is its jti.
	ID string
	// AccountID and KeyID are the account and key it was issued to.
	AccountID string
	KeyID     string
	// ClientID and OrgID are the client ID and organization of the
	// account when it was issued.
	ClientID  string
	OrgID     string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// tokenView is a revoked token as the audit log records it.
type tokenView struct {
	ID        string    `json:"jti"`
	Key       string    `json:"key,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// cutoffView is a cutoff as the audit log records it.
type cutoffView struct {
	Key          string    `json:"key,omitempty"`
	IssuedBefore time.Time `json:"issued_before"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// tokenOwner returns the account a token was issued to, and the
// organization whose rights govern the token: the account's, or the
// token's own if the account was deleted since.
func (s *Service) tokenOwner(ctx context.Context, t Token) (Account, string, error) {
	a, err := s.store.GetAccount(ctx, t.AccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return Account{}, t.OrgID, nil
	}
	if err != nil {
		return Account{}, "", err
	}
	return a, a.OrgID, nil
}

// RevokeToken revokes a token until it expires (RFC 7009). An account
// revokes its own tokens; the tokens of others require iam.tokens write on
// their account's organization. Revoking a token again changes nothing.
// The revocation is recorded in the audit log.
func (s *Service) RevokeToken(ctx context.Context, actor rbac.Actor, t Token) error {
	a, org, err := s.tokenOwner(ctx, t)
	if err != nil {
		return err
	}
	target := t.ClientID
	if a.ID != "" {
		target = s.ids.Of(a)
	}
	self := actor.ID == target && a.ID != ""
	if !self {
		if err := actor.Need(org, writeTokens); err != nil {
			return err
		}
	}
	now := storage.Time(s.now())
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		if self {
			n, err := s.store.CountRevokedTokens(ctx, a.ID, now.Add(-RevocationRetention))
			if err != nil {
				return err
			}
			if n >= maxSelfRevocations {
				return s.selfCutoff(ctx, actor, a, t)
			}
		}
		added, err := s.store.RevokeToken(ctx, RevokedToken{
			ID: t.ID, AccountID: t.AccountID, ExpiresAt: storage.Time(t.ExpiresAt), RevokedAt: now, RevokedBy: actor.ID,
		})
		if err != nil || !added {
			return err
		}
		if _, err := s.store.PruneRevocations(ctx, now.Add(-RevocationRetention), revocationPruneBatch); err != nil {
			return err
		}
		return s.audit.Record(ctx, actor.ID, "token.revoke", org, target, nil,
			tokenView{ID: t.ID, Key: t.KeyID, ExpiresAt: storage.Time(t.ExpiresAt)})
	})
}

// RevokeTokensOf revokes every token of the account issued until now, or
// only those of its key keyID if set, without storing any token: a cutoff.
// It requires iam.tokens write on the account's organization. The cutoff
// covers the whole current second, since tokens carry their issue time in
// seconds.
func (s *Service) RevokeTokensOf(ctx context.Context, actor rbac.Actor, clientID, keyID string) (Cutoff, error) {
	a, err := s.lookupFor(ctx, actor, clientID, writeTokens)
	if err != nil {
		return Cutoff{}, err
	}
	if keyID != "" {
		c, err := s.store.GetCredential(ctx, keyID)
		if errors.Is(err, storage.ErrNotFound) || err == nil && c.Account.ID != a.ID {
			return Cutoff{}, storage.Errorf(storage.ErrNotFound, "account %s has no key %s", storage.Quote(clientID), storage.Quote(keyID))
		}
		if err != nil {
			return Cutoff{}, err
		}
	}
	var out Cutoff
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		out, err = s.cutoff(ctx, actor, a, keyID)
		return err
	})
	return out, err
}

// cutoff records, in the caller's transaction, a cutoff of the tokens of
// a (of its key keyID if set) issued until now, and audits it. It requires
// iam.tokens write on the account's organization.
func (s *Service) cutoff(ctx context.Context, actor rbac.Actor, a Account, keyID string) (Cutoff, error) {
	if err := actor.Need(a.OrgID, writeTokens); err != nil {
		return Cutoff{}, err
	}
	c, err := s.addCutoff(ctx, a.ID, keyID, cutoffTime(s.now()), actor.ID)
	if err != nil {
		return Cutoff{}, err
	}
	return c, s.record(ctx, actor, "token.cutoff", a, nil, cutoffView{Key: keyID, IssuedBefore: c.IssuedBefore, ExpiresAt: c.ExpiresAt})
}

// cutoffTime is the issued_before of a cutoff made at now. iat is in whole
// seconds: a token issued later in this second has the same iat as one
// issued before, so the cutoff takes the whole second.
func cutoffTime(now time.Time) time.Time {
	return now.Truncate(time.Second).Add(time.Second)
}

// addCutoff stores a cutoff of the tokens of account accountID (of its key
// keyID if set) issued before before, in the caller's transaction, and
// prunes expired revocations. Its expiry is when the last token it may
// revoke expires: MaxTokenLifetime later, whatever lifetime the instances
// issue tokens with now. Like a revoked token's, it is kept and published
// RevocationRetention past that.
func (s *Service) addCutoff(ctx context.Context, accountID, keyID string, before time.Time, by string) (Cutoff, error) {
	now := storage.Time(s.now())
	c := Cutoff{AccountID: accountID, KeyID: keyID, IssuedBefore: before,
		ExpiresAt: before.Add(MaxTokenLifetime), CreatedAt: now, CreatedBy: by}
	if err := s.store.AddCutoff(ctx, c); err != nil {
		return Cutoff{}, err
	}
	if _, err := s.store.PruneRevocations(ctx, now.Add(-RevocationRetention), revocationPruneBatch); err != nil {
		return Cutoff{}, err
	}
	return c, nil
}

// selfCutoff revokes an account's own token t with a cutoff of its key at
// t's issue time, for an account past maxSelfRevocations.
func (s *Service) selfCutoff(ctx context.Context, actor rbac.Actor, a Account, t Token) error {
	c, err := s.addCutoff(ctx, a.ID, t.KeyID, cutoffTime(t.IssuedAt), actor.ID)
	if err != nil {
		return err
	}
	return s.record(ctx, actor, "token.cutoff", a, nil, cutoffView{Key: t.KeyID, IssuedBefore: c.IssuedBefore, ExpiresAt: c.ExpiresAt})
}

// TokenRevoked reports whether the token is revoked, by its jti or by a
// cutoff, with one query. It checks no right.
func (s *Service) TokenRevoked(ctx context.Context, t Token) (bool, error) {
	return s.store.TokenRevoked(ctx, t.ID, t.AccountID, t.KeyID, t.IssuedAt)
}

// Revocations returns the revoked tokens and cutoffs that expire after t.
// It checks no right: the feed is public, like the JWKS.
func (s *Service) Revocations(ctx context.Context, t time.Time) ([]RevokedToken, []Cutoff, error) {
	return s.store.ListRevocations(ctx, t)
}

// RevocationsVersion returns the version of the revocations (see
// RevocationStore).
func (s *Service) RevocationsVersion(ctx context.Context) (int64, error) {
	return s.store.RevocationsVersion(ctx)
}

// MayIntrospect reports whether the actor may introspect tokens of
// accounts in org: it holds iam.tokens read there.
func MayIntrospect(actor rbac.Actor, org string) bool { return actor.Can(org, readTokens) }

// MayIntrospectAny reports whether the actor holds iam.tokens read on some
// organization.
func MayIntrospectAny(actor rbac.Actor) bool {
	ids, all := actor.Visible(readTokens)
	return all || len(ids) > 0
}
