package web

import (
	"strings"
	"testing"
)

func TestCheckKeys(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	cases := []struct {
		name, body string
		// dup is the duplicate key the error must name; empty for none.
		dup string
	}{
		{"an empty object has no duplicates", `{}`, ""},
		{"distinct keys are accepted", `{"a":1,"b":[1,"a"],"c":{"d":null}}`, ""},
		{"a key may recur in a nested object", `{"a":{"a":{"a":1}}}`, ""},
		{"a key may recur in sibling objects", `[{"a":1},{"a":2}]`, ""},
		{"a key may recur after its object closed", `{"x":{"a":1},"y":{"a":2}}`, ""},
		{"a string value that spells a key is no key", `{"a":"b","b":"a"}`, ""},
		{"keys that differ beyond simple case folding are distinct", `{"ss":1,"ß":2}`, ""},
		{"a top-level scalar has no keys", `"a"`, ""},
		{"a key given twice is a duplicate", `{"a":1,"a":2}`, `"a"`},
		{"a key given twice after a nested value is a duplicate", `{"a":{"b":1},"c":[2],"a":3}`, `"a"`},
		{"a key given twice in a nested object is a duplicate", `{"x":{"b":1,"b":2}}`, `"b"`},
		{"a key given twice in an object in an array is a duplicate", `[1,{"c":1},{"b":1,"b":2}]`, `"b"`},
		{"keys differing in ASCII case are duplicates", `{"label":1,"LABEL":2}`, `"LABEL"`},
		{"keys differing in Unicode case are duplicates", `{"é":1,"É":2}`, `"É"`},
		{"the Kelvin sign folds to k, as in encoding/json", `{"k":1,"\u212a":2}`, "\"\u212a\""},
		{"the long s folds to s, as in encoding/json", `{"ſ":1,"S":2}`, `"S"`},
		{"escaped keys are compared unescaped", `{"a":1,"\u0061":2}`, `"a"`},
		{"a key given twice with whitespace before the colons is a duplicate", "{\"a\" :1,\n\"a\"\t:\r2}", `"a"`},
		{"a colon or brace in a string is text", `{"a":"\"}:{","b":"a\\","a":1}`, `"a"`},
		{"invalid UTF-8 in keys reads as U+FFFD, as in encoding/json", "{\"\xff\":1,\"\xfe\":2}", "\"\uFFFD\""},
		{"a body that is not JSON is left to the decoder", `{"a":1,"a":2,`, ""},
		{"trailing data is left to the decoder", `{"a":1}{"a":1,"a":2}`, ""},
		{"nesting to the limit is accepted", nest(maxJSONDepth), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkKeys([]byte(tc.body))
			switch {
			case tc.dup == "" && err != nil:
				t.Errorf("checkKeys: %v, want nil", err)
			case tc.dup != "" && (err == nil || !strings.Contains(err.Error(), "duplicate key "+tc.dup)):
				t.Errorf("checkKeys: %v, want duplicate key %s", err, tc.dup)
			}
		})
	}
	t.Run("nesting past the limit is refused", func(t *testing.T) {
		if err := checkKeys([]byte(nest(maxJSONDepth + 1))); err == nil || !strings.Contains(err.Error(), "nested deeper") {
			t.Errorf("checkKeys: %v, want nested too deeply", err)
		}
	})
}
