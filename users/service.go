package users

import (
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Config sets how long console sessions last.
type Config struct {
	// IdleTimeout ends a session unused for that long; 30 minutes if
	// zero.
	IdleTimeout time.Duration
	// SessionLifetime ends a session that long after sign-in, however
	// much it is used; 12 hours if zero.
	SessionLifetime time.Duration
}

// Service applies the rules of human admin users on top of a Store: the
// management of users, which checks the actor's rights (iam.users) and
// records every change in the audit log in the change's transaction; and
// signing in to the console, with its sessions.
type Service struct {
	store  Store
	tx     storage.Transactor
	orgs   *rbac.Service
	audit  *audit.Log
	cfg    Config
	logins *loginThrottle
	now    func() time.Time
	// pruned is when expired sessions were last pruned, in Unix
	// nanoseconds.
	pruned atomic.Int64
}

// NewService returns a Service; changes are audited in the log of orgs.
func NewService(store Store, tx storage.Transactor, orgs *rbac.Service, cfg Config, now func() time.Time) *Service {
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 12 * time.Hour
	}
	return &Service{store: store, tx: tx, orgs: orgs, audit: orgs.Audit(), cfg: cfg, logins: newLoginThrottle(), now: now}
}
