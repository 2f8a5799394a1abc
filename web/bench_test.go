package web_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// BenchmarkTokenEndpointHTTP issues tokens over loopback HTTP/1.1 with
// keep-alive: GOMAXPROCS*4 clients, each on a connection of its own, doing
// client_secret_basic requests against the full stack (fasthttp, fiber, a
// SQLite key lookup, ES256 signing).
func BenchmarkTokenEndpointHTTP(b *testing.B) {
	f := newFixture(b, withQuietLog(io.Discard))
	tok := f.adminToken(b)
	f.createOrg(b, tok, "billing")
	c := f.client(b, tok, web.CreateAccountRequest{ID: "bench", Org: "billing"})
	url := f.serve(b) + oauth.TokenPath

	const parallelism = 4
	conns := runtime.GOMAXPROCS(0) * parallelism
	transport := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	b.Cleanup(transport.CloseIdleConnections)
	body, auth := grant().Encode(), basicAuth(c.ClientID, c.Secret)

	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			// Read the body in full, so the connection is reused.
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || n == 0 {
				b.Errorf("status %d with %d bytes of body", res.StatusCode, n)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
