package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Member is a service account in a group.
type Member struct {
	ClientID  string
	CreatedAt time.Time
	CreatedBy string
}

// GroupMembers returns the accounts in a group (ORG/NAME), ordered by
// client ID; it requires iam.groups read on the group's organization (see
// rbac.Service.Members). Users may be members too (migration 0006): they
// are left out, as Member names a member by client ID; rbac.Service.Members
// lists every member.
func (s *Service) GroupMembers(ctx context.Context, actor rbac.Actor, groupRef string) ([]Member, error) {
	ms, err := s.orgs.Members(ctx, actor, groupRef)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		a, err := s.store.GetAccount(ctx, m.SubjectID)
		if errors.Is(err, storage.ErrNotFound) {
			// Deleted since the memberships were read, or a user (see
			// GroupMembers), which has no client ID.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("member of %s: %w", groupRef, err)
		}
		out = append(out, Member{ClientID: s.ids.Of(a), CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy})
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.ClientID, b.ClientID) })
	return out, nil
}
