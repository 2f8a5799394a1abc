// Package like builds the LIKE patterns both storage backends search with,
// so that a search matches the same rows on each.
package like

import "strings"

// Escape is the escape character of the patterns, to name in the
// statement: LIKE ? ESCAPE '\'.
const Escape = `\`

// Contains returns a pattern matching, with LIKE and escape character
// Escape, the values that contain s: its %, _ and \ match themselves, and
// its ASCII letters are lowered. Compare it with the value lowered the
// same way, ASCII only: SQLite's LIKE folds ASCII case by itself, and
// PostgreSQL's lower() under COLLATE "C" lowers ASCII letters alone, so
// "É" matches "É" but not "é" on both.
func Contains(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('%')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' || c == '_' || c == '\\':
			b.WriteByte('\\')
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	b.WriteByte('%')
	return b.String()
}
