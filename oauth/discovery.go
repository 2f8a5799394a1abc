package oauth

import (
	"slices"
	"strings"

	"github.com/iamd/iamd/accounts"
)

// authMethods are the client authentication methods of the token,
// introspection and revocation endpoints.
var authMethods = []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}

// Metadata is the authorization server metadata of RFC 8414 §2, also served
// as /.well-known/openid-configuration for clients that only look there.
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	// TokenEndpointAuthSigningAlgValuesSupported are the algorithms
	// private_key_jwt assertions may be signed with.
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	// Introspection (RFC 7662) and revocation (RFC 7009) take the token
	// endpoint's client authentication methods (RFC 8414 §2).
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	// ResponseTypesSupported is empty: iamd has no authorization endpoint.
	ResponseTypesSupported []string `json:"response_types_supported"`
}

// Metadata returns the server's metadata.
func (s *Server) Metadata() Metadata {
	base := strings.TrimRight(s.cfg.Issuer, "/")
	m := Metadata{
		Issuer:                            s.cfg.Issuer,
		TokenEndpoint:                     base + TokenPath,
		JWKSURI:                           base + JWKSPath,
		GrantTypesSupported:               []string{GrantClientCredentials},
		TokenEndpointAuthMethodsSupported: slices.Clone(authMethods),
		TokenEndpointAuthSigningAlgValuesSupported: slices.Clone(accounts.AssertionAlgorithms),
		ResponseTypesSupported:                     []string{},
		IntrospectionEndpoint:                      base + IntrospectionPath,
		RevocationEndpoint:                         base + RevocationPath,
	}
	// Both authenticate clients as the token endpoint does (see
	// Server.authenticate): whatever it supports, they do.
	m.IntrospectionEndpointAuthMethodsSupported = m.TokenEndpointAuthMethodsSupported
	m.RevocationEndpointAuthMethodsSupported = m.TokenEndpointAuthMethodsSupported
	return m
}
