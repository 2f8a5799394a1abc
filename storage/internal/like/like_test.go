package like

import "testing"

func TestContains(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"an empty search matches everything", "", "%%"},
		{"ASCII letters are lowered", "Sync", "%sync%"},
		{"other letters are kept as they are", "Équipe", "%Équipe%"},
		{"wildcards and the escape character match themselves", `50%_a\b`, `%50\%\_a\\b%`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Contains(c.in); got != c.want {
				t.Errorf("Contains(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
