package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MetadataPath is where an authorization server publishes its metadata,
// after its issuer URL (RFC 8414 §3, for an issuer without a path).
const MetadataPath = "/.well-known/oauth-authorization-server"

// Defaults of RemoteConfig.
const (
	DefaultRefetchInterval  = 5 * time.Second
	DefaultMaxAge           = time.Hour
	DefaultMaxResponseBytes = 1 << 20
)

// fetchTimeout bounds a refetch made for a lookup, which has no context.
const fetchTimeout = 10 * time.Second

// RemoteConfig tunes RemoteKeys; its zero value is the defaults.
type RemoteConfig struct {
	// Client fetches metadata and keys; nil is a client with a ten second
	// timeout.
	Client *http.Client
	// MetadataURL is where to read the metadata when not at the issuer's
	// URL followed by MetadataPath.
	MetadataURL string
	// RefetchInterval is the least time between two fetches of the key
	// set. A token signed with a key the set lacks makes RemoteKeys fetch
	// it again, at most this often, so that a new key is found at once
	// while tokens with made-up key IDs cannot flood the server.
	RefetchInterval time.Duration
	// MaxAge is how long a key set is used before a lookup fetches it
	// again, so that a key the server stops publishing stops verifying.
	// If that fetch fails, the old set stays in use.
	MaxAge time.Duration
	// MaxResponseBytes bounds the metadata and the key set.
	MaxResponseBytes int64
	// OnError, if not nil, is called with the error of every failed
	// refetch (lookups only say that a key is unknown).
	OnError func(error)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// RemoteKeys are the signing keys an authorization server publishes at the
// jwks_uri of its metadata (RFC 8414 §2, RFC 7517 §5), fetched and cached
// for a Verifier: pass its Lookup to NewVerifier. It is safe for concurrent
// use; lookups of cached keys take no lock.
type RemoteKeys struct {
	issuer, jwksURI string
	client          *http.Client
	cfg             RemoteConfig

	set atomic.Pointer[keySet]
	// mu serializes fetches; lastFetch is when the latest one started.
	mu        sync.Mutex
	lastFetch time.Time
}

// keySet is one fetched key set.
type keySet struct {
	keys    map[string]jose.JSONWebKey
	fetched time.Time
}

// NewRemoteKeys reads the metadata of issuer and the key set it names. The
// metadata must name issuer as its issuer (RFC 8414 §3.3), so that one
// server's metadata cannot pass for another's. An empty issuer takes the
// one the metadata at cfg.MetadataURL names: only for a caller that trusts
// that URL, like a client of its own server.
func NewRemoteKeys(ctx context.Context, issuer string, cfg RemoteConfig) (*RemoteKeys, error) {
	cfg = withDefaults(cfg)
	k := &RemoteKeys{client: cfg.Client, cfg: cfg}
	mdURL := cfg.MetadataURL
	if mdURL == "" {
		if issuer == "" {
			return nil, errors.New("remote keys: want an issuer or a metadata URL")
		}
		mdURL = strings.TrimRight(issuer, "/") + MetadataPath
	}
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := k.get(ctx, mdURL, &md); err != nil {
		return nil, err
	}
	switch {
	case md.Issuer == "":
		return nil, fmt.Errorf("metadata at %s names no issuer", mdURL)
	case issuer != "" && md.Issuer != issuer:
		return nil, fmt.Errorf("metadata at %s names issuer %s, not %s", mdURL, quote(md.Issuer), quote(issuer))
	case !httpURL(md.JWKSURI):
		return nil, fmt.Errorf("metadata at %s: jwks_uri %s is not an http(s) URL", mdURL, quote(md.JWKSURI))
	}
	k.issuer, k.jwksURI = md.Issuer, md.JWKSURI
	k.lastFetch = cfg.Now()
	set, err := k.fetch(ctx)
	if err != nil {
		return nil, err
	}
	k.set.Store(set)
	return k, nil
}

func withDefaults(cfg RemoteConfig) RemoteConfig {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.RefetchInterval <= 0 {
		cfg.RefetchInterval = DefaultRefetchInterval
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Issuer returns the issuer the metadata names.
func (k *RemoteKeys) Issuer() string { return k.issuer }

// Lookup returns the published signing key with key ID kid. It is a
// KeyLookup. A key ID the cached set lacks, or a set older than MaxAge,
// makes it fetch the set again, unless the last fetch is more recent than
// RefetchInterval.
func (k *RemoteKeys) Lookup(kid string) (jose.JSONWebKey, bool) {
	if kid == "" {
		return jose.JSONWebKey{}, false
	}
	set := k.set.Load()
	if key, ok := set.keys[kid]; ok && k.fresh(set) {
		return key, true
	}
	key, ok := k.refetch().keys[kid]
	return key, ok
}

func (k *RemoteKeys) fresh(set *keySet) bool {
	return k.cfg.Now().Sub(set.fetched) < k.cfg.MaxAge
}

// refetch fetches the key set again, at most every RefetchInterval, and
// returns the set to use: the old one if the fetch fails.
func (k *RemoteKeys) refetch() *keySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	// Lookups that waited for another's fetch find it recent, and use the
	// set it stored.
	set := k.set.Load()
	now := k.cfg.Now()
	if now.Sub(k.lastFetch) < k.cfg.RefetchInterval {
		return set
	}
	k.lastFetch = now
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	fresh, err := k.fetch(ctx)
	if err != nil {
		if k.cfg.OnError != nil {
			k.cfg.OnError(err)
		}
		return set
	}
	k.set.Store(fresh)
	return fresh
}

// fetch reads the key set. It keeps the public half of each signing key
// (RFC 7517 §4.2: use "sig" or none) with a key ID, and leaves out the
// keys it cannot read, symmetric keys and key IDs named twice, which no
// token could be checked with unambiguously.
func (k *RemoteKeys) fetch(ctx context.Context) (*keySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.get(ctx, k.jwksURI, &raw); err != nil {
		return nil, err
	}
	keys := map[string]jose.JSONWebKey{}
	seen := map[string]int{}
	for _, r := range raw.Keys {
		var jwk jose.JSONWebKey
		// A key of a type this version of go-jose does not know must not
		// hide the others.
		if err := json.Unmarshal(r, &jwk); err != nil || jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") {
			continue
		}
		if seen[jwk.KeyID]++; seen[jwk.KeyID] > 1 {
			delete(keys, jwk.KeyID)
			continue
		}
		if pub := jwk.Public(); pub.Valid() {
			keys[jwk.KeyID] = pub
		}
	}
	return &keySet{keys: keys, fetched: k.cfg.Now()}, nil
}

// get fetches a JSON document of at most MaxResponseBytes into out.
func (k *RemoteKeys) get(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		// A url.Error would repeat the URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, k.cfg.MaxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	if int64(len(body)) > k.cfg.MaxResponseBytes {
		return fmt.Errorf("fetch %s: the response is larger than %d bytes", u, k.cfg.MaxResponseBytes)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	return nil
}
