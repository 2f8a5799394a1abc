package users_test

import (
	"os"
	"testing"

	"github.com/iamd/iamd/users"
)

// TestMain makes hashing cheap for every test but those of the hash itself,
// which ask for the production parameters (users.UseProductionHashing).
func TestMain(m *testing.M) {
	users.HashCheaplyForTest()
	os.Exit(m.Run())
}
