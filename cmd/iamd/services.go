package main

import (
	"context"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
)

// services are the domain services over one store, built the same way for
// serve and init.
type services struct {
	orgs  *rbac.Service
	accts *accounts.Service
	users *users.Service
}

// newServices wires the domain services: one audit log, in which all
// record their changes. usage may be nil (init records no authentication).
func newServices(st store, ids accounts.ClientIDs, usage *accounts.UsageRecorder, now func() time.Time) services {
	orgs := newOrgs(st, now)
	return services{
		orgs:  orgs,
		accts: accounts.NewService(st, st, orgs, ids, usage, now),
		users: users.NewService(st, st, orgs, users.Config{}, now),
	}
}

func newOrgs(st store, now func() time.Time) *rbac.Service {
	return rbac.NewService(st, st, audit.NewLog(st, now), now)
}

// ensureManagedRoles brings the roles iamd ships up to date with this
// release, after the migrations: a release may refine what they grant.
func ensureManagedRoles(ctx context.Context, st store) error {
	return newOrgs(st, time.Now).EnsureManagedRoles(ctx)
}
