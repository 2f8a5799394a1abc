package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/iamd/iamd/web"
)

// apiPrefix is where the management API lives: the document's server URL.
const apiPrefix = "/api/v1"

// openAPI is the management API's OpenAPI document, loaded and validated
// once for the whole test binary.
var openAPI = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(web.OpenAPI())
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openAPI()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// checkResponse fails the test if r, the response to a management API
// request, is not one the OpenAPI document describes for req: a status it
// lists for the operation and a body that matches the schema. Every
// request the fixture sends comes through here. Requests to routes the API
// does not have are left to TestOpenAPIDescribesEveryRoute.
func checkResponse(t testing.TB, req *http.Request, r *response) {
	t.Helper()
	router, err := openAPIRouter()
	if err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	req = withRequestURI(req)
	if req == nil || !strings.HasPrefix(req.URL.Path, apiPrefix+"/") {
		return
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.Status,
		Header:                 r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			// A failure names the field and the rule it breaks; the whole
			// schema printed after it would bury that.
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: the response does not match the OpenAPI document: %v\nstatus %d, body %.2000s", req.Method, req.URL.Path, err, r.Status, r.Body)
	}
}

// withRequestURI returns req with its URL as sent: tests that need a path
// httptest.NewRequest refuses set RequestURI instead. It returns nil for a
// path that is not a URL at all.
func withRequestURI(req *http.Request) *http.Request {
	if req.RequestURI == "" || req.RequestURI == req.URL.RequestURI() {
		return req
	}
	u, err := url.ParseRequestURI(req.RequestURI)
	if err != nil {
		return nil
	}
	clone := req.Clone(context.Background())
	clone.URL = u
	return clone
}

// fiberParam matches a fiber route parameter, as in /orgs/:id.
var fiberParam = regexp.MustCompile(`:([a-z_]+)`)

// TestOpenAPIDescribesEveryRoute holds the document to the route table:
// every route under /api/v1 is in it with its method, and it names no
// route or method the server does not have.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc, err := openAPI()
	if err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != apiPrefix {
		t.Fatalf("servers %v, want the one %s", doc.Servers, apiPrefix)
	}
	f := newFixture(t)
	var served []string
	for _, r := range f.srv.App().GetRoutes(true) {
		// fiber adds HEAD to every GET route; the document leaves it
		// implicit, as HTTP does.
		if r.Method == http.MethodHead || !strings.HasPrefix(r.Path, apiPrefix+"/") {
			continue
		}
		served = append(served, r.Method+" "+fiberParam.ReplaceAllString(strings.TrimPrefix(r.Path, apiPrefix), "{$1}"))
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	served = slices.Compact(served)
	slices.Sort(documented)
	if len(served) < 40 {
		t.Fatalf("only %d routes under %s: %q", len(served), apiPrefix, served)
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is missing from the OpenAPI document", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("the OpenAPI document names %s, which the server does not have", r)
		}
	}
}

// TestOpenAPIDocumentIsServed checks that anyone can read the document,
// and that it is the one the tests hold the API to.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	f := newFixture(t)
	r := f.call(t, http.MethodGet, apiPrefix+"/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200 without a token; body %.300s", r.Status, r.Body)
	}
	wantJSONType(t, r)
	if string(r.Body) != string(web.OpenAPI()) {
		t.Error("the served document differs from the embedded one")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, err %v: want an OpenAPI 3 document", doc.OpenAPI, err)
	}
	t.Run("a token is not needed, and a bad one is not looked at", func(t *testing.T) {
		if r := f.call(t, http.MethodGet, apiPrefix+"/openapi.json", "not-a-token", nil); r.Status != http.StatusOK {
			t.Errorf("status %d, want 200", r.Status)
		}
	})
}
