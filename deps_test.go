package iamd_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var domainPackages = []string{"oauth", "signing", "accounts", "rbac", "audit", "users", "resource", "storage", "migrations"}

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

// TestDomainPackagesDoNotUseSQL: SQL belongs to the storage backends.
func TestDomainPackagesDoNotUseSQL(t *testing.T) {
	for _, pkg := range domainPackages {
		for _, imp := range goList(t, `{{join .Imports "\n"}}`, "./"+pkg) {
			if strings.HasPrefix(imp, "database/sql") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

// TestResourceStandsAlone: resource servers import package resource
// without any of the server. It and its tests depend on the standard
// library (without database/sql) and go-jose, and nothing else: no other
// iamd package, no fiber, pgx or SQL driver.
func TestResourceStandsAlone(t *testing.T) {
	const self = "github.com/iamd/iamd/resource"
	const jose = "github.com/go-jose/go-jose/v4"
	deps := goList(t, "{{.ImportPath}}", "-test", "-deps", "./resource")
	if !slices.Contains(deps, jose) {
		t.Fatalf("go list -test -deps returned %q; want the package's dependencies", deps)
	}
	for _, dep := range deps {
		// A package built for the tests is listed as "path [path.test]".
		dep = strings.Trim(dep, "[]")
		switch {
		case dep == self || dep == self+"_test" || dep == self+".test":
		case dep == jose || strings.HasPrefix(dep, jose+"/"):
		case dep == "database/sql" || strings.HasPrefix(dep, "database/sql/"):
			t.Errorf("resource depends on %s", dep)
		case !strings.Contains(strings.Split(dep, "/")[0], "."):
			// The standard library: no dot in the first path element.
		default:
			t.Errorf("resource depends on %s; it may use only the standard library and go-jose", dep)
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

// TestBackendsStayOffProtocol keeps the protocol out of storage: the
// backends and their conformance suite, tests included, store signing-key
// records (package signing) but must not depend on package oauth, which
// would tie every backend to the OAuth stack.
func TestBackendsStayOffProtocol(t *testing.T) {
	forbidden := []string{"github.com/iamd/iamd/oauth", "github.com/iamd/iamd/web"}
	for _, pkg := range []string{"storage/sqlite", "storage/postgres", "storage/storagetest"} {
		t.Run(pkg, func(t *testing.T) {
			deps := goList(t, "{{.ImportPath}}", "-test", "-deps", "./"+pkg)
			if !slices.Contains(deps, "github.com/iamd/iamd/"+pkg) {
				t.Fatalf("go list -test -deps returned %q; want the package and its dependencies", deps)
			}
			for _, dep := range deps {
				dep = strings.Trim(dep, "[]")
				for _, f := range forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") {
						t.Errorf("%s depends on %s", pkg, dep)
					}
				}
			}
		})
	}
}
