package users

import "testing"

// DeriveForTest exposes derive to the tests.
var DeriveForTest = derive

// HashingNow is how many hashes are being computed.
func HashingNow() int { return len(hashing) }

// HashCheaplyForTest gives new hashes the least work argon2id allows, for
// the tests that are not about the hash: each then costs microseconds, not
// the 100 ms of productionParams. The fixture's hashes (m=8) still differ
// from these, so a sign-in still rehashes them.
func HashCheaplyForTest() { hashParams = argonParams{time: 1, memory: 16, threads: 1} }

// UseProductionHashing gives new hashes the production parameters until t
// ends.
func UseProductionHashing(t *testing.T) {
	old := hashParams
	hashParams = productionParams
	t.Cleanup(func() { hashParams = old })
}
