package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// maxErrorBody bounds an error response, whatever the request echoed.
const maxErrorBody = 1 << 10

// send sends a request over real HTTP to base; a non-empty body is sent as
// application/json. A management API response is checked against the
// OpenAPI document.
func send(t *testing.T, base, method, path, token, body string) *response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %.60s: %v", method, path, err)
	}
	resp := readResponse(t, res)
	checkResponse(t, req, resp)
	return resp
}

// TestErrorsDoNotEchoLongValues sends values far longer than any valid one
// where the API quotes what it refuses: the answer still says what was
// wrong, quoting only the start of the value and its length.
func TestErrorsDoNotEchoLongValues(t *testing.T) {
	f := newFixture(t)
	base := f.serve(t)
	tok := f.adminToken(t)
	huge := strings.Repeat("a", 900_000)
	// Paths and query strings must fit fasthttp's 8 KiB read buffer.
	long := strings.Repeat("b", 6_000)
	jsonString := func(fields ...string) string {
		var parts []string
		for i := 0; i+1 < len(fields); i += 2 {
			parts = append(parts, fmt.Sprintf("%q:%q", fields[i], fields[i+1]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
		// mention is what the message must say about the refused value.
		mention string
	}{
		{"a 900 KB organization id", http.MethodPost, "/api/v1/orgs", jsonString("id", huge),
			http.StatusBadRequest, "invalid_argument", "organization id \"aaaa"},
		{"a 900 KB parent organization", http.MethodPost, "/api/v1/orgs", jsonString("id", "team", "parent", huge),
			http.StatusNotFound, "not_found", "parent organization \"aaaa"},
		{"a 900 KB account id", http.MethodPost, "/api/v1/accounts", jsonString("id", huge, "org", rootOrg),
			http.StatusBadRequest, "invalid_argument", "account id \"aaaa"},
		{"a 900 KB organization of a new account", http.MethodPost, "/api/v1/accounts", jsonString("id", "bot", "org", huge),
			http.StatusNotFound, "not_found", "organization \"aaaa"},
		{"a 900 KB allowed audience", http.MethodPost, "/api/v1/accounts", `{"id":"bot","org":"acme","allowed_audiences":["` + huge + `"]}`,
			http.StatusBadRequest, "invalid_argument", "audience \"aaaa"},
		{"a 900 KB permission name", http.MethodPost, "/api/v1/permissions", jsonString("name", huge),
			http.StatusBadRequest, "invalid_argument", "permission \"aaaa"},
		{"a 900 KB right of a role", http.MethodPost, "/api/v1/roles", `{"org":"acme","name":"reader","rights":["` + huge + `"]}`,
			http.StatusBadRequest, "invalid_argument", "right \"aaaa"},
		{"a 900 KB perimeter entry of a role", http.MethodPost, "/api/v1/roles", `{"org":"acme","name":"reader","rights":[],"perimeter":["` + huge + `"]}`,
			http.StatusBadRequest, "invalid_argument", "organization \"aaaa"},
		{"a 900 KB group name", http.MethodPost, "/api/v1/groups", jsonString("org", rootOrg, "name", huge),
			http.StatusBadRequest, "invalid_argument", "group name \"aaaa"},
		{"a 900 KB signing algorithm", http.MethodPost, "/api/v1/signing-keys/rotate", jsonString("algorithm", huge),
			http.StatusBadRequest, "invalid_argument", "unknown signing algorithm \"aaaa"},
		{"a 900 KB unknown field name", http.MethodPost, "/api/v1/orgs", `{"` + huge + `":1}`,
			http.StatusBadRequest, "invalid_argument", "unknown field \"aaaa"},
		{"a 900 KB number", http.MethodPost, "/api/v1/accounts/" + adminID + "/keys", `{"expires_in":` + strings.Repeat("1", 900_000) + `}`,
			http.StatusBadRequest, "invalid_argument", "cannot unmarshal number into Go struct field CreateKeyRequest.expires_in of type int64"},
		{"a 900 KB expiry", http.MethodPost, "/api/v1/accounts/" + adminID + "/keys", jsonString("expires_at", huge),
			http.StatusBadRequest, "invalid_argument", "\"aaaa"},
		{"a long client id in the path", http.MethodGet, "/api/v1/accounts/" + long, "",
			http.StatusBadRequest, "invalid_argument", "\"bbbb"},
		{"a long client id in the path of its keys", http.MethodGet, "/api/v1/accounts/" + long + "@acme.iam/keys", "",
			http.StatusBadRequest, "invalid_argument", "\"bbbb"},
		{"a long key id in the path", http.MethodGet, "/api/v1/keys/" + long, "",
			http.StatusNotFound, "not_found", "key \"bbbb"},
		{"a long organization id in the path", http.MethodGet, "/api/v1/orgs/" + long, "",
			http.StatusNotFound, "not_found", "organization \"bbbb"},
		{"a long org in the query", http.MethodGet, "/api/v1/accounts?org=" + long, "",
			http.StatusNotFound, "not_found", "organization \"bbbb"},
		{"a long status in the query", http.MethodGet, "/api/v1/accounts?status=" + long, "",
			http.StatusBadRequest, "invalid_argument", "status must be"},
		{"a long page size in the query", http.MethodGet, "/api/v1/accounts?page_size=" + long, "",
			http.StatusBadRequest, "invalid_argument", "page_size"},
		{"a long page token in the query", http.MethodGet, "/api/v1/accounts?page_token=" + long, "",
			http.StatusBadRequest, "invalid_argument", "page_token"},
		{"a long role in the path", http.MethodGet, "/api/v1/roles/" + long + "/reader", "",
			http.StatusBadRequest, "invalid_argument", "role \"bbbb"},
		{"a long group in the path of its members", http.MethodGet, "/api/v1/groups/acme/" + long + "/members", "",
			http.StatusBadRequest, "invalid_argument", "group \"acme/bbbb"},
		{"a long permission in the path", http.MethodGet, "/api/v1/permissions/" + long, "",
			http.StatusNotFound, "not_found", "permission \"bbbb"},
		{"a long subtree root in the query", http.MethodGet, "/api/v1/orgs?under=" + long, "",
			http.StatusNotFound, "not_found", "organization \"bbbb"},
		{"a long audit page token in the query", http.MethodGet, "/api/v1/audit?page_token=" + long, "",
			http.StatusBadRequest, "invalid_argument", "page_token"},
		{"a long unknown API path", http.MethodGet, "/api/v1/" + long, "",
			http.StatusNotFound, "not_found", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, base, tt.method, tt.path, tok, tt.body)
			if len(r.Body) >= maxErrorBody {
				t.Fatalf("%d-byte error body, want under %d: %.200s…", len(r.Body), maxErrorBody, r.Body)
			}
			e := wantAPIError(t, r, tt.status, tt.code)
			if !strings.Contains(e.Message, tt.mention) {
				t.Errorf("message %q does not mention %q", e.Message, tt.mention)
			}
			if strings.Contains(tt.mention, `"aaaa`) && !strings.Contains(e.Message, "(900000 bytes)") {
				t.Errorf("message %q does not give the value's length", e.Message)
			}
		})
	}
	t.Run("an unknown path outside the API is not echoed either", func(t *testing.T) {
		r := send(t, base, http.MethodGet, "/"+long, "", "")
		if len(r.Body) >= maxErrorBody {
			t.Fatalf("%d-byte error body, want under %d", len(r.Body), maxErrorBody)
		}
		wantAPIError(t, r, http.StatusNotFound, "not_found")
	})
}

// TestDuplicateKeys: encoding/json keeps the last of two equal keys, and
// matches keys to fields case-insensitively; iamd refuses both, at any
// depth, as it refuses unknown fields.
func TestDuplicateKeys(t *testing.T) {
	f := newFixture(t)
	base := f.serve(t)
	tok := f.adminToken(t)
	// Twice this is just under the 1 MiB body limit.
	huge := strings.Repeat("k", 500_000)
	tests := []struct {
		name, path, body string
		// mention is what the message must say; empty for a request that
		// succeeds.
		mention string
	}{
		{"a key given twice is refused", "/api/v1/orgs", `{"id":"dup-a","name":"A","id":"dup-b"}`, `duplicate key "id"`},
		{"a key given twice in another case is refused", "/api/v1/orgs", `{"id":"dup-a","ID":"dup-b"}`, `duplicate key "ID"`},
		{"case folding is encoding/json's, the Kelvin sign included", "/api/v1/accounts",
			`{"id":"bot","org":"acme","allowed_audiences":[{"k":1,"\u212a":2}]}`, "duplicate key \"\u212a\""},
		{"a key given twice in a nested object is refused", "/api/v1/orgs", `{"id":"dup-a","name":{"x":1,"x":2}}`, `duplicate key "x"`},
		{"a key given twice in an object in an array is refused", "/api/v1/accounts",
			`{"id":"bot","org":"acme","allowed_audiences":[{"a":1},{"b":1,"b":2}]}`, `duplicate key "b"`},
		{"a 500 KB key given twice is named by its start", "/api/v1/orgs",
			`{"` + huge + `":1,"` + huge + `":2}`, `duplicate key "kkkk`},
		{"nesting deeper than any request is refused", "/api/v1/orgs",
			`{"id":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "nested deeper than 32 levels"},
		{"each key once still creates the org", "/api/v1/orgs", `{"id":"dup-ok","name":"Fine"}`, ""},
		{"a key in another case once still names the field", "/api/v1/orgs", `{"ID":"dup-case","Name":"Case"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, base, http.MethodPost, tt.path, tok, tt.body)
			if tt.mention == "" {
				decode[web.Org](t, r, http.StatusCreated)
				return
			}
			if len(r.Body) >= maxErrorBody {
				t.Fatalf("%d-byte error body, want under %d: %.200s…", len(r.Body), maxErrorBody, r.Body)
			}
			e := wantAPIError(t, r, http.StatusBadRequest, "invalid_argument")
			if !strings.Contains(e.Message, tt.mention) {
				t.Errorf("message %q does not mention %q", e.Message, tt.mention)
			}
		})
	}
	t.Run("a refused body creates nothing", func(t *testing.T) {
		for _, id := range []string{"dup-a", "dup-b"} {
			wantAPIError(t, send(t, base, http.MethodGet, "/api/v1/orgs/"+id, tok, ""), http.StatusNotFound, "not_found")
		}
	})
}

// TestTokenErrorsDoNotEchoLongValues: the token endpoint's error_description
// quotes only the start of a long audience, resource or scope.
func TestTokenErrorsDoNotEchoLongValues(t *testing.T) {
	f, sync := tokenFixture(t)
	base := f.serve(t)
	// The token endpoint takes at most 16 KiB.
	long := strings.Repeat("a", 10_000)
	tests := []struct {
		name    string
		form    url.Values
		code    string
		mention string
	}{
		{"an audience not allowed", grant("audience", long), oauth.CodeInvalidTarget, "'aaaa"},
		{"a resource not allowed", grant("resource", "https://"+long), oauth.CodeInvalidTarget, "'https://aaaa"},
		{"a resource that is not an absolute URI", grant("resource", long), oauth.CodeInvalidTarget, "'aaaa"},
		{"a scope not allowed", grant("scope", long), oauth.CodeInvalidScope, "scope 'aaaa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postToken(t, nil, base, tt.form, "Authorization", basicAuth(sync.ClientID, sync.Secret))
			if len(r.Body) >= maxErrorBody {
				t.Fatalf("%d-byte error body, want under %d: %.200s…", len(r.Body), maxErrorBody, r.Body)
			}
			e := wantOAuthError(t, r, http.StatusBadRequest, tt.code)
			if !strings.Contains(e.Description, tt.mention) {
				t.Errorf("error_description %q does not mention %q", e.Description, tt.mention)
			}
		})
	}
}
