package accounts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

// Kinds of group members.
const (
	MemberAccount = "account"
	MemberUser    = "user"
)

// Member is a member of a group: a service account or a user.
type Member struct {
	// Kind is MemberAccount or MemberUser.
	Kind string
	// Name names the member as people do: an account's client ID, a user's
	// login name.
	Name string
	// ClientID is the account's client ID; empty for a user.
	ClientID    string
	DisplayName string
	CreatedAt   time.Time
	CreatedBy   string
}

// UserReader is what the Service reads of users (see users.Store): the
// names of the users among a group's members. Users are subjects as
// accounts are, so a group's members are both; rbac, which lists the
// memberships, knows neither record.
type UserReader interface {
	GetUsers(ctx context.Context, ids []string) ([]users.User, error)
}

// GroupMembers returns the members of a group (ORG/NAME), accounts first
// then users, each by name; it requires iam.groups read on the group's
// organization (see rbac.Service.Members). Users are read in one query.
func (s *Service) GroupMembers(ctx context.Context, actor rbac.Actor, groupRef string) ([]Member, error) {
	ms, err := s.orgs.Members(ctx, actor, groupRef)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(ms))
	others := map[string]rbac.Membership{}
	for _, m := range ms {
		a, err := s.store.GetAccount(ctx, m.SubjectID)
		if errors.Is(err, storage.ErrNotFound) {
			// A user, or an account deleted since the memberships were
			// read.
			others[m.SubjectID] = m
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("member of %s: %w", groupRef, err)
		}
		id := s.ids.Of(a)
		out = append(out, Member{Kind: MemberAccount, Name: id, ClientID: id, DisplayName: a.DisplayName,
			CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy})
	}
	if len(others) > 0 {
		us, err := s.store.GetUsers(ctx, slices.Collect(maps.Keys(others)))
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", groupRef, err)
		}
		for _, u := range us {
			m := others[u.ID]
			out = append(out, Member{Kind: MemberUser, Name: u.Name, DisplayName: u.DisplayName,
				CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy})
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name)) })
	return out, nil
}
