package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The console's languages: English, the default, and French, the seeds'.
// Each has a flat catalog in console/i18n/<code>/, one file per page
// family, keyed by family and page ("login.title"), with {name}
// placeholders.
var consoleLangs = []string{"en", "fr"}

const defaultLang = "en"

// langCookie holds the language the visitor picked with the switch; it
// wins over Accept-Language.
const langCookie = "iamd_lang"

// locale is a language and its catalog.
type locale struct {
	Lang string
	msgs map[string]string
}

// T returns the message of key, with each {name} placeholder replaced by
// the value following name in args (pairs of name and value). A key
// missing from the catalog comes back as itself, which a test catches.
func (l *locale) T(key string, args ...any) string {
	msg, ok := l.msgs[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// has reports whether the catalog has key.
func (l *locale) has(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// loadLocales reads the embedded catalogs. It panics on a malformed one:
// they ship inside the binary, so a bad one is a build defect.
func loadLocales() map[string]*locale {
	out := make(map[string]*locale, len(consoleLangs))
	for _, lang := range consoleLangs {
		files, err := fs.Glob(consoleFS, "console/i18n/"+lang+"/*.json")
		if err != nil || len(files) == 0 {
			panic("web: no console catalog for " + lang)
		}
		msgs := map[string]string{}
		for _, f := range files {
			raw, err := consoleFS.ReadFile(f)
			if err != nil {
				panic("web: console catalog: " + err.Error())
			}
			var part map[string]string
			if err := json.Unmarshal(raw, &part); err != nil {
				panic("web: console catalog " + f + ": " + err.Error())
			}
			for k, v := range part {
				if _, dup := msgs[k]; dup {
					panic("web: console catalog " + f + ": key " + k + " is in another file too")
				}
				msgs[k] = v
			}
		}
		out[lang] = &locale{Lang: lang, msgs: msgs}
	}
	return out
}

// pickLang returns the console language of a request: the cookie the
// language switch sets, else the best of Accept-Language, else English.
func pickLang(c *fiber.Ctx) string {
	if l := c.Cookies(langCookie); supportedLang(l) {
		return l
	}
	return acceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
}

func supportedLang(l string) bool {
	for _, s := range consoleLangs {
		if l == s {
			return true
		}
	}
	return false
}

// acceptLanguage picks the supported language the header prefers (RFC 9110
// §12.5.4): the highest q-value, the first listed among equals; a regional
// tag (fr-CA) counts for its language. Without a match, English.
func acceptLanguage(header string) string {
	type choice struct {
		lang string
		q    float64
		pos  int
	}
	var choices []choice
	for i, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if q > 0 && supportedLang(primary) {
			choices = append(choices, choice{primary, q, i})
		}
	}
	if len(choices) == 0 {
		return defaultLang
	}
	sort.SliceStable(choices, func(i, j int) bool { return choices[i].q > choices[j].q })
	return choices[0].lang
}
