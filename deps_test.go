package iamd_test

import (
	"os/exec"
	"strings"
	"testing"
)

var domainPackages = []string{"oauth", "accounts", "rbac", "storage", "migrations"}

// TestDomainPackagesStayOffDrivers keeps the import direction: the domain and
// protocol packages never depend, even indirectly, on the HTTP framework, the
// PostgreSQL driver or a SQL driver; only web and the storage backends may.
func TestDomainPackagesStayOffDrivers(t *testing.T) {
	forbidden := []string{
		"github.com/gofiber/",
		"github.com/valyala/fasthttp",
		"github.com/jackc/pgx",
		"modernc.org/sqlite",
		"github.com/mattn/go-sqlite3",
		"github.com/lib/pq",
	}
	for _, pkg := range domainPackages {
		t.Run(pkg, func(t *testing.T) {
			deps := goList(t, "{{.ImportPath}}", "-deps", "./"+pkg)
			if len(deps) < 2 {
				t.Fatalf("go list -deps returned %d packages; want the package and its dependencies", len(deps))
			}
			for _, dep := range deps {
				for _, f := range forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s depends on %s", pkg, dep)
					}
				}
			}
		})
	}
}

// TestDomainPackagesDoNotUseSQL: SQL belongs to the storage backends. (fosite
// pulls database/sql in through its tracing helpers, so only our own imports
// are checked.)
func TestDomainPackagesDoNotUseSQL(t *testing.T) {
	for _, pkg := range domainPackages {
		for _, imp := range goList(t, `{{join .Imports "\n"}}`, "./"+pkg) {
			if strings.HasPrefix(imp, "database/sql") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

func goList(t *testing.T, format string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-f", format}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}
