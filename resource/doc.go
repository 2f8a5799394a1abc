// Package resource is for resource servers that accept iamd access tokens:
// it verifies a token offline against the keys iamd publishes, with the
// checks of RFC 9068 §4. It depends on the standard library and go-jose
// only, so a resource server imports none of iamd's server code.
package resource
