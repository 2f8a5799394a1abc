package rbac

import (
	"fmt"

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

// Rights returns the actor's effective rights; nil for System.
func (a Actor) Rights() *Rights { return a.rights }

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
}

func (e *MissingRight) Error() string {
	return fmt.Sprintf("this requires the right %s on organization %s", e.Right, e.Org)
}

// Unwrap makes the error a storage.ErrForbidden.
func (e *MissingRight) Unwrap() error { return storage.ErrForbidden }
