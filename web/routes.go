package web

import (
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
)

// routes is the route table. The token, introspection, revocation,
// discovery, JWKS and revocation feed endpoints and
// the API's OpenAPI document are public; everything else under /api/v1
// requires an access token for the management API, and the caller's
// rights decide what it may do.
func (s *Server) routes() {
	a := s.app
	a.Use(s.logRequests, s.recover, secureHeaders)

	a.Post(oauth.TokenPath, s.token)
	a.All(oauth.TokenPath, postOnly)
	a.Post(oauth.IntrospectionPath, s.introspect)
	a.All(oauth.IntrospectionPath, postOnly)
	a.Post(oauth.RevocationPath, s.revoke)
	a.All(oauth.RevocationPath, postOnly)
	a.Get(resource.RevocationsPath, s.revocations)
	a.Get("/.well-known/oauth-authorization-server", s.metadata)
	a.Get("/.well-known/openid-configuration", s.metadata)
	a.Get(oauth.JWKSPath, s.jwks)
	a.Get("/healthz", healthz)
	a.Get("/readyz", s.readyz)
	// Before the group, whose authentication would run first otherwise.
	a.Get(openAPIPath, s.openAPI)

	api := a.Group("/api/v1", s.authenticate)
	api.Get("/permissions", s.listPermissions)
	api.Post("/permissions", s.createPermission)
	api.Get("/permissions/:name", s.getPermission)
	api.Patch("/permissions/:name", s.updatePermission)
	api.Delete("/permissions/:name", s.deletePermission)

	api.Get("/orgs", s.listOrgs)
	api.Post("/orgs", s.createOrg)
	api.Get("/orgs/:id", s.getOrg)
	api.Patch("/orgs/:id", s.updateOrg)
	api.Delete("/orgs/:id", s.deleteOrg)

	api.Get("/roles", s.listRoles)
	api.Post("/roles", s.createRole)
	api.Get("/roles/:org/:name", s.getRole)
	api.Patch("/roles/:org/:name", s.updateRole)
	api.Delete("/roles/:org/:name", s.deleteRole)

	api.Get("/groups", s.listGroups)
	api.Post("/groups", s.createGroup)
	api.Get("/groups/:org/:name", s.getGroup)
	api.Patch("/groups/:org/:name", s.updateGroup)
	api.Delete("/groups/:org/:name", s.deleteGroup)
	api.Post("/groups/:org/:name/roles", s.addGroupRole)
	api.Delete("/groups/:org/:name/roles", s.removeGroupRole)
	api.Get("/groups/:org/:name/members", s.listGroupMembers)

	api.Get("/accounts", s.listAccounts)
	api.Post("/accounts", s.createAccount)
	api.Get("/accounts/:client_id", s.getAccount)
	api.Patch("/accounts/:client_id", s.updateAccount)
	api.Delete("/accounts/:client_id", s.deleteAccount)
	api.Post("/accounts/:client_id/archive", s.archiveAccount)
	api.Post("/accounts/:client_id/restore", s.restoreAccount)
	api.Post("/accounts/:client_id/move", s.moveAccount)
	api.Post("/accounts/:client_id/assignments", s.assign)
	api.Delete("/accounts/:client_id/assignments", s.unassign)
	api.Get("/accounts/:client_id/rights", s.accountRights)
	api.Get("/accounts/:client_id/keys", s.listKeys)
	api.Post("/accounts/:client_id/keys", s.createKey)

	api.Get("/users", s.listUsers)
	api.Post("/users", s.createUser)
	api.Get("/users/:name", s.getUser)
	api.Patch("/users/:name", s.updateUser)
	api.Delete("/users/:name", s.deleteUser)
	api.Post("/users/:name/disable", s.disableUser)
	api.Post("/users/:name/enable", s.enableUser)
	api.Post("/users/:name/password", s.setUserPassword)
	api.Post("/users/:name/assignments", s.assignUser)
	api.Delete("/users/:name/assignments", s.unassignUser)
	api.Get("/users/:name/rights", s.userRights)

	api.Get("/keys/:key_id", s.getKey)
	api.Delete("/keys/:key_id", s.deleteKey)
	api.Post("/keys/:key_id/activate", s.activateKey)
	api.Post("/keys/:key_id/deactivate", s.deactivateKey)
	api.Post("/keys/:key_id/rotate", s.rotateKey)

	api.Get("/signing-keys", s.listSigningKeys)
	api.Post("/signing-keys/rotate", s.rotateSigningKeys)

	api.Post("/tokens/revoke", s.revokeTokens)

	api.Get("/audit", s.listAudit)

	if s.Users != nil {
		s.consoleRoutes()
	}
}
