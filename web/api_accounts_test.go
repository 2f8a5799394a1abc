package web_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

func TestCreateAccount(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	f.createAccount(t, tok, web.CreateAccountRequest{ID: "taken", Org: "billing"})
	start := f.clock.Now().Add(-time.Second)

	tests := []struct {
		name        string
		contentType string
		encoding    string
		body        string
		status      int
		code        string
		check       func(t *testing.T, r *response)
	}{
		{name: "an account with every field is created as given",
			body:   `{"id":"sync","org":"billing","display_name":"Invoice sync","description":"Pushes invoices.","allowed_audiences":["https://api.example.com"]}`,
			status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				a := decode[web.Account](t, r, http.StatusCreated)
				want := web.Account{
					ClientID: "sync@billing.iam", ID: "sync", Org: "billing", DisplayName: "Invoice sync", Description: "Pushes invoices.",
					Status: "active", AllowedAudiences: []string{"https://api.example.com"},
					CreatedAt: a.CreatedAt, CreatedBy: adminID, UpdatedAt: a.CreatedAt,
				}
				if !reflect.DeepEqual(a, want) {
					t.Errorf("account\n %+v\nwant\n %+v", a, want)
				}
				if a.CreatedAt.Before(start) || a.CreatedAt.After(f.clock.Now()) {
					t.Errorf("created_at %s, want about now", a.CreatedAt)
				}
				wantNoStore(t, r)
			}},
		{name: "an account with only id and org gets defaults, empty lists and a null last_used_at",
			body: `{"id":"minimal","org":"billing"}`, status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				a := decode[web.Account](t, r, http.StatusCreated)
				if a.ClientID != "minimal@billing.iam" || a.DisplayName != "minimal" || a.Status != "active" || a.System {
					t.Errorf("account %+v", a)
				}
				for _, want := range []string{`"allowed_audiences":[]`, `"last_used_at":null`, `"description":""`} {
					if !bytes.Contains(r.Body, []byte(want)) {
						t.Errorf("body lacks %s: %s", want, r.Body)
					}
				}
				for _, absent := range []string{`"archived_at"`, `"keys"`, `"roles"`, `"groups"`} {
					if bytes.Contains(r.Body, []byte(absent)) {
						t.Errorf("body has %s: %s", absent, r.Body)
					}
				}
			}},
		{name: "a charset parameter on the JSON content type is accepted", contentType: "application/json; charset=utf-8",
			body: `{"id":"charset","org":"billing"}`, status: http.StatusCreated},
		{name: "an account id taken in the org is a conflict",
			body: `{"id":"taken","org":"billing"}`, status: http.StatusConflict, code: "conflict"},
		{name: "an account id with uppercase letters is invalid",
			body: `{"id":"Sync","org":"billing"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an account id of two characters is invalid",
			body: `{"id":"ab","org":"billing"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an account without org is invalid",
			body: `{"id":"nowhere"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an account in an unknown org is not found",
			body: `{"id":"lost","org":"nowhere"}`, status: http.StatusNotFound, code: "not_found"},
		{name: "allowed scopes are no more: rights come from roles",
			body: `{"id":"scoped","org":"billing","allowed_scopes":["read"]}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an audience with a space is invalid",
			body: `{"id":"spaces","org":"billing","allowed_audiences":["urn:a b"]}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an audience listed twice is invalid",
			body: `{"id":"twice","org":"billing","allowed_audiences":["urn:a","urn:a"]}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a display name with a control character is invalid",
			body: `{"id":"control","org":"billing","display_name":"a\u0007b"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an unknown field is invalid",
			body: `{"id":"typo","org":"billing","scopes":["read"]}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a second JSON value after the object is invalid",
			body: `{"id":"trailing","org":"billing"} {}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "garbage after the object is invalid",
			body: `{"id":"garbage","org":"billing"}x`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "truncated JSON is invalid",
			body: `{"id":"cut",`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a JSON array is invalid",
			body: `[]`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an empty body is invalid",
			body: ``, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a text/plain body is unsupported", contentType: "text/plain",
			body: `{"id":"text","org":"billing"}`, status: http.StatusUnsupportedMediaType, code: "unsupported_media_type"},
		{name: "a form body is unsupported", contentType: "application/x-www-form-urlencoded",
			body: `id=form&org=billing`, status: http.StatusUnsupportedMediaType, code: "unsupported_media_type"},
		{name: "a body without content type is unsupported", contentType: "-",
			body: `{"id":"untyped","org":"billing"}`, status: http.StatusUnsupportedMediaType, code: "unsupported_media_type"},
		{name: "a gzip-encoded body is unsupported", encoding: "gzip",
			body: `{"id":"zipped","org":"billing"}`, status: http.StatusUnsupportedMediaType, code: "unsupported_media_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/accounts", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+tok)
			switch tt.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			r := f.do(t, req)
			if tt.code != "" {
				wantAPIError(t, r, tt.status, tt.code)
			} else if r.Status != tt.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, tt.status, r.Body)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestAccountLifecycle(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	created := f.createAccount(t, tok, web.CreateAccountRequest{
		ID: "sync", Org: "billing", DisplayName: "Sync", Description: "Syncs invoices.",
		AllowedAudiences: []string{"https://api.example.com", "urn:example:reports"},
	})
	sync := credsOf(f.createKey(t, tok, created.ClientID, web.CreateKeyRequest{Label: "ci"}))
	f.accessToken(t, sync)
	path := "/api/v1/accounts/sync@billing.iam"

	account := func(check func(t *testing.T, a web.Account)) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			check(t, decode[web.Account](t, r, r.Status))
			wantNoSecret(t, r, sync.Secret)
		}
	}
	tokenStatus := func(t *testing.T, want int, params ...string) *response {
		t.Helper()
		r := f.token(t, sync, grant(params...))
		if r.Status != want {
			t.Fatalf("token request: status %d, want %d; body %s", r.Status, want, r.Body)
		}
		return r
	}
	var archivedAt time.Time
	f.runSteps(t, tok, []step{
		{name: "getting the account includes its keys and when it was last used", method: http.MethodGet, path: path, status: http.StatusOK,
			check: account(func(t *testing.T, a web.Account) {
				if len(a.Keys) != 1 || a.Keys[0].ID != sync.KeyID || a.Keys[0].Label != "ci" || a.Keys[0].Status != "active" || a.Keys[0].ClientID != sync.ClientID {
					t.Errorf("keys %+v, want the one key %s", a.Keys, sync.KeyID)
				}
				if a.LastUsedAt == nil || a.LastUsedAt.Before(created.CreatedAt) || len(a.Keys) == 1 && a.Keys[0].LastUsedAt == nil {
					t.Errorf("last_used_at %v, keys %+v: want the token request's time", a.LastUsedAt, a.Keys)
				}
			})},
		{name: "changing the description leaves every other field as it was", method: http.MethodPatch, path: path,
			body: `{"description":"Syncs invoices nightly."}`, status: http.StatusOK,
			check: account(func(t *testing.T, a web.Account) {
				if a.Description != "Syncs invoices nightly." || a.DisplayName != "Sync" || a.Status != "active" ||
					!slices.Equal(a.AllowedAudiences, []string{"https://api.example.com", "urn:example:reports"}) {
					t.Errorf("account %+v", a)
				}
				if !a.CreatedAt.Equal(created.CreatedAt) || a.UpdatedAt.Before(created.UpdatedAt) {
					t.Errorf("created_at %s, updated_at %s", a.CreatedAt, a.UpdatedAt)
				}
			})},
		{name: "narrowing the allowed audiences applies to the next token", method: http.MethodPatch, path: path,
			body: `{"allowed_audiences":["https://api.example.com"]}`, status: http.StatusOK,
			check: account(func(t *testing.T, a web.Account) {
				if !slices.Equal(a.AllowedAudiences, []string{"https://api.example.com"}) || a.Description != "Syncs invoices nightly." {
					t.Errorf("account %+v", a)
				}
				wantOAuthError(t, tokenStatus(t, http.StatusBadRequest, "audience", "urn:example:reports"), http.StatusBadRequest, oauth.CodeInvalidTarget)
				tokenStatus(t, http.StatusOK, "audience", "https://api.example.com")
			})},
		{name: "an empty patch changes nothing", method: http.MethodPatch, path: path, body: `{}`, status: http.StatusOK,
			check: account(func(t *testing.T, a web.Account) {
				if a.DisplayName != "Sync" || !slices.Equal(a.AllowedAudiences, []string{"https://api.example.com"}) {
					t.Errorf("account %+v", a)
				}
			})},
		{name: "an empty display name is invalid", method: http.MethodPatch, path: path,
			body: `{"display_name":""}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an unknown field in a patch is invalid", method: http.MethodPatch, path: path,
			body: `{"displayname":"Sync 2"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "patching an unknown account is not found", method: http.MethodPatch, path: "/api/v1/accounts/ghost@billing.iam",
			body: `{"description":"x"}`, status: http.StatusNotFound, code: "not_found"},
		{name: "archiving the account refuses its tokens", method: http.MethodPost, path: path + "/archive", status: http.StatusOK,
			check: account(func(t *testing.T, a web.Account) {
				if a.Status != "archived" || a.ArchivedAt == nil {
					t.Fatalf("status %q, archived_at %v", a.Status, a.ArchivedAt)
				}
				archivedAt = *a.ArchivedAt
				wantOAuthError(t, tokenStatus(t, http.StatusUnauthorized), http.StatusUnauthorized, oauth.CodeInvalidClient)
			})},
		{name: "archiving again keeps the first archive time", method: http.MethodPost, path: path + "/archive", status: http.StatusOK,
			check: account(func(t *testing.T, a web.Account) {
				if a.ArchivedAt == nil || !a.ArchivedAt.Equal(archivedAt) {
					t.Errorf("archived_at %v, want %s", a.ArchivedAt, archivedAt)
				}
			})},
		{name: "restoring the account accepts its tokens again", method: http.MethodPost, path: path + "/restore", status: http.StatusOK,
			check: account(func(t *testing.T, a web.Account) {
				if a.Status != "active" || a.ArchivedAt != nil {
					t.Errorf("status %q, archived_at %v", a.Status, a.ArchivedAt)
				}
				tokenStatus(t, http.StatusOK)
			})},
		{name: "deleting the account answers 204", method: http.MethodDelete, path: path, status: http.StatusNoContent,
			check: func(t *testing.T, r *response) {
				wantOAuthError(t, tokenStatus(t, http.StatusUnauthorized), http.StatusUnauthorized, oauth.CodeInvalidClient)
			}},
		{name: "a deleted account is not found", method: http.MethodGet, path: path, status: http.StatusNotFound, code: "not_found"},
		{name: "the keys of a deleted account are not found", method: http.MethodGet, path: "/api/v1/keys/" + sync.KeyID, status: http.StatusNotFound, code: "not_found"},
		{name: "deleting a deleted account is not found", method: http.MethodDelete, path: path, status: http.StatusNotFound, code: "not_found"},
		{name: "archiving an unknown account is not found", method: http.MethodPost, path: path + "/archive", status: http.StatusNotFound, code: "not_found"},
	})
}

// listAll walks an account list page by page from query and returns the
// client IDs in order and the number of pages.
func (f *fixture) listAll(t *testing.T, token, query string, pageSize int) (ids []string, pages int) {
	t.Helper()
	next := ""
	for {
		q := query
		if next != "" {
			q += "&page_token=" + next
		}
		l := decode[web.AccountList](t, f.call(t, http.MethodGet, "/api/v1/accounts?"+q, token, nil), http.StatusOK)
		pages++
		if pageSize > 0 && len(l.Items) > pageSize {
			t.Fatalf("page %d has %d items, more than %d", pages, len(l.Items), pageSize)
		}
		for _, a := range l.Items {
			ids = append(ids, a.ClientID)
		}
		if l.NextPageToken == "" {
			return ids, pages
		}
		if len(l.Items) == 0 || pages > 20 {
			t.Fatalf("page %d: %d items and a next page token", pages, len(l.Items))
		}
		next = l.NextPageToken
	}
}

func TestListAccounts(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	// Created out of order: the list orders by org, then account id.
	for _, org := range []string{"zeta", "billing", "ops"} {
		f.createOrg(t, tok, org)
	}
	for _, id := range []string{"omega@zeta", "gamma@billing", "alpha@billing", "epsilon@ops", "beta@billing", "delta@ops"} {
		name, org, _ := strings.Cut(id, "@")
		f.createAccount(t, tok, web.CreateAccountRequest{ID: name, Org: org})
	}
	for _, id := range []string{"beta@billing.iam", "epsilon@ops.iam"} {
		decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts/"+id+"/archive", tok, nil), http.StatusOK)
	}

	walks := []struct {
		name      string
		query     string
		pageSize  int
		want      []string
		wantPages int
	}{
		{"pages of two walk every account once in order", "page_size=2", 2,
			[]string{"admin@acme.iam", "alpha@billing.iam", "beta@billing.iam", "gamma@billing.iam", "delta@ops.iam", "epsilon@ops.iam", "omega@zeta.iam"}, 4},
		{"a page exactly as large as the list has no next page", "page_size=7", 7,
			[]string{"admin@acme.iam", "alpha@billing.iam", "beta@billing.iam", "gamma@billing.iam", "delta@ops.iam", "epsilon@ops.iam", "omega@zeta.iam"}, 1},
		{"the default page holds every account", "", 0,
			[]string{"admin@acme.iam", "alpha@billing.iam", "beta@billing.iam", "gamma@billing.iam", "delta@ops.iam", "epsilon@ops.iam", "omega@zeta.iam"}, 1},
		{"the org filter keeps that org's accounts across pages", "org=billing&page_size=2", 2,
			[]string{"alpha@billing.iam", "beta@billing.iam", "gamma@billing.iam"}, 2},
		{"the archived filter keeps archived accounts", "status=archived&page_size=1", 1,
			[]string{"beta@billing.iam", "epsilon@ops.iam"}, 2},
		{"the active filter keeps active accounts", "status=active&page_size=3", 3,
			[]string{"admin@acme.iam", "alpha@billing.iam", "gamma@billing.iam", "delta@ops.iam", "omega@zeta.iam"}, 2},
		{"both filters combine", "org=ops&status=active", 0,
			[]string{"delta@ops.iam"}, 1},
		{"the largest page size is allowed", "page_size=500", 500,
			[]string{"admin@acme.iam", "alpha@billing.iam", "beta@billing.iam", "gamma@billing.iam", "delta@ops.iam", "epsilon@ops.iam", "omega@zeta.iam"}, 1},
	}
	for _, tt := range walks {
		t.Run(tt.name, func(t *testing.T) {
			got, pages := f.listAll(t, tok, tt.query, tt.pageSize)
			if !slices.Equal(got, tt.want) || pages != tt.wantPages {
				t.Errorf("%d pages of %q, want %d pages of %q", pages, got, tt.wantPages, tt.want)
			}
		})
	}

	token := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	bad := []struct {
		name   string
		query  string
		status int
		code   string
	}{
		{"a page size of zero is invalid", "page_size=0", http.StatusBadRequest, "invalid_argument"},
		{"a negative page size is invalid", "page_size=-1", http.StatusBadRequest, "invalid_argument"},
		{"a page size over 500 is invalid", "page_size=501", http.StatusBadRequest, "invalid_argument"},
		{"a page size that is not a number is invalid", "page_size=two", http.StatusBadRequest, "invalid_argument"},
		{"a page token that is not base64 is invalid", "page_token=!!!", http.StatusBadRequest, "invalid_argument"},
		{"a page token without a separator is invalid", "page_token=" + token("billing"), http.StatusBadRequest, "invalid_argument"},
		{"a page token with an invalid id is invalid", "page_token=" + token("billing/Alpha"), http.StatusBadRequest, "invalid_argument"},
		{"an unknown status is invalid", "status=deleted", http.StatusBadRequest, "invalid_argument"},
		{"an unknown org is not found", "org=nowhere", http.StatusNotFound, "not_found"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, f.call(t, http.MethodGet, "/api/v1/accounts?"+tt.query, tok, nil), tt.status, tt.code)
		})
	}
}

// pathRequest is a request whose request line carries rawPath verbatim,
// even where it is not a valid URL, which httptest.NewRequest refuses.
func pathRequest(method, rawPath, token string) *http.Request {
	req := httptest.NewRequest(method, "/", nil)
	req.RequestURI = rawPath
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func TestClientIDInPath(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	sync := f.client(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing"})

	for _, form := range []struct{ name, id string }{
		{"raw", "sync@billing.iam"},
		{"percent-encoded", "sync%40billing.iam"},
	} {
		t.Run("a "+form.name+" client id finds the account", func(t *testing.T) {
			a := decode[web.Account](t, f.call(t, http.MethodGet, "/api/v1/accounts/"+form.id, tok, nil), http.StatusOK)
			if a.ClientID != sync.ClientID || len(a.Keys) != 1 || a.Keys[0].ClientID != sync.ClientID {
				t.Errorf("account %s with keys %+v", a.ClientID, a.Keys)
			}
		})
		t.Run("a "+form.name+" client id lists the account's keys", func(t *testing.T) {
			l := decode[web.KeyList](t, f.call(t, http.MethodGet, "/api/v1/accounts/"+form.id+"/keys", tok, nil), http.StatusOK)
			if len(l.Items) != 1 || l.Items[0].ID != sync.KeyID || l.Items[0].ClientID != sync.ClientID {
				t.Errorf("keys %+v, want %s of %s", l.Items, sync.KeyID, sync.ClientID)
			}
		})
		t.Run("a "+form.name+" client id can be patched", func(t *testing.T) {
			r := f.call(t, http.MethodPatch, "/api/v1/accounts/"+form.id, tok, `{"description":"via `+form.name+`"}`)
			if a := decode[web.Account](t, r, http.StatusOK); a.ClientID != sync.ClientID || a.Description != "via "+form.name {
				t.Errorf("account %s, description %q", a.ClientID, a.Description)
			}
		})
	}

	bad := []struct {
		name   string
		path   string
		status int
		code   string
	}{
		{"a double-encoded client id is invalid", "/api/v1/accounts/sync%2540billing.iam", http.StatusBadRequest, "invalid_argument"},
		{"a malformed percent-encoding is invalid", "/api/v1/accounts/sync%zzbilling.iam", http.StatusBadRequest, "invalid_argument"},
		{"an account id without org is invalid", "/api/v1/accounts/sync", http.StatusBadRequest, "invalid_argument"},
		{"a client id of another domain is invalid", "/api/v1/accounts/sync@billing.iam.example.com", http.StatusBadRequest, "invalid_argument"},
		{"an unknown client id is not found", "/api/v1/accounts/ghost@billing.iam", http.StatusNotFound, "not_found"},
		{"an unknown percent-encoded client id is not found", "/api/v1/accounts/ghost%40billing.iam", http.StatusNotFound, "not_found"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, f.do(t, pathRequest(http.MethodGet, tt.path, tok)), tt.status, tt.code)
		})
	}
}
