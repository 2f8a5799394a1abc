package rbac

import (
	"fmt"
	"strings"

	"github.com/iamd/iamd/storage"
)

// Actor is who performs a management operation, with the rights it holds:
// every operation of the domain services checks them.
type Actor struct {
	// ID names the actor in audit records and "created by": a client ID,
	// or "iamd init".
	ID     string
	rights *Rights
	system bool
}

// NewActor returns an actor holding rights.
func NewActor(id string, rights *Rights) Actor { return Actor{ID: id, rights: rights} }

// System returns an actor holding every right: iamd itself, as when
// `iamd init` creates the root and the admin.
func System(id string) Actor { return Actor{ID: id, system: true} }

// IsSystem reports whether the actor is iamd itself (see System).
func (a Actor) IsSystem() bool { return a.system }

// Can reports whether the actor holds right on org.
func (a Actor) Can(org string, right Right) bool {
	return a.system || a.rights.Allows(org, right)
}

// Need returns a storage.ErrForbidden error naming the missing right
// unless the actor holds right on org.
func (a Actor) Need(org string, right Right) error {
	if a.Can(org, right) {
		return nil
	}
	return &MissingRight{Org: org, Right: right}
}

// NeedSubtree returns a MissingRight error unless the actor holds right on
// org and on every descendant it has or will have: what giving a role on
// org and its descendants requires, since the grant will reach
// organizations created there later.
func (a Actor) NeedSubtree(org Org, right Right) error {
	if a.system || a.rights.AllowsSubtree(org.Path, right) {
		return nil
	}
	return &MissingRight{Org: org.ID, Right: right, Subtree: true}
}

// NeedAll returns a MissingRight error unless the actor holds every right
// of held, where held holds it: what acting as another subject requires,
// as creating a key of an account does.
func (a Actor) NeedAll(held *Rights) error {
	if a.system {
		return nil
	}
	for org, rights := range held.ByOrg() {
		for _, r := range rights {
			if err := a.Need(org, r); err != nil {
				return err
			}
		}
	}
	var missing error
	held.Subtrees(func(path string, r Right) {
		if missing == nil && !a.rights.AllowsSubtree(path, r) {
			missing = &MissingRight{Org: lastID(path), Right: r, Subtree: true}
		}
	})
	return missing
}

// NeedGains returns a MissingRight error unless the actor holds every
// right that after holds and before did not: what a change that gives a
// subject rights, such as moving it, requires.
func (a Actor) NeedGains(before, after *Rights) error {
	if a.system {
		return nil
	}
	for org, rights := range after.ByOrg() {
		for _, r := range rights {
			if before.Allows(org, r) {
				continue
			}
			if err := a.Need(org, r); err != nil {
				return err
			}
		}
	}
	var missing error
	after.Subtrees(func(path string, r Right) {
		if missing == nil && !before.AllowsSubtree(path, r) && !a.rights.AllowsSubtree(path, r) {
			missing = &MissingRight{Org: lastID(path), Right: r, Subtree: true}
		}
	})
	return missing
}

func lastID(path string) string {
	ids := strings.Split(strings.Trim(path, "/"), "/")
	return ids[len(ids)-1]
}

// CanSomewhere reports whether the actor holds right on some
// organization: whether a page may offer to create what needs it, in an
// organization the form then lets it pick.
func (a Actor) CanSomewhere(right Right) bool {
	ids, all := a.Visible(right)
	return all || len(ids) > 0
}

// Visible returns the organizations on which the actor holds right, for
// lists that show only what the caller may read; all is true when it holds
// it everywhere.
func (a Actor) Visible(right Right) (ids []string, all bool) {
	if a.system {
		return nil, true
	}
	return a.rights.Orgs(right)
}

// MissingRight is the error of an operation refused for want of a right.
type MissingRight struct {
	Org   string
	Right Right
	// Subtree says the right is needed on Org and all its descendants.
	Subtree bool
}

func (e *MissingRight) Error() string {
	if e.Subtree {
		return fmt.Sprintf("this requires the right %s on organization %s and all its descendants, those created later included", e.Right, e.Org)
	}
	return fmt.Sprintf("this requires the right %s on organization %s", e.Right, e.Org)
}

// Unwrap makes the error a storage.ErrForbidden.
func (e *MissingRight) Unwrap() error { return storage.ErrForbidden }
