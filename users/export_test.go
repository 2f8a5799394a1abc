package users

// DeriveForTest exposes derive to the tests.
var DeriveForTest = derive
