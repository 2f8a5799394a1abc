GO ?= go

.PHONY: build run test bench

# build puts the iamd binary in bin/.
build:
	$(GO) build -o bin/iamd ./cmd/iamd

# run serves on the embedded store in ./iamd-data, at http://127.0.0.1:8080.
run:
	$(GO) run ./cmd/iamd serve

# test runs the whole suite, the PostgreSQL half included: against
# IAMD_TEST_DATABASE_URL, or a throwaway cluster scripts/test starts.
test:
	./scripts/test

# bench runs the token endpoint benchmarks.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./oauth ./web
