// Command go-resource-server is an example resource server that accepts
// iamd access tokens: GET /invoices?org=ORG answers to a token for its
// audience that allows billing.invoices:read in ORG. With -revocations (or
// REVOCATIONS=1 in its environment) it polls iamd's revocation feed and
// refuses the tokens revoked before they expire.
//
//	go run ./examples/go-resource-server -issuer http://127.0.0.1:8080 -audience https://billing.example.com -revocations
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/iamd/iamd/examples/go-resource-server/invoices"
	"github.com/iamd/iamd/resource"
)

func main() {
	issuer := flag.String("issuer", "", "the iamd issuer URL (required)")
	audience := flag.String("audience", "https://billing.example.com", "the audience tokens must name")
	addr := flag.String("addr", "127.0.0.1:8081", "the address to listen on")
	revocations := flag.Bool("revocations", os.Getenv("REVOCATIONS") == "1", "poll the issuer's revocation feed and refuse revoked tokens (default from REVOCATIONS=1)")
	flag.Parse()
	if *issuer == "" {
		log.Fatal("-issuer is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys, err := resource.NewRemoteKeys(ctx, *issuer, resource.RemoteConfig{
		OnError: func(err error) { log.Printf("refreshing the keys: %v (the last good ones stay in use)", err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	verifier := resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now)
	if *revocations {
		revs, err := resource.NewRemoteRevocations(ctx, keys.Issuer(), resource.FeedConfig{
			OnError: func(err error) { log.Printf("polling the revocation feed: %v (the last good list stays in use)", err) },
		})
		if err != nil {
			log.Fatal(err)
		}
		go revs.Run(context.Background())
		verifier = verifier.WithRevocations(revs.Revoked)
	}
	srv := &http.Server{Addr: *addr, Handler: invoices.Handler(verifier, *audience), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("listening on %s for tokens of %s", *addr, keys.Issuer())
	log.Fatal(srv.ListenAndServe())
}
