package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/web"
)

// Timing of background work.
const (
	// keyRefresh is how often an instance reloads signing keys, picking up
	// rotations made by other instances.
	keyRefresh = 30 * time.Second
	// jwksMaxAge is how long clients may cache the JWKS and metadata.
	jwksMaxAge = 5 * time.Minute
	// usageFlush is how often last-used times are written.
	usageFlush = 10 * time.Second
	// shutdownGrace bounds how long requests in flight may finish.
	shutdownGrace = 10 * time.Second
)

type serveFlags struct {
	serverFlags
	addr   string
	issuer string
	// assertionLifetime bounds the exp of client assertions.
	assertionLifetime string
	tokenTTL          string
	defaultAudience   string
	trustedProxies    []string
	signingAlg        string
}

func newServeCmd(c *cli) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the authorization server",
		Long: `Run the authorization server: the token endpoint, discovery, JWKS and the
management API. Migrates the database first and creates a signing key if
none is active. By default it uses an embedded SQLite database in ./iamd-data
and listens on 127.0.0.1:8080.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd.Context(), c)
		},
	}
	fs := cmd.Flags()
	f.register(fs)
	fs.StringVar(&f.addr, "addr", envOr("IAMD_ADDR", "127.0.0.1:8080"), "address to listen on [IAMD_ADDR]")
	fs.StringVar(&f.issuer, "issuer", os.Getenv("IAMD_ISSUER"), "issuer URL, as clients reach the server (default: http://ADDR) [IAMD_ISSUER]")
	fs.StringVar(&f.tokenTTL, "token-ttl", envOr("IAMD_TOKEN_TTL", "1h"), "lifetime of access tokens, 1m to 24h [IAMD_TOKEN_TTL]")
	fs.StringVar(&f.assertionLifetime, "assertion-max-lifetime", envOr("IAMD_ASSERTION_MAX_LIFETIME", "5m"), "how far ahead the exp of a client assertion (private_key_jwt) may be, 30s to 1h [IAMD_ASSERTION_MAX_LIFETIME]")
	fs.StringVar(&f.defaultAudience, "default-audience", os.Getenv("IAMD_DEFAULT_AUDIENCE"), "audience of tokens requested without audience or resource (default: the issuer) [IAMD_DEFAULT_AUDIENCE]")
	fs.StringSliceVar(&f.trustedProxies, "trusted-proxies", splitList(os.Getenv("IAMD_TRUSTED_PROXIES")), "reverse proxies (IPs or CIDRs) whose X-Forwarded-For is trusted [IAMD_TRUSTED_PROXIES]")
	fs.StringVar(&f.signingAlg, "signing-alg", envOr("IAMD_SIGNING_ALG", signing.ES256), "algorithm of the first signing key: ES256, EdDSA or RS256 [IAMD_SIGNING_ALG]")
	return cmd
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (f *serveFlags) run(ctx context.Context, c *cli) error {
	log, err := f.logger(c.errOut)
	if err != nil {
		return err
	}
	ttl, err := time.ParseDuration(f.tokenTTL)
	if err != nil || ttl < time.Minute || ttl > accounts.MaxTokenLifetime {
		return usagef("--token-ttl: want a duration from 1m to 24h, got %q", f.tokenTTL)
	}
	assertionTTL, err := time.ParseDuration(f.assertionLifetime)
	if err != nil || assertionTTL < 30*time.Second || assertionTTL > time.Hour {
		return usagef("--assertion-max-lifetime: want a duration from 30s to 1h, got %q", f.assertionLifetime)
	}
	ids, err := accounts.NewClientIDs(f.domain)
	if err != nil {
		return usagef("--domain: %v", err)
	}
	if f.defaultAudience != "" && !accounts.ValidAudience(f.defaultAudience) {
		return usagef("--default-audience: want visible ASCII without spaces or '#'; a URI must be absolute, without a fragment (RFC 8707 section 2); got %q", f.defaultAudience)
	}
	proxies, err := web.ParseTrustedProxies(f.trustedProxies)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	st, mk, err := f.openKeyed(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	issuer, err := f.issuerURL(ln.Addr(), log)
	if err != nil {
		return err
	}

	keys := oauth.NewKeySet(st, mk, ttl+resource.DefaultLeeway, time.Now, log)
	if created, err := keys.Ensure(ctx, f.signingAlg); err != nil {
		return err
	} else if created {
		log.Info("created a signing key", "alg", f.signingAlg)
	}
	usage := accounts.NewUsageRecorder(st, log)
	svc := newServices(st, ids, usage, time.Now)
	tokens := oauth.NewServer(oauth.Config{
		Issuer: issuer, TokenTTL: ttl, DefaultAudience: f.defaultAudience, AssertionLifetime: assertionTTL, Throttle: oauth.DefaultThrottle,
	}, svc.accts, svc.orgs, keys, time.Now, log)
	srv := web.New(web.Options{
		OAuth: tokens, Accounts: svc.accts, Orgs: svc.orgs, Users: svc.users, Issuer: issuer, Ready: st.Ping, Log: log,
		TrustedProxies: proxies, JWKSMaxAge: jwksMaxAge,
		DefaultActivation: jwksMaxAge + 2*keyRefresh, MinActivation: jwksMaxAge + keyRefresh, Now: time.Now,
	})

	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	go keys.Run(bg, keyRefresh)
	flushed := make(chan struct{})
	go func() {
		usage.Run(bg, usageFlush)
		close(flushed)
	}()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "issuer", issuer)

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down")
	if err := srv.Shutdown(shutdownGrace); err != nil {
		log.Error("shutdown", "err", err)
	}
	stop()
	<-flushed // last-used times are written before exit
	return nil
}

// issuerURL returns --issuer, checked, or the listening address as a URL.
func (f *serveFlags) issuerURL(addr net.Addr, log *slog.Logger) (string, error) {
	issuer := f.issuer
	if issuer == "" {
		issuer = "http://" + addr.String()
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("--issuer: want an http(s) URL without query or fragment (RFC 8414 section 2), got %q", issuer)
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			log.Warn("the issuer is not https: tokens and secrets cross the network in the clear; serve behind TLS and set --issuer https://...", "issuer", issuer)
		}
	}
	return strings.TrimRight(issuer, "/"), nil
}
