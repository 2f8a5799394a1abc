package web

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

// Translation calls: {{.T "key"}} or {{$.T "key" ...}} in templates,
// x.T("key", ...) in Go; and the key literals of navSections.
var (
	templateKey = regexp.MustCompile(`\.T "([^"]+)"`)
	goKey       = regexp.MustCompile(`\.T\("([^"]+)"\s*[,)]`)
	navKey      = regexp.MustCompile(`\{"(nav\.[^"]+)"`)
	commentLine = regexp.MustCompile(`(?m)^\s*//.*$`)
)

func TestCatalogsAreComplete(t *testing.T) {
	locs := loadLocales()
	en := locs[defaultLang]
	for _, lang := range consoleLangs {
		loc := locs[lang]
		for key, msg := range loc.msgs {
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s: %s is empty", lang, key)
			}
			if _, ok := en.msgs[key]; !ok {
				t.Errorf("%s has %s, which %s lacks", lang, key, defaultLang)
			}
			if got, want := placeholders(msg), placeholders(en.msgs[key]); got != want {
				t.Errorf("%s: %s has placeholders %s, %s has %s", lang, key, got, defaultLang, want)
			}
		}
		for key := range en.msgs {
			if _, ok := loc.msgs[key]; !ok {
				t.Errorf("%s lacks %s", lang, key)
			}
		}
	}
}

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

func placeholders(msg string) string {
	p := placeholder.FindAllString(msg, -1)
	sort.Strings(p)
	return strings.Join(p, ",")
}

func TestEveryKeyUsedIsInTheCatalogs(t *testing.T) {
	used := map[string]string{} // key → where
	templates, err := fs.Glob(consoleFS, "console/templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range templates {
		b, _ := consoleFS.ReadFile(name)
		for _, m := range templateKey.FindAllSubmatch(b, -1) {
			used[string(m[1])] = name
		}
	}
	goFiles, err := filepath.Glob("console*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range goFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// Comments may show examples.
		code := commentLine.ReplaceAll(b, nil)
		for _, re := range []*regexp.Regexp{goKey, navKey} {
			for _, m := range re.FindAllSubmatch(code, -1) {
				used[string(m[1])] = name
			}
		}
	}
	// Keys built at run time.
	for _, status := range []int{http.StatusBadRequest, http.StatusConflict, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInternalServerError} {
		used[errorKey(status, "title")] = "errorKey"
		used[errorKey(status, "detail")] = "errorKey"
	}
	if len(used) < 20 {
		t.Fatalf("found %d keys in use: the scan is broken", len(used))
	}
	for _, loc := range loadLocales() {
		for key, where := range used {
			if !loc.has(key) {
				t.Errorf("%s uses %s, which the %s catalog lacks", where, key, loc.Lang)
			}
		}
	}
}

// The console's CSP forbids inline script and style; these would break
// silently in the browser, so they fail here.
func TestTemplatesHaveNoInlineScriptOrStyle(t *testing.T) {
	inline := map[string]*regexp.Regexp{
		"inline script":   regexp.MustCompile(`(?i)<script(\s[^>]*)?>`),
		"style attribute": regexp.MustCompile(`(?i)\sstyle\s*=`),
		"style element":   regexp.MustCompile(`(?i)<style[\s>]`),
		"event handler":   regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		"javascript URL":  regexp.MustCompile(`(?i)javascript:`),
	}
	withSrc := regexp.MustCompile(`(?i)<script\s[^>]*\bsrc=`)
	templates, _ := fs.Glob(consoleFS, "console/templates/*.html")
	for _, name := range templates {
		b, _ := consoleFS.ReadFile(name)
		for what, re := range inline {
			for _, m := range re.FindAll(b, -1) {
				if what == "inline script" && withSrc.Match(m) {
					continue
				}
				t.Errorf("%s: %s: %s", name, what, m)
			}
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "en"},
		{"fr", "fr"},
		{"fr-CA", "fr"},
		{"FR-ca, en;q=0.9", "fr"},
		{"en-GB,en;q=0.9,fr;q=0.8", "en"},
		{"de;q=1, fr;q=0.5, en;q=0.4", "fr"},
		{"en;q=0.2, fr;q=0.9", "fr"},
		{"fr;q=0, en;q=0.1", "en"},
		{"*", "en"},
		{"fr;q=bad, de", "en"},
	} {
		if got := acceptLanguage(tc.header); got != tc.want {
			t.Errorf("acceptLanguage(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestIsConsolePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/console", true},
		{"/console/", true},
		{"/console/accounts?q=a&org=b", true},
		{"/console/../api/v1/orgs", false},
		{"/consolex", false},
		{"//evil.example/console/", false},
		{"/\\evil.example", false},
		{"https://evil.example/console/", false},
		{"javascript:alert(1)", false},
		{"/console/\r\nSet-Cookie: x", false},
		{"", false},
	} {
		if got := isConsolePath(tc.path); got != tc.want {
			t.Errorf("isConsolePath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestLocaleFillsPlaceholders(t *testing.T) {
	loc := &locale{Lang: "en", msgs: map[string]string{"k": "{a} and {b}, {a}"}}
	if got := loc.T("k", "a", 1, "b", "two"); got != "1 and two, 1" {
		t.Errorf("got %q", got)
	}
	if got := loc.T("missing"); got != "missing" {
		t.Errorf("a missing key gives %q", got)
	}
}

func TestConsoleErrorsBecomePages(t *testing.T) {
	s := &Server{Options: Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, con: newConsole()}
	app := fiber.New()
	errs := map[string]error{
		"forbidden": &rbac.MissingRight{Org: "acme", Right: rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpRead}},
		"notfound":  storage.Errorf(storage.ErrNotFound, "account %s", storage.Quote("x")),
		"internal":  errors.New("secret internal detail"),
		"throttled": &users.ThrottledError{RetryAfter: time.Second},
		"invalid":   storage.Errorf(storage.ErrInvalid, "group %s: not a valid name", storage.Quote("Bad!")),
		"conflict":  storage.Errorf(storage.ErrConflict, "group %s exists", storage.Quote("ops")),
	}
	app.Get("/console/:case", s.consolePages, func(c *fiber.Ctx) error { return errs[c.Params("case")] })
	for name, want := range map[string]int{"forbidden": 403, "notfound": 404, "internal": 500, "throttled": 429, "invalid": 400, "conflict": 409} {
		res, err := app.Test(httptest.NewRequest(http.MethodGet, "/console/"+name, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != want || res.Header.Get(fiber.HeaderContentSecurityPolicy) != consoleCSP {
			t.Errorf("%s: status %d, CSP %q", name, res.StatusCode, res.Header.Get(fiber.HeaderContentSecurityPolicy))
		}
		if strings.Contains(string(body), errs[name].Error()) {
			t.Errorf("%s: the page quotes the error: %s", name, body)
		}
		if !strings.Contains(string(body), `data-page="error_page"`) {
			t.Errorf("%s: not the error page: %s", name, body)
		}
	}
}
