package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/iamd/iamd/rbac"
)

// What the dashboard shows.
const (
	// DashboardLimit caps each of the dashboard's lists.
	DashboardLimit = 20
	// ExpiringWithin is how soon a key expires to be listed as expiring.
	ExpiringWithin = 30 * 24 * time.Hour
	// UnusedFor is how long an account or key went unused to be listed as
	// unused.
	UnusedFor = 90 * 24 * time.Hour
)

// Dashboard is what the console's dashboard shows of accounts and keys,
// restricted to the organizations where the actor may see them.
type Dashboard struct {
	// Accounts counts the accounts of the organizations where the actor
	// holds iam.service-accounts read.
	Accounts AccountCounts
	// Keys counts the keys of the accounts of the organizations where the
	// actor holds iam.keys read.
	Keys KeyCounts
	// ExpiringKeys are active keys of active accounts expiring within
	// ExpiringWithin, soonest first.
	ExpiringKeys []DashboardKey
	// NeverUsedAccounts are active accounts never used, oldest first;
	// UnusedAccounts those last used more than UnusedFor ago, least
	// recently used first.
	NeverUsedAccounts, UnusedAccounts []DashboardAccount
	// NeverUsedKeys and UnusedKeys are the same for active keys of active
	// accounts.
	NeverUsedKeys, UnusedKeys []DashboardKey
}

// DashboardAccount is an account in a list of the dashboard.
type DashboardAccount struct {
	Account  Account
	ClientID string
}

// DashboardKey is a key in a list of the dashboard, with its account.
type DashboardKey struct {
	Key      Key
	Account  Account
	ClientID string
}

// maxOverfetch bounds how many rows more than DashboardLimit the dashboard
// reads to make up for those a pending use takes out of a list.
const maxOverfetch = 100

// Dashboard returns the dashboard at the service's clock. Counts and lists
// of accounts cover the organizations where the actor holds
// iam.service-accounts read, those of keys the organizations where it holds
// iam.keys read; an actor holding neither sees zeros and empty lists.
// Each list holds at most DashboardLimit entries.
//
// Last-used times are those stored plus the uses this process has not
// written yet (see UsageRecorder), which take accounts and keys out of the
// lists of unused ones. Uses on other instances show once flushed, every
// usage flush interval (10 s in iamd serve): until then an account or key
// used there may still be listed as unused.
func (s *Service) Dashboard(ctx context.Context, actor rbac.Actor) (Dashboard, error) {
	now := s.now()
	d := Dashboard{
		ExpiringKeys:      []DashboardKey{},
		NeverUsedAccounts: []DashboardAccount{}, UnusedAccounts: []DashboardAccount{},
		NeverUsedKeys: []DashboardKey{}, UnusedKeys: []DashboardKey{},
	}
	// Each pending use can take one row out of a list: read that many more.
	limit := DashboardLimit + min(s.usage.pending(), maxOverfetch)
	before := now.Add(-UnusedFor)
	var err error
	if orgIDs, ok := visible(actor, readAccounts); ok {
		if d.Accounts, err = s.store.CountAccounts(ctx, orgIDs); err != nil {
			return Dashboard{}, fmt.Errorf("count accounts: %w", err)
		}
		if d.NeverUsedAccounts, err = s.idleAccounts(ctx, IdleOptions{OrgIDs: orgIDs, Now: now, Limit: limit}); err != nil {
			return Dashboard{}, err
		}
		if d.UnusedAccounts, err = s.idleAccounts(ctx, IdleOptions{OrgIDs: orgIDs, UsedBefore: before, Now: now, Limit: limit}); err != nil {
			return Dashboard{}, err
		}
	}
	if orgIDs, ok := visible(actor, readKeys); ok {
		if d.Keys, err = s.store.CountKeys(ctx, orgIDs, now); err != nil {
			return Dashboard{}, fmt.Errorf("count keys: %w", err)
		}
		aks, err := s.store.ListExpiringKeys(ctx, orgIDs, now, now.Add(ExpiringWithin), DashboardLimit)
		if err != nil {
			return Dashboard{}, fmt.Errorf("list expiring keys: %w", err)
		}
		d.ExpiringKeys = s.dashboardKeys(aks, func(Key) bool { return true })
		if d.NeverUsedKeys, err = s.idleKeys(ctx, IdleOptions{OrgIDs: orgIDs, Now: now, Limit: limit}); err != nil {
			return Dashboard{}, err
		}
		if d.UnusedKeys, err = s.idleKeys(ctx, IdleOptions{OrgIDs: orgIDs, UsedBefore: before, Now: now, Limit: limit}); err != nil {
			return Dashboard{}, err
		}
	}
	return d, nil
}

// visible returns the organizations where the actor holds right, nil for
// every one; false if it holds it nowhere, so there is nothing to read.
func visible(actor rbac.Actor, right rbac.Right) ([]string, bool) {
	ids, all := actor.Visible(right)
	if all {
		return nil, true
	}
	return ids, len(ids) > 0
}

// idle reports whether a last use at t keeps a row in the list opts
// selects, once pending uses are overlaid.
func idle(opts IdleOptions, t time.Time) bool {
	if opts.UsedBefore.IsZero() {
		return t.IsZero()
	}
	return t.Before(opts.UsedBefore)
}

func (s *Service) idleAccounts(ctx context.Context, opts IdleOptions) ([]DashboardAccount, error) {
	as, err := s.store.ListIdleAccounts(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list idle accounts: %w", err)
	}
	out := []DashboardAccount{}
	for _, a := range as {
		s.usage.overlayAccount(&a)
		if idle(opts, a.LastUsedAt) && len(out) < DashboardLimit {
			out = append(out, DashboardAccount{Account: a, ClientID: s.ids.Of(a)})
		}
	}
	return out, nil
}

func (s *Service) idleKeys(ctx context.Context, opts IdleOptions) ([]DashboardKey, error) {
	aks, err := s.store.ListIdleKeys(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list idle keys: %w", err)
	}
	return s.dashboardKeys(aks, func(k Key) bool { return idle(opts, k.LastUsedAt) }), nil
}

// dashboardKeys overlays pending uses on aks and returns up to
// DashboardLimit of those keep keeps.
func (s *Service) dashboardKeys(aks []AccountKey, keep func(Key) bool) []DashboardKey {
	out := []DashboardKey{}
	for _, ak := range aks {
		s.usage.overlayKey(&ak.Key)
		s.usage.overlayAccount(&ak.Account)
		if keep(ak.Key) && len(out) < DashboardLimit {
			out = append(out, DashboardKey{Key: ak.Key, Account: ak.Account, ClientID: s.ids.Of(ak.Account)})
		}
	}
	return out
}
