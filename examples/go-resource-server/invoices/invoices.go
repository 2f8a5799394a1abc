// Package invoices is the example resource server's one endpoint,
// GET /invoices?org=ORG, which lists the invoices of an organization to a
// caller whose iamd token allows billing.invoices:read there.
package invoices

import (
	"encoding/json"
	"net/http"

	"github.com/iamd/iamd/resource"
)

// Invoice is one invoice of the example's made-up data.
type Invoice struct {
	ID     string `json:"id"`
	Org    string `json:"org"`
	Amount int    `json:"amount_cents"`
}

// List is the answer of GET /invoices.
type List struct {
	Org      string    `json:"org"`
	ClientID string    `json:"client_id"`
	Items    []Invoice `json:"items"`
}

// Handler serves GET /invoices?org=ORG to requests with a token from v for
// audience that allows billing.invoices:read in ORG; the resource package
// answers the others with RFC 6750 challenges.
func Handler(v *resource.Verifier, audience string) http.Handler {
	mux := http.NewServeMux()
	org := func(r *http.Request) string { return r.URL.Query().Get("org") }
	mux.Handle("GET /invoices", resource.RequireIn(org, "billing.invoices", "read", http.HandlerFunc(list)))
	return v.Middleware(audience, mux)
}

func list(w http.ResponseWriter, r *http.Request) {
	org := r.URL.Query().Get("org")
	claims := resource.ClaimsFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(List{
		Org:      org,
		ClientID: claims.ClientID,
		Items:    []Invoice{{ID: org + "-0001", Org: org, Amount: 12000}},
	})
}
