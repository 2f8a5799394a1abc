package rbac_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
	"github.com/iamd/iamd/storage/sqlite"
)

// bigGrants is the README's large case: 20 roles, each of 3 rights, held on
// 50 organizations (the subject's own and 49 children).
func bigGrants() rbac.Grants {
	g := rbac.Grants{
		Org:   rbac.Org{ID: "acme", Path: "/acme/"},
		Roles: map[string]rbac.Role{}, Paths: map[string]string{"acme": "/acme/"},
	}
	orgs := []string{"acme"}
	for i := 1; i < 50; i++ {
		id := fmt.Sprintf("org-%02d", i)
		g.Paths[id] = "/acme/" + id + "/"
		orgs = append(orgs, id)
	}
	for i := range 20 {
		id := fmt.Sprintf("role-%02d", i)
		perm := fmt.Sprintf("app.resource-%02d", i)
		g.Roles[id] = rbac.Role{ID: id, OrgID: "acme", Name: id,
			Rights:    []rbac.Right{{Permission: perm, Operation: "read"}, {Permission: perm, Operation: "write"}, {Permission: perm, Operation: "delete"}},
			Perimeter: []rbac.Scope{{OrgID: "acme", Subtree: true}}}
		for _, o := range orgs {
			g.Grants = append(g.Grants, rbac.Grant{RoleID: id, On: rbac.Scope{OrgID: o}})
		}
	}
	return g
}

// BenchmarkCompute computes the rights of 20 roles on 50 organizations.
func BenchmarkCompute(b *testing.B) {
	g := bigGrants()
	if n := len(rbac.Compute(g).Effective()); n != 20*3*50 {
		b.Fatalf("%d effective rights, want %d", n, 20*3*50)
	}
	b.ReportAllocs()
	for b.Loop() {
		rbac.Compute(g)
	}
}

// BenchmarkSubjectRights is the cost of rights when a token server has
// not got them in memory: one LoadGrants query and Compute, for 20 roles
// each held on the same 50 organizations (1,000 assignments).
func BenchmarkSubjectRights(b *testing.B) {
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "iamd.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		benchmarkSubjectRights(b, newEnv(b, db))
	})
	b.Run("postgres", func(b *testing.B) {
		db, err := postgres.Open(ctx, pgtest.URL(b))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		benchmarkSubjectRights(b, newEnv(b, db))
	})
}

func benchmarkSubjectRights(b *testing.B, e *env) {
	orgs := []string{"acme"}
	for i := 1; i < 50; i++ {
		orgs = append(orgs, e.org(b, fmt.Sprintf("org-%02d", i), "acme").ID)
	}
	sub := e.account(b, "acme", "big")
	for i := range 20 {
		perm := fmt.Sprintf("app.resource-%02d", i)
		e.permission(b, perm)
		r := e.role(b, "acme", fmt.Sprintf("role-%02d", i), []string{perm + ":read", perm + ":write", perm + ":delete"})
		e.assign(b, sub, r.Ref(), orgs...)
	}
	a, err := e.accts.Lookup(e.ctx, sub)
	if err != nil {
		b.Fatal(err)
	}
	r, err := e.orgs.SubjectRights(e.ctx, a.ID)
	if err != nil || len(r.Effective()) != 20*3*50 {
		b.Fatalf("%v effective rights (%v)", r, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.orgs.SubjectRights(e.ctx, a.ID); err != nil {
			b.Fatal(err)
		}
	}
}
