package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
	"github.com/iamd/iamd/web"
)

// benchBackends runs bench on SQLite and, with a server, PostgreSQL.
func benchBackends(b *testing.B, bench func(b *testing.B, opts ...option)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, withQuietLog(io.Discard)) })
	b.Run("postgres", func(b *testing.B) {
		db, err := postgres.Open(context.Background(), pgtest.URL(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		bench(b, withQuietLog(io.Discard), withStore(db))
	})
}

// withRevocations stores n revoked tokens and n cutoffs of other
// accounts, so the check runs on tables that are not empty.
func withRevocations(b *testing.B, f *fixture, n int) {
	ctx, now := context.Background(), time.Now()
	for i := range n {
		if _, err := f.db.RevokeToken(ctx, accounts.RevokedToken{ID: fmt.Sprintf("jti-%d", i), AccountID: fmt.Sprintf("acct-%d", i),
			ExpiresAt: now.Add(time.Hour), RevokedAt: now, RevokedBy: "bench"}); err != nil {
			b.Fatal(err)
		}
		if err := f.db.AddCutoff(ctx, accounts.Cutoff{AccountID: fmt.Sprintf("acct-%d", i), IssuedBefore: now,
			ExpiresAt: now.Add(time.Hour), CreatedAt: now, CreatedBy: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRevocationCheck is the query the management API and
// introspection run for every token, against 1,000 revoked tokens and
// 1,000 cutoffs.
func BenchmarkRevocationCheck(b *testing.B) {
	benchBackends(b, func(b *testing.B, opts ...option) {
		f := newFixture(b, opts...)
		withRevocations(b, f, 1000)
		t := accounts.Token{ID: "not-revoked", AccountID: "acct-x", KeyID: "key-x", IssuedAt: time.Now()}
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if revoked, err := f.accts.TokenRevoked(ctx, t); err != nil || revoked {
				b.Fatal(revoked, err)
			}
		}
	})
}

// BenchmarkManagementAPICall is one GET /api/v1/orgs/acme over loopback,
// of which the revocation check is one query: compare with
// BenchmarkRevocationCheck.
func BenchmarkManagementAPICall(b *testing.B) {
	benchBackends(b, func(b *testing.B, opts ...option) {
		f := newFixture(b, opts...)
		withRevocations(b, f, 1000)
		tok := f.adminToken(b)
		url := f.serve(b) + "/api/v1/orgs/acme"
		benchRequests(b, f, http.StatusOK, func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			return req
		})
	})
}

// BenchmarkIntrospection is one introspection over loopback: client
// authentication, verification, the account and the revocation check.
func BenchmarkIntrospection(b *testing.B) {
	benchBackends(b, func(b *testing.B, opts ...option) {
		f := newFixture(b, opts...)
		withRevocations(b, f, 1000)
		admin := f.adminToken(b)
		f.createOrg(b, admin, "billing")
		svc := f.client(b, admin, web.CreateAccountRequest{ID: "svc", Org: "billing"})
		body := url.Values{"token": {f.accessToken(b, svc)}}.Encode()
		auth := basicAuth(f.admin.ClientID, f.admin.Secret)
		u := f.serve(b) + oauth.IntrospectionPath
		benchRequests(b, f, http.StatusOK, func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			return req
		})
	})
}

// BenchmarkRevocationFeed is a conditional GET of the feed that is
// answered 304: the version query and nothing else.
func BenchmarkRevocationFeed(b *testing.B) {
	benchBackends(b, func(b *testing.B, opts ...option) {
		f := newFixture(b, opts...)
		withRevocations(b, f, 1000)
		etag := f.feed(b, "").Header.Get("ETag")
		u := f.serve(b) + "/oauth2/revocations"
		benchRequests(b, f, http.StatusNotModified, func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("If-None-Match", etag)
			return req
		})
	})
}

// benchRequests sends the requests newReq makes to f, timed, each answered
// want.
func benchRequests(b *testing.B, f *fixture, want int, newReq func() *http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := f.hc.Do(newReq())
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			b.Fatalf("status %d, want %d", res.StatusCode, want)
		}
	}
}
