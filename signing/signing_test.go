package signing_test

import (
	"slices"
	"testing"

	"github.com/iamd/iamd/signing"
)

func TestChanges(t *testing.T) {
	k := func(ids ...string) []signing.Key {
		var out []signing.Key
		for _, id := range ids {
			out = append(out, signing.Key{ID: id})
		}
		return out
	}
	cases := []struct {
		name      string
		old, next []signing.Key
		added     []string
		removed   []string
	}{
		{"nothing changes", k("a", "b"), k("a", "b"), nil, nil},
		{"a new key is added", k("a"), k("a", "b"), []string{"b"}, nil},
		{"a dropped key is removed", k("a", "b"), k("b"), nil, []string{"a"}},
		{"rotation adds and removes at once", k("a", "b"), k("b", "c"), []string{"c"}, []string{"a"}},
		{"everything from nothing", nil, k("a"), []string{"a"}, nil},
		{"nothing from everything", k("a", "b"), nil, nil, []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			added, removed := signing.Changes(tc.old, tc.next)
			var addedIDs []string
			for _, a := range added {
				addedIDs = append(addedIDs, a.ID)
			}
			if !slices.Equal(addedIDs, tc.added) || !slices.Equal(removed, tc.removed) {
				t.Errorf("Changes = +%v -%v, want +%v -%v", addedIDs, removed, tc.added, tc.removed)
			}
		})
	}
}
