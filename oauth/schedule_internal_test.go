package oauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
)

var schedNow = time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)

const schedRetention = time.Hour

// keysAt returns keys k0, k1, ... activating at now plus each offset.
func keysAt(offsets ...time.Duration) []signing.Key {
	ks := make([]signing.Key, len(offsets))
	for i, o := range offsets {
		ks[i] = signing.Key{ID: fmt.Sprintf("k%d", i), ActivatesAt: schedNow.Add(o)}
	}
	return ks
}

func ids(ks []signing.Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

func TestCurrent(t *testing.T) {
	h := time.Hour
	cases := []struct {
		name    string
		offsets []time.Duration
		want    int
	}{
		{"no keys means no current key", nil, -1},
		{"a key activating now is current", []time.Duration{0}, 0},
		{"a key activating a nanosecond from now is not yet current", []time.Duration{time.Nanosecond}, -1},
		{"the latest activated key is current", []time.Duration{-2 * h, -h}, 1},
		{"an upcoming key leaves the previous one current", []time.Duration{-h, h}, 0},
		{"two upcoming keys leave the last activated one current", []time.Duration{-3 * h, -h, h, 2 * h}, 1},
		{"only upcoming keys mean no current key", []time.Duration{h, 2 * h}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := current(keysAt(tc.offsets...), schedNow); got != tc.want {
				t.Errorf("current = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestPublished(t *testing.T) {
	h, r := time.Hour, schedRetention
	cases := []struct {
		name    string
		offsets []time.Duration
		want    []bool
	}{
		{"a lone key is published", []time.Duration{-100 * h}, []bool{true}},
		{"the newest key is published however old", []time.Duration{-200 * h, -100 * h}, []bool{false, true}},
		{"an upcoming key is published with the current one", []time.Duration{-h, h}, []bool{true, true}},
		{"a key retired within retention is published", []time.Duration{-2 * h, -r / 2}, []bool{true, true}},
		{"a key retired a nanosecond less than retention ago is published", []time.Duration{-2 * h, -r + time.Nanosecond}, []bool{true, true}},
		{"a key retired exactly retention ago is not published", []time.Duration{-2 * h, -r}, []bool{false, true}},
		{"a key retired longer ago than retention is not published", []time.Duration{-5 * h, -3 * h, -r / 2, h}, []bool{false, true, true, true}},
		{"retirement counts from the successor's activation, not the key's", []time.Duration{-10 * h, -10 * h, -r / 4}, []bool{false, true, true}},
		{"keys that are all upcoming are published", []time.Duration{h, 2 * h}, []bool{true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ks := keysAt(tc.offsets...)
			var got []bool
			for i := range ks {
				got = append(got, published(ks, i, schedNow, r))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("published = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	h, r := time.Hour, schedRetention
	next := signing.Key{ID: "next", ActivatesAt: schedNow.Add(10 * time.Minute)}
	cases := []struct {
		name    string
		offsets []time.Duration
		want    []string
		pending string // the upcoming key the refusal names
	}{
		{"the first key is simply added", nil, []string{"next"}, ""},
		{"the current key is kept", []time.Duration{-100 * h}, []string{"k0", "next"}, ""},
		{"a retired key within retention is kept", []time.Duration{-2 * h, -r / 2}, []string{"k0", "k1", "next"}, ""},
		{"a key past retention is dropped", []time.Duration{-3 * h, -r}, []string{"k1", "next"}, ""},
		{"every key past retention is dropped, the current one kept", []time.Duration{-9 * h, -8 * h, -7 * h, -r / 2}, []string{"k2", "k3", "next"}, ""},
		{"a key activating now counts as activated", []time.Duration{-h, 0}, []string{"k0", "k1", "next"}, ""},
		{"rotation is refused while a key is upcoming", []time.Duration{-h, time.Minute}, nil, "k1"},
		{"rotation is refused while any key is upcoming", []time.Duration{-h, time.Minute, 2 * time.Minute}, nil, "k1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ks := keysAt(tc.offsets...)
			before := slices.Clone(ks)
			got, err := rotate(ks, next, schedNow, r)
			if !slices.EqualFunc(ks, before, func(a, b signing.Key) bool { return a.ID == b.ID && a.ActivatesAt.Equal(b.ActivatesAt) }) {
				t.Errorf("rotate changed its input to %v", ids(ks))
			}
			if tc.pending != "" {
				if !errors.Is(err, storage.ErrConflict) || got != nil {
					t.Fatalf("rotate = %v, %v; want ErrConflict", ids(got), err)
				}
				if want := fmt.Sprintf("signing key %s is already waiting", tc.pending); !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want it to say %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("rotate kept %v, want %v", ids(got), tc.want)
			}
		})
	}
}
