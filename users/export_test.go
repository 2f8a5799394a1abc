package users

// DeriveForTest exposes derive to the tests.
var DeriveForTest = derive

// HashingNow is how many hashes are being computed.
func HashingNow() int { return len(hashing) }
