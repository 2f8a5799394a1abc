package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
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
	DefaultMinAge           = time.Minute
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
	// If that fetch fails, the old set stays in use. A JWKS answer with
	// Cache-Control max-age is used for that long instead, kept between
	// MinAge and MaxAge: a server cannot make every lookup fetch, nor a set
	// live forever.
	MaxAge time.Duration
	// MinAge is the least time a key set is used before it is fetched
	// again, whatever its Cache-Control says (no-cache included); at most
	// MaxAge.
	MinAge time.Duration
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
	// maxAge is how long the set is used, from its Cache-Control.
	maxAge time.Duration
	// etag revalidates the set: a 304 keeps it for another maxAge.
	etag string
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
	set, err := k.fetch(ctx, nil)
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
	if cfg.MinAge <= 0 {
		cfg.MinAge = DefaultMinAge
	}
	cfg.MinAge = min(cfg.MinAge, cfg.MaxAge)
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
	return k.cfg.Now().Sub(set.fetched) < set.maxAge
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
	fresh, err := k.fetch(ctx, set)
	if err != nil {
		if k.cfg.OnError != nil {
			k.cfg.OnError(err)
		}
		return set
	}
	k.set.Store(fresh)
	return fresh
}

// fetch reads the key set, revalidating old (if not nil) with its ETag:
// a 304 answer keeps old's keys for another max-age.
func (k *RemoteKeys) fetch(ctx context.Context, old *keySet) (*keySet, error) {
	var etag string
	if old != nil {
		etag = old.etag
	}
	body, h, err := k.getBody(ctx, k.jwksURI, etag)
	if err != nil {
		return nil, err
	}
	now := k.cfg.Now()
	if body == nil {
		// Not modified (RFC 9110 §15.4.5): the answer's Cache-Control
		// updates the stored one (RFC 9111 §4.3.4), when it has one.
		set := &keySet{keys: old.keys, fetched: now, maxAge: old.maxAge, etag: old.etag}
		if h.Get("Cache-Control") != "" {
			set.maxAge = k.maxAge(h)
		}
		if e := h.Get("ETag"); e != "" {
			set.etag = e
		}
		return set, nil
	}
	keys, err := parseKeys(body)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", k.jwksURI, err)
	}
	return &keySet{keys: keys, fetched: now, maxAge: k.maxAge(h), etag: h.Get("ETag")}, nil
}

// parseKeys keeps the public half of each signing key (RFC 7517 §4.2: use
// "sig" or none) with a key ID, and leaves out the keys it cannot read,
// symmetric keys and key IDs named twice, which no token could be checked
// with unambiguously.
func parseKeys(body []byte) (map[string]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
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
	return keys, nil
}

// maxAge is how long to use a key set answered with header h: its
// Cache-Control max-age (RFC 9111 §5.2.2.1) between MinAge and MaxAge,
// MinAge for no-cache or no-store, and MaxAge without either.
func (k *RemoteKeys) maxAge(h http.Header) time.Duration {
	return boundedAge(h, k.cfg.MinAge, k.cfg.MaxAge)
}

// boundedAge is the max-age of an answer with header h between minAge
// and maxAge, as RemoteKeys.maxAge says.
func boundedAge(h http.Header, minAge, maxAge time.Duration) time.Duration {
	age, ok := cacheMaxAge(h.Values("Cache-Control"))
	if !ok {
		return maxAge
	}
	return min(max(age, minAge), maxAge)
}

// cacheMaxAge reads max-age from Cache-Control values; no-cache and
// no-store count as zero. ok is false when neither appears or max-age is
// not a number.
func cacheMaxAge(values []string) (age time.Duration, ok bool) {
	found := false
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-cache", "no-store":
				return 0, true
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(arg, `"`), 10, 64)
				if err != nil || n < 0 {
					return 0, false
				}
				// Clamped before the conversion so it cannot overflow.
				age, found = time.Duration(min(n, 1<<32))*time.Second, true
			}
		}
	}
	return age, found
}

// get fetches a JSON document of at most MaxResponseBytes into out.
func (k *RemoteKeys) get(ctx context.Context, u string, out any) error {
	body, _, err := k.getBody(ctx, u, "")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	return nil
}

// getBody fetches u, a body of at most MaxResponseBytes, and returns the
// body and the answer's header. With an etag, it asks for the body only if
// it changed; a nil body means it did not (304).
func (k *RemoteKeys) getBody(ctx context.Context, u, etag string) ([]byte, http.Header, error) {
	return getBody(ctx, k.client, k.cfg.MaxResponseBytes, u, etag)
}

// getBody fetches u with client, a body of at most limit bytes, as
// RemoteKeys.getBody says; the revocation feed shares it.
func getBody(ctx context.Context, client *http.Client, limit int64, u, etag string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		// A url.Error would repeat the URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		return nil, resp.Header, nil
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("fetch %s: the response is larger than %d bytes", u, limit)
	}
	// A 200 with an empty body must not read as "not modified".
	if body == nil {
		body = []byte{}
	}
	return body, resp.Header, nil
}
