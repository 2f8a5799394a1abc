package resource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/iamd/iamd/resource"
)

func ExampleCompact() {
	rights := resource.Compact([]resource.Triple{
		{Org: "billing", Permission: "iam.keys", Operation: "write"},
		{Org: "sales", Permission: "billing.invoices", Operation: "read"},
		{Org: "billing", Permission: "billing.invoices", Operation: "read"},
		{Org: "billing", Permission: "iam.keys", Operation: "read"},
	})
	b, _ := json.Marshal(rights)
	fmt.Println(string(b))
	// Output: [{"orgs":["billing","sales"],"scope":"billing.invoices:read"},{"orgs":["billing"],"scope":"iam.keys:read iam.keys:write"}]
}

func ExampleRights_Allows() {
	var rights resource.Rights
	json.Unmarshal([]byte(`[{"orgs":["billing","sales"],"scope":"billing.invoices:read"},
		{"orgs":["billing"],"scope":"iam.keys:read iam.keys:write"}]`), &rights)
	fmt.Println(rights.Allows("sales", "billing.invoices", "read"))
	fmt.Println(rights.Allows("sales", "iam.keys", "write"))
	fmt.Println(rights.Allows("billing", "iam.keys", "write"))
	// Output:
	// true
	// false
	// true
}

func ExampleParseRequirement() {
	q, err := resource.ParseRequirement("billing:billing.invoices:read")
	fmt.Println(q.Org, q.Right(), err)
	_, err = resource.ParseRequirement("billing:billing.invoices:list")
	fmt.Println(err)
	// Output:
	// billing billing.invoices:read <nil>
	// requirement "billing:billing.invoices:list": operation "list" is not one of read, write, delete, archive
}

// A resource server checks each request's token, then the right the
// request needs in the organization it touches.
func Example() {
	ctx := context.Background()
	keys, err := resource.NewRemoteKeys(ctx, "https://iam.example.com", resource.RemoteConfig{})
	if err != nil {
		log.Fatal(err)
	}
	verifier := resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now)

	mux := http.NewServeMux()
	orgOf := func(r *http.Request) string { return r.PathValue("org") }
	mux.Handle("GET /orgs/{org}/invoices", resource.RequireIn(orgOf, "billing.invoices", "read",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims := resource.ClaimsFrom(r.Context())
			fmt.Fprintf(w, "invoices of %s for %s\n", r.PathValue("org"), claims.ClientID)
		})))
	log.Fatal(http.ListenAndServe(":8081", verifier.Middleware("https://billing.example.com", mux)))
}
