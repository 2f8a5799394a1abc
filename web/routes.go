package web

import (
	"github.com/iamd/iamd/oauth"
)

// routes is the route table. The token, discovery and JWKS endpoints are
// public; everything under /api/v1 requires an admin's access token.
func (s *Server) routes() {
	a := s.app
	a.Use(s.logRequests, s.recover, secureHeaders)

	a.Post(oauth.TokenPath, s.token)
	a.All(oauth.TokenPath, tokenMethodNotAllowed)
	a.Get("/.well-known/oauth-authorization-server", s.metadata)
	a.Get("/.well-known/openid-configuration", s.metadata)
	a.Get(oauth.JWKSPath, s.jwks)
	a.Get("/healthz", healthz)
	a.Get("/readyz", s.readyz)

	api := a.Group("/api/v1", s.authenticate)
	api.Get("/orgs", s.listOrgs)
	api.Post("/orgs", s.createOrg)
	api.Get("/orgs/:id", s.getOrg)
	api.Patch("/orgs/:id", s.updateOrg)
	api.Delete("/orgs/:id", s.deleteOrg)

	api.Get("/accounts", s.listAccounts)
	api.Post("/accounts", s.createAccount)
	api.Get("/accounts/:client_id", s.getAccount)
	api.Patch("/accounts/:client_id", s.updateAccount)
	api.Delete("/accounts/:client_id", s.deleteAccount)
	api.Post("/accounts/:client_id/archive", s.archiveAccount)
	api.Post("/accounts/:client_id/restore", s.restoreAccount)
	api.Get("/accounts/:client_id/keys", s.listKeys)
	api.Post("/accounts/:client_id/keys", s.createKey)

	api.Get("/keys/:key_id", s.getKey)
	api.Delete("/keys/:key_id", s.deleteKey)
	api.Post("/keys/:key_id/activate", s.activateKey)
	api.Post("/keys/:key_id/deactivate", s.deactivateKey)
	api.Post("/keys/:key_id/rotate", s.rotateKey)

	api.Get("/signing-keys", s.listSigningKeys)
	api.Post("/signing-keys/rotate", s.rotateSigningKeys)
}
