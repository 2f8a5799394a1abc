package oauth

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/resource"
)

// feed caches the revocation feed's body. It is rebuilt when the
// revocations' version moved (a revocation by any instance) or its first
// entry expired, so serving it costs one single-row query.
type feed struct {
	mu      sync.Mutex
	version int64
	// until is when the first entry leaves the feed.
	until time.Time
	body  []byte
	etag  string
}

// Revocations returns the revocation feed (resource.Revocations) as JSON,
// with its ETag. It lists every revoked token and cutoff until it expires,
// plus accounts.RevocationRetention, twice the verifiers' leeway, so that a
// verifier whose clock runs behind still finds it while it accepts the
// tokens it revokes. It reflects revocations
// made by any instance sharing the database as soon as they commit.
func (s *Server) Revocations(ctx context.Context) (body []byte, etag string, err error) {
	v, err := s.accounts.RevocationsVersion(ctx)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.body != nil && f.version == v && now.Before(f.until) {
		return f.body, f.etag, nil
	}
	tokens, cutoffs, err := s.accounts.Revocations(ctx, now.Add(-accounts.RevocationRetention))
	if err != nil {
		return nil, "", err
	}
	out := resource.Revocations{Issuer: s.cfg.Issuer, Tokens: []resource.RevokedToken{}, Cutoffs: []resource.Cutoff{}}
	until := now.Add(time.Hour)
	next := func(exp time.Time) {
		if t := exp.Add(accounts.RevocationRetention); t.Before(until) {
			until = t
		}
	}
	for _, t := range tokens {
		out.Tokens = append(out.Tokens, resource.RevokedToken{ID: t.ID, Expiry: t.ExpiresAt.Unix()})
		next(t.ExpiresAt)
	}
	for _, c := range cutoffs {
		out.Cutoffs = append(out.Cutoffs, resource.Cutoff{Account: c.AccountID, Key: c.KeyID,
			IssuedBefore: c.IssuedBefore.Unix(), Expiry: c.ExpiresAt.Unix()})
		next(c.ExpiresAt)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, "", err
	}
	f.version, f.until, f.body, f.etag = v, until, b, sha256Tag(b)
	return f.body, f.etag, nil
}
