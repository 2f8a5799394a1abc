package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

func checkOutput(format string) error {
	switch {
	case format == "table" || format == "json":
		return nil
	case strings.HasPrefix(format, "value="):
		for _, f := range strings.Split(strings.TrimPrefix(format, "value="), ",") {
			if f == "" {
				return usagef("--output value=FIELD[,FIELD...]: empty field name")
			}
		}
		return nil
	}
	return usagef("unknown output format %q: want table, json or value=FIELD[,FIELD...]", format)
}

// print writes v, the API's JSON form of the result, in the chosen format;
// table writes the human form.
func (c *cli) print(v any, table func(w io.Writer)) error {
	switch {
	case c.output == "json":
		enc := json.NewEncoder(c.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case strings.HasPrefix(c.output, "value="):
		return printValues(c.out, v, strings.Split(strings.TrimPrefix(c.output, "value="), ","))
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// printValues prints the named fields (dotted paths into the JSON form) of
// v, or of each of its "items", one line per item, tab-separated.
func printValues(w io.Writer, v any, fields []string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	rows := []any{doc}
	if m, ok := doc.(map[string]any); ok {
		if items, ok := m["items"].([]any); ok {
			rows = items
		}
	}
	for _, row := range rows {
		vals := make([]string, len(fields))
		for i, f := range fields {
			val, ok := lookup(row, f)
			if !ok {
				return usagef("no field %q in the output (see -o json)", f)
			}
			vals[i] = scalar(val)
		}
		fmt.Fprintln(w, strings.Join(vals, "\t"))
	}
	return nil
}

func lookup(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = scalar(e)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// row writes tab-separated cells and a newline.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// when formats a time for tables; ifZero is shown for a missing one.
func when(t *time.Time, ifZero string) string {
	if t == nil || t.IsZero() {
		return ifZero
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// list formats a list for tables.
func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, " ")
}
