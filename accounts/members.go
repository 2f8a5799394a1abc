package accounts

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/iamd/iamd/rbac"
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
	ClientID string
	// OrgID is the member's organization: what reading it requires a
	// right on (iam.service_accounts or iam.users read).
	OrgID       string
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
// organization (see rbac.Service.Members). Accounts are read in one
// query, and users in another.
func (s *Service) GroupMembers(ctx context.Context, actor rbac.Actor, groupRef string) ([]Member, error) {
	ms, err := s.orgs.Members(ctx, actor, groupRef)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(ms))
	// A member that is no account is a user, or an account deleted since
	// the memberships were read.
	others := make(map[string]rbac.Membership, len(ms))
	for _, m := range ms {
		others[m.SubjectID] = m
	}
	if len(ms) == 0 {
		return out, nil
	}
	as, err := s.store.GetAccounts(ctx, slices.Collect(maps.Keys(others)))
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", groupRef, err)
	}
	for _, a := range as {
		m, ok := others[a.ID]
		if !ok {
			continue
		}
		delete(others, a.ID)
		id := s.ids.Of(a)
		out = append(out, Member{Kind: MemberAccount, Name: id, ClientID: id, OrgID: a.OrgID, DisplayName: a.DisplayName,
			CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy})
	}
	if len(others) > 0 {
		us, err := s.store.GetUsers(ctx, slices.Collect(maps.Keys(others)))
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", groupRef, err)
		}
		for _, u := range us {
			m := others[u.ID]
			out = append(out, Member{Kind: MemberUser, Name: u.Name, OrgID: u.OrgID, DisplayName: u.DisplayName,
				CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy})
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name)) })
	return out, nil
}
