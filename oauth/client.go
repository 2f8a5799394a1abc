package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
)

// client is an authenticated service account with the rights it holds.
type client struct {
	id     string
	cred   accounts.Credential
	rights *rbac.Rights
}

// authenticate authenticates the client of a request to the token,
// introspection or revocation endpoint from its Authorization header and
// form, under the same throttles, and returns it with its rights. Errors
// are *Error values ready to be sent, or internal errors.
//
// Clients authenticate with a secret (client_secret_basic,
// client_secret_post: RFC 6749 §2.3.1) or with an assertion signed by a
// key-pair key (private_key_jwt: RFC 7523 §2.2). Either way the credential
// is looked up with one indexed query (an assertion's jti is then recorded,
// one insert), and every refusal is the same invalid_client answer.
func (s *Server) authenticate(ctx context.Context, authorization string, form url.Values, addr string) (*client, error) {
	addr = throttleKey(addr)
	var id string
	var check func(context.Context) (accounts.Credential, error)
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		a, err := assertion(authorization, form)
		if err != nil {
			return nil, s.refused(err, addr)
		}
		id = a.ClientID
		check = func(ctx context.Context) (accounts.Credential, error) {
			return s.accounts.AuthenticateAssertion(ctx, a, s.assertionRules)
		}
	} else {
		var secret string
		var err error
		id, secret, err = credentials(authorization, form)
		if err == nil {
			if _, _, ok := s.accounts.ClientIDs().Parse(id); !ok {
				err = errBadCredentials
			}
		}
		if err != nil {
			return nil, s.refused(err, addr)
		}
		check = func(ctx context.Context) (accounts.Credential, error) {
			return s.accounts.Authenticate(ctx, id, secret)
		}
	}
	release, err := s.throttle.Enter(ctx, addr, s.now())
	if err != nil {
		s.log.Warn("client authentication given up", "client_id", id, "addr", addr, "reason", err.Error())
		return nil, errBusy
	}
	cred, err := check(ctx)
	release()
	if errors.Is(err, accounts.ErrAuthentication) {
		s.log.Info("client authentication failed", "client_id", id, "addr", addr, "reason", err.Error())
		// Only a credential naming a real key of this client could ever
		// be right: other failures count against the address alone, so
		// made-up client IDs never fill the per-client table.
		client := id
		if errors.Is(err, accounts.ErrNoSuchKey) {
			client = ""
		}
		return nil, s.failed(client, addr, errBadCredentials)
	}
	if err != nil {
		return nil, err
	}
	rights, err := s.rightsOf(ctx, cred)
	if err != nil {
		return nil, err
	}
	return &client{id: id, cred: cred, rights: rights}, nil
}

// rightsOf returns the account's rights: from memory while the
// authorization model is at the version the key lookup read, else computed
// afresh (one query), so a role taken away is gone from the next token
// whichever instance took it away.
func (s *Server) rightsOf(ctx context.Context, cred accounts.Credential) (*rbac.Rights, error) {
	if r, ok := s.rights.get(cred.RightsVersion, cred.Account.ID); ok {
		return r, nil
	}
	r, err := s.orgs.SubjectRights(ctx, cred.Account.ID)
	if err != nil {
		return nil, err
	}
	s.rights.put(cred.RightsVersion, cred.Account.ID, r)
	return r, nil
}

// failed records a failed authentication by clientID (empty if it names no
// real key of a client) from addr and returns the answer: e, or 429 once
// either bucket is past its burst.
//
// The address is charged for every failure, so an address that keeps
// failing stays held to one lookup at a time. The client is charged only
// for failures answered plainly: a client that waits as Retry-After says is
// answered plainly again.
func (s *Server) failed(clientID, addr string, e *Error) *Error {
	now := s.now()
	wait := s.throttle.Wait(clientID, addr, now)
	s.throttle.Fail("", addr, now)
	if wait > 0 {
		return throttled(wait)
	}
	s.throttle.Fail(clientID, "", now)
	return e
}

// throttleKey buckets IPv6 clients by /64, the block one host or site
// usually owns whole; IPv4 addresses stay as they are.
func throttleKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Is4() || a.Is4In6() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// errBadCredentials is the one answer for every refused credential, so a
// client cannot tell an unknown account from a wrong or disabled key.
var errBadCredentials = InvalidClient("Client authentication failed.")

// errBusy answers a request given up by Throttle.Enter.
var errBusy = &Error{Code: CodeTemporarilyUnavailable, Status: http.StatusServiceUnavailable, RetryAfter: time.Second,
	Description: "Too many requests from this address are waiting; retry in 1 second."}

func throttled(wait time.Duration) *Error {
	secs := int(math.Ceil(wait.Seconds()))
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return &Error{
		Code:        CodeInvalidClient,
		Description: fmt.Sprintf("Too many failed client authentications; retry in %d %s.", secs, unit),
		Status:      http.StatusTooManyRequests,
		RetryAfter:  time.Duration(secs) * time.Second,
	}
}

// credentials extracts the client ID and secret from HTTP Basic
// (client_secret_basic) or the body (client_secret_post). RFC 6749 §2.3
// forbids using both in one request.
func credentials(authorization string, form url.Values) (id, secret string, err error) {
	postID := form.Get("client_id")
	if authorization != "" {
		if form.Has("client_secret") {
			return "", "", InvalidRequest("Use one client authentication method: HTTP Basic or client_secret in the body, not both.")
		}
		scheme, param, _ := strings.Cut(authorization, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return "", "", InvalidClient("Unsupported authentication scheme; use HTTP Basic (client_secret_basic) or client_secret_post.")
		}
		malformed := InvalidClient("Malformed HTTP Basic credentials.")
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(param))
		if err != nil {
			return "", "", malformed
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return "", "", malformed
		}
		// RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
		if id, err = url.QueryUnescape(user); err != nil {
			return "", "", malformed
		}
		if secret, err = url.QueryUnescape(pass); err != nil || id == "" || secret == "" {
			return "", "", malformed
		}
		if postID != "" && postID != id {
			return "", "", InvalidRequest("client_id in the body does not match the HTTP Basic user.")
		}
		return id, secret, nil
	}
	secret = form.Get("client_secret")
	switch {
	case postID == "" && secret == "":
		return "", "", InvalidClient("Client authentication required: use HTTP Basic (client_secret_basic) or client_id and client_secret in the body (client_secret_post).")
	case postID == "" || secret == "":
		return "", "", InvalidClient("Both client_id and client_secret are required.")
	}
	return postID, secret, nil
}

// refused answers a request whose credentials were refused before any
// lookup: an invalid_client failure counts against the address; other
// errors (invalid_request) are sent as they are.
func (s *Server) refused(err error, addr string) error {
	if errors.Is(err, accounts.ErrAuthentication) {
		s.log.Info("client authentication failed", "addr", addr, "reason", err.Error())
		return s.failed("", addr, errBadCredentials)
	}
	if e, ok := err.(*Error); ok && e.Code == CodeInvalidClient {
		return s.failed("", addr, e)
	}
	return err
}

// assertion parses the client assertion of a private_key_jwt request
// (RFC 7521 §4.2). Another authentication method in the same request is
// refused, as RFC 6749 §2.3 requires, and so is a client_id other than the
// assertion's.
func assertion(authorization string, form url.Values) (*accounts.Assertion, error) {
	switch {
	case authorization != "" || form.Has("client_secret"):
		return nil, InvalidRequest("Use one client authentication method: a client assertion, HTTP Basic or client_secret, not several.")
	case form.Get("client_assertion_type") != accounts.AssertionType:
		return nil, InvalidClient("client_assertion_type must be " + accounts.AssertionType + " (RFC 7523 section 2.2).")
	case form.Get("client_assertion") == "":
		return nil, InvalidClient("client_assertion is required with client_assertion_type.")
	}
	a, err := accounts.ParseAssertion(form.Get("client_assertion"))
	if err != nil {
		return nil, err
	}
	if id := form.Get("client_id"); id != "" && id != a.ClientID {
		return nil, InvalidRequest("client_id does not match the client assertion's sub.")
	}
	return a, nil
}
