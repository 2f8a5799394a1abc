package postgres

import (
	"context"
	"testing"

	"github.com/iamd/iamd/storage/postgres/pgtest"
	"github.com/iamd/iamd/storage/storagetest"
)

// TestGrantsQueryReadsOrganizationsByIndex: LoadGrants runs for every token
// request, so on a tree of 10,000 organizations, statistics gathered, it
// must look organizations up by index, never scan them all.
func TestGrantsQueryReadsOrganizationsByIndex(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	subjects := storagetest.BuildBenchData(t, d)
	if _, err := d.pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for name, subject := range subjects {
		if name == "the bootstrap admin, on all of 10,000" {
			continue // reads every organization, by design
		}
		var plan []struct{ Plan planNode }
		if err := d.pool.QueryRow(ctx, `EXPLAIN (FORMAT JSON) `+grantsQuery, subject).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		var walk func(n planNode)
		walk = func(n planNode) {
			if n.Relation == "orgs" && n.Type == "Seq Scan" {
				t.Errorf("%s: the grants query scans every organization", name)
			}
			for _, c := range n.Plans {
				walk(c)
			}
		}
		walk(plan[0].Plan)
	}
}

type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}
