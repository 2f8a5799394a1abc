GO ?= go
# STATICCHECK_VERSION is the staticcheck CI runs: the newest release for the
# Go version in go.mod (v0.8.2 is release 2026.2.2 and needs Go 1.26).
STATICCHECK_VERSION = v0.8.2

.PHONY: build run test lint tools bench fuzz screenshots

# build puts the iamd binary in bin/.
build:
	$(GO) build -o bin/iamd ./cmd/iamd

# run serves on the embedded store in ./iamd-data, at http://127.0.0.1:8080.
run:
	$(GO) run ./cmd/iamd serve

# test runs the static checks and the whole suite, the PostgreSQL half
# included: against IAMD_TEST_DATABASE_URL, or a throwaway cluster
# scripts/test starts. staticcheck is skipped, with a warning, if not on PATH.
test:
	./scripts/test

# screenshots runs the console's browser tests, which save the README's
# screenshots of its pages in docs/screenshots/.
screenshots:
	IAMD_SCREENSHOTS=$(CURDIR)/docs/screenshots IAMD_REQUIRE_CHROMIUM=1 $(GO) test ./web/ -run Browser -count=1

# lint runs only the static checks, staticcheck required.
lint:
	IAMD_REQUIRE_STATICCHECK=1 ./scripts/lint

# tools installs staticcheck in $(go env GOBIN), else $(go env GOPATH)/bin.
tools:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# fuzz runs each fuzz target for FUZZTIME (default 60s), one after the
# other: make fuzz FUZZTIME=5m. Failing inputs land in the package's
# testdata/fuzz/, to commit with the fix. make test runs every target
# briefly, and every committed input as a plain test.
FUZZTIME ?= 60s
fuzz:
	./scripts/fuzz $(FUZZTIME)

# bench runs the benchmarks: the token endpoint, rights and the storage of
# the authorization model (the PostgreSQL ones need IAMD_TEST_DATABASE_URL).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./oauth ./web ./rbac ./storage/...
