// Package resource is for resource servers that accept iamd access tokens:
// it verifies a token offline against the keys iamd publishes and answers
// whether the token allows an operation on a permission in an
// organization. It depends on the standard library and go-jose only, so a
// resource server imports none of iamd's server code.
//
// # Verifying a token
//
// NewRemoteKeys reads the issuer's metadata (RFC 8414) and the key set at
// its jwks_uri, and fetches the set again when a token names a key it
// lacks (at most every RemoteConfig.RefetchInterval). It uses a set for
// the max-age of its Cache-Control, between RemoteConfig.MinAge and
// MaxAge, revalidates it with its ETag, and keeps serving the last good
// set while the server is unreachable or answers an error, reporting each
// failure to RemoteConfig.OnError. A Verifier makes the
// checks of RFC 9068 §4: typ at+jwt, a signature by a published key of the
// algorithm that key announces, the issuer, the audience and the validity
// period, with DefaultLeeway of clock skew.
//
// # Revoked tokens
//
// A token that verifies may have been revoked since it was issued. iamd
// publishes its revocations at RevocationsPath under the issuer (GET,
// public, like the key set) as a Revocations document: the revoked tokens
// by jti, and cutoffs revoking the tokens of an account ("acct"), or of one
// of its keys ("key"), issued before a time. Revocations.Revoked tells
// whether it revokes a token's claims. Entries stay until the tokens they
// revoke have expired, plus twice DefaultLeeway. The feed carries an ETag and a
// Cache-Control max-age (30 seconds by default): poll it with
// If-None-Match, and a 304 means nothing changed. A resource server that
// wants an online answer instead asks iamd's introspection endpoint
// (RFC 7662, introspection_endpoint in the metadata), as a client holding
// iam.tokens:read on the token's organization.
//
// # The authorization claims
//
// Besides the claims of RFC 9068 §2.2, an iamd token carries:
//
//   - "scope": the granted rights, space-separated, each
//     "PERMISSION:OPERATION" (billing.invoices:read), or "*" for every
//     right. It says what was granted, not where.
//   - "org": the ID of the account's own organization.
//   - "roles": the active roles with where they are held (RFC 9068
//     §2.2.3.1): an array of entries {"orgs": [...], "roles": "..."},
//     "roles" the space-separated roles "ORG/ROLE" held on each of "orgs",
//     "ORG" or "ORG/*" for an organization and its descendants; each role
//     appears in one entry, roles held on the same organizations sharing
//     it: [{"orgs": ["billing", "sales/*"], "roles": "acme/invoice-reader"}].
//   - "groups": the account's groups, "ORG/GROUP", e.g. "acme/finance".
//   - "rights": where each right holds, and the only claim that decides.
//
// A permission name is one or more dot-separated segments of lowercase
// letters, digits and hyphens, each starting with a letter; an operation is
// read, write, delete or archive.
//
// The rights claim is an array of entries {"orgs": [...], "scope": "..."}.
// "orgs" lists organization IDs, sorted, or is ["*"], every organization
// present and future. "scope" lists rights as the scope claim does, sorted,
// space-separated; "*" is every right. Each right appears in exactly one
// entry, the one listing every organization where it holds, so rights that
// hold in exactly the same organizations share an entry; entries are
// sorted by their first right. The token lists every organization it
// reaches, subtrees expanded, so a resource server needs no copy of the
// organization tree.
//
// A token allows operation O on permission P in organization X if and only
// if some entry has X or "*" in its orgs and "P:O" or "*" in its scope. A
// token without a rights claim allows nothing. Example:
//
//	"rights": [
//	  {"orgs": ["billing", "sales"], "scope": "billing.invoices:read"},
//	  {"orgs": ["billing"], "scope": "iam.keys:read iam.keys:write"}
//	]
//
// allows billing.invoices:read in billing and in sales, and iam.keys:write
// in billing only. Compact builds this claim from (org, permission,
// operation) triples; Rights.Allows and Claims.Allows read it.
//
// # A resource server
//
// Verifier.Middleware guards a net/http handler: it reads the bearer token
// of the Authorization header (RFC 6750 §2.1), verifies it for the
// server's audience and serves the request with the token's claims in its
// context, for ClaimsFrom. Other requests get a WWW-Authenticate challenge
// (RFC 6750 §3): 401 without an error code without a bearer token, 400
// invalid_request for a malformed or repeated Authorization header, 401
// invalid_token for a token that does not verify. Inside it, Require (an
// organization known in advance) and RequireIn (one taken from the
// request) answer 403 insufficient_scope, naming the right, when the
// claims do not allow an operation on a permission in the organization.
//
//	keys, err := resource.NewRemoteKeys(ctx, "https://iam.example.com", resource.RemoteConfig{})
//	if err != nil {
//		return err
//	}
//	verifier := resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now)
//
//	mux := http.NewServeMux()
//	orgOf := func(r *http.Request) string { return r.PathValue("org") }
//	mux.Handle("GET /orgs/{org}/invoices", resource.RequireIn(orgOf, "billing.invoices", "read",
//		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			claims := resource.ClaimsFrom(r.Context())
//			// ... list the invoices of the organization for claims.ClientID
//		})))
//	http.ListenAndServe(":8081", verifier.Middleware("https://billing.example.com", mux))
//
// A handler that decides by itself calls Claims.Allows and answers a
// refusal with Challenge. examples/go-resource-server in the iamd
// repository is a complete server.
//
// # Polling the revocation feed
//
// A token verified offline stays valid until it expires, even once iamd
// revoked it. A resource server that must refuse revoked tokens sooner
// polls iamd's revocation feed (Revocations, at RevocationsPath):
// NewRemoteRevocations fetches it once, RemoteRevocations.Run polls it
// again once the max-age of its Cache-Control has passed, kept between
// FeedConfig.MinAge and MaxAge, with If-None-Match so that an unchanged
// feed costs a 304, and keeps the last good list while the server is
// unreachable or answers an error, reporting each failure to
// FeedConfig.OnError. Verifier.WithRevocations makes a verifier, and so
// its Middleware, refuse the tokens the feed revokes, by jti or by a
// cutoff on their account or key, as invalid_token (ErrRevoked). A
// revocation takes effect within the feed's max-age, plus the time iamd
// takes to publish it. While the feed cannot be fetched (or outgrows
// FeedConfig.MaxResponseBytes, 16 MiB by default), revocations made since
// the last good poll are not seen: OnError says so at every poll.
//
//	revs, err := resource.NewRemoteRevocations(ctx, keys.Issuer(), resource.FeedConfig{
//		OnError: func(err error) { log.Print(err) },
//	})
//	if err != nil {
//		return err
//	}
//	go revs.Run(ctx)
//	verifier := resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now).WithRevocations(revs.Revoked)
package resource
