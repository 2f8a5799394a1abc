package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/oauth"
)

// maxErrorBody is what "a few KB" means for a management API error body.
const maxErrorBody = 4 << 10

// decodeTargets are the request types the management API decodes, and
// whether the body may be left out.
var decodeTargets = []struct {
	name     string
	optional bool
	new      func() any
}{
	{"CreateOrgRequest", false, func() any { return new(CreateOrgRequest) }},
	{"UpdateOrgRequest", false, func() any { return new(UpdateOrgRequest) }},
	{"CreateAccountRequest", false, func() any { return new(CreateAccountRequest) }},
	{"UpdateAccountRequest", false, func() any { return new(UpdateAccountRequest) }},
	{"CreateKeyRequest", true, func() any { return new(CreateKeyRequest) }},
	{"RotateKeyRequest", true, func() any { return new(RotateKeyRequest) }},
	{"RotateSigningKeysRequest", true, func() any { return new(RotateSigningKeysRequest) }},
	{"CreatePermissionRequest", false, func() any { return new(CreatePermissionRequest) }},
	{"UpdatePermissionRequest", false, func() any { return new(UpdatePermissionRequest) }},
	{"CreateRoleRequest", false, func() any { return new(CreateRoleRequest) }},
	{"UpdateRoleRequest", false, func() any { return new(UpdateRoleRequest) }},
	{"CreateGroupRequest", false, func() any { return new(CreateGroupRequest) }},
	{"UpdateGroupRequest", false, func() any { return new(UpdateGroupRequest) }},
	{"GroupRole", false, func() any { return new(GroupRole) }},
	{"AssignRequest", false, func() any { return new(AssignRequest) }},
	{"MoveAccountRequest", false, func() any { return new(MoveAccountRequest) }},
}

// syncBuffer is a log sink the fuzz function reads between requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.b.Reset()
	return s.b.String()
}

// decodeApp is the real application, its error handler and middleware,
// with one more route that decodes the body into decodeTargets[target]
// and echoes what it decoded. Handlers that decode also write to the
// store; this keeps each fuzz iteration to the decoding, so the server has
// no store, accounts or keys.
func decodeApp() (*fiber.App, *syncBuffer) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
	s := New(Options{OAuth: oauth.NewServer(oauth.Config{Issuer: "http://iamd.test"}, nil, nil, nil, time.Now, log), Log: log})
	s.app.Post("/decode/:target", func(c *fiber.Ctx) error {
		i, err := strconv.Atoi(c.Params("target"))
		if err != nil || i < 0 || i >= len(decodeTargets) {
			return fiber.ErrNotFound
		}
		t := decodeTargets[i]
		v := t.new()
		if t.optional {
			err = decodeOptional(c, v)
		} else {
			err = decode(c, v)
		}
		if err != nil {
			return err
		}
		return c.JSON(v)
	})
	return s.app, logs
}

// FuzzDecode sends arbitrary bodies to the management API's strict JSON
// decoding: it must refuse what it does not understand, never with a 500,
// always with an error body a client can parse.
func FuzzDecode(f *testing.F) {
	app, logs := decodeApp()
	for i := range decodeTargets {
		for _, s := range decodeSeeds[i] {
			f.Add(uint8(i), fiber.MIMEApplicationJSON, []byte(s))
		}
		for _, s := range trickyJSON {
			f.Add(uint8(i), fiber.MIMEApplicationJSON, []byte(s))
		}
	}
	for _, ct := range []string{"application/json; charset=utf-8", "APPLICATION/JSON", "application/json;", "text/plain", "", "application/jsonx", "application/json, text/plain"} {
		f.Add(uint8(0), ct, []byte(`{"id":"x"}`))
	}
	f.Fuzz(func(t *testing.T, target uint8, contentType string, body []byte) {
		i := int(target) % len(decodeTargets)
		req := httptest.NewRequest(http.MethodPost, "/decode/"+strconv.Itoa(i), bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set(fiber.HeaderContentType, contentType)
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatalf("app.Test: %v", err)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusOK {
			checkDecoded(t, decodeTargets[i].new, body, got)
			return
		}
		checkDecodeError(t, resp, got, logs.take())
	})
}

// decodeSeeds are good bodies of each target, some with every field.
var decodeSeeds = [][]string{
	{`{"id":"payments","name":"Payments","parent":"acme"}`, `{"id":"x"}`, `{}`},
	{`{"name":"Payments"}`, `{"name":""}`, `{"parent":"acme","name":null}`},
	{`{"id":"sync","org":"acme","display_name":"Sync","description":"d","allowed_audiences":["https://api.example"]}`, `{"org":"acme","allowed_audiences":null}`},
	{`{"display_name":"Sync","description":null,"allowed_audiences":["urn:x"]}`, `{"allowed_audiences":["a","b"]}`},
	{``, `{"label":"ci","expires_at":"2031-05-06T07:08:09Z"}`, `{"expires_in":3600}`, `{"expires_at":"2031-05-06T07:08:09.123+02:00","expires_in":1}`},
	{``, `{"label":"ci","grace_period":600,"expires_in":86400}`, `{"grace_period":-1}`},
	{``, `{"algorithm":"EdDSA","activate_in":0}`, `{"activate_in":null}`},
	{`{"name":"billing.invoices","description":"Invoices"}`, `{"name":"x"}`},
	{`{"description":"Invoices"}`, `{"description":null}`},
	{`{"org":"acme","name":"reader","description":"d","rights":["billing.invoices:read"],"perimeter":["acme","billing/*"]}`, `{"org":"acme","rights":[],"perimeter":null}`},
	{`{"description":"d","rights":["a:read","a:write"],"perimeter":["acme/*"]}`, `{"rights":null}`},
	{`{"org":"acme","name":"finance","description":"d"}`, `{"name":"x"}`},
	{`{"description":"d"}`, `{}`},
	{`{"role":"acme/reader","on":"billing/*"}`, `{"role":"","on":"acme"}`},
	{`{"role":"acme/reader","on":["billing","sales/*"]}`, `{"group":"acme/finance"}`},
	{`{"org":"sales","confirm":true}`, `{"confirm":false}`},
}

// trickyJSON is JSON and near-JSON that strict decoding must refuse or
// read exactly.
var trickyJSON = []string{
	``, ` `, `null`, `[]`, `"x"`, `1`, `true`, `{`, `}`, `{}{}`, `{} {}`, `{}x`, `{} `, "{}\n", `{}]`, `{}}`, `[{}]`,
	"\xef\xbb\xbf{}", "{\"id\":\"\xff\xfe\"}", `{"id":"\u0000\ud800"}`, `{"id":"a\"b\\c"}`,
	`{"nope":1}`, `{"id":"x","nope":1}`, `{"":1}`, `{"` + strings.Repeat("n", 10000) + `":1}`,
	`{"id":"` + strings.Repeat("x", 10000) + `"}`,
	`{"ID":"x"}`, `{"Name":"x"}`, `{"id":"a","id":"b"}`, `{"id":"a","ID":"b"}`, "{\"allowed_audience\u017f\":[]}", "{\"\u212aey\":1}",
	`{"id":1}`, `{"id":{}}`, `{"id":[]}`, `{"allowed_audiences":"urn:x"}`, `{"allowed_audiences":[1]}`, `{"allowed_audiences":[null]}`, `{"on":"acme"}`, `{"rights":[1]}`, `{"confirm":"true"}`,
	`{"expires_in":1.5}`, `{"expires_in":1e400}`, `{"expires_in":-0}`, `{"expires_in":9223372036854775808}`, `{"expires_in":"1"}`,
	`{"expires_at":"tomorrow"}`, `{"expires_at":"2031-02-30T00:00:00Z"}`, `{"expires_at":"10000-01-01T00:00:00Z"}`, `{"expires_at":1}`,
	`{"grace_period":1e3}`, `{"activate_in":-1}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"id":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
}

// checkDecoded checks a body decode accepted: one JSON value, no field
// unknown (encoding/json matches names case-insensitively), and the same
// value lenient decoding reads.
func checkDecoded(t *testing.T, newValue func() any, body, echoed []byte) {
	if len(bytes.TrimSpace(body)) == 0 {
		return // an optional body left out
	}
	if !json.Valid(body) {
		t.Fatalf("accepted a body that is not one JSON value: %.200q", body)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("accepted a body that is not a JSON object: %.200q", body)
	}
	v := newValue()
	fields := jsonFields(reflect.TypeOf(v).Elem())
	for k := range top {
		if fieldOf(fields, k) == "" {
			t.Fatalf("accepted unknown field %.100q in %.200q", k, body)
		}
	}
	if k := fuzzDuplicateKey(body, fields); k != "" {
		t.Fatalf("accepted field %q set twice in %.200q", k, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("accepted %.200q, which lenient decoding refuses: %v", body, err)
	}
	want, _ := json.Marshal(v)
	if !bytes.Equal(bytes.TrimSpace(echoed), want) {
		t.Fatalf("decoded %s from %.200q, lenient decoding reads %s", echoed, body, want)
	}
}

// checkDecodeError checks a refusal: a 4xx the client caused, with a JSON
// {"error","message"} body.
func checkDecodeError(t *testing.T, resp *http.Response, body []byte, logs string) {
	wantCode := map[int]string{
		http.StatusBadRequest:            "invalid_argument",
		http.StatusRequestEntityTooLarge: "payload_too_large",
		http.StatusUnsupportedMediaType:  "unsupported_media_type",
	}[resp.StatusCode]
	if wantCode == "" {
		t.Fatalf("status %d, body %.300s; log:\n%s", resp.StatusCode, body, logs)
	}
	if ct := resp.Header.Get(fiber.HeaderContentType); !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		t.Errorf("error with Content-Type %q", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var e ErrorBody
	if err := dec.Decode(&e); err != nil || dec.More() {
		t.Fatalf("error body %.300q is not {\"error\",\"message\"}: %v", body, err)
	}
	if e.Error != wantCode || e.Message == "" {
		t.Errorf("status %d with error %q, message %q", resp.StatusCode, e.Error, e.Message)
	}
	if len(body) > maxErrorBody {
		t.Errorf("error body of %d bytes: %.300s", len(body), body)
	}
}

// jsonFields returns the JSON names of a struct's fields.
func jsonFields(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// fieldOf returns the field a JSON key sets, matched as encoding/json does.
func fieldOf(fields []string, key string) string {
	for _, f := range fields {
		if f == key {
			return f
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f, key) {
			return f
		}
	}
	return ""
}

// duplicateKey returns a field that two keys of the top-level object set.
func fuzzDuplicateKey(body []byte, fields []string) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		f := fieldOf(fields, tok.(string))
		if seen[f] {
			return f
		}
		seen[f] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}
