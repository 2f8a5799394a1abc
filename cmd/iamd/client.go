package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// defaultServer is where a fresh `iamd serve` listens.
const defaultServer = "http://127.0.0.1:8080"

// profile holds the admin credentials `iamd init` saves for the CLI.
type profile struct {
	Server       string `json:"server"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// profileFile returns the profile path: --profile, IAMD_PROFILE, or
// iamd/profile.json in the user configuration directory.
func (c *cli) profileFile() (string, error) {
	if c.profilePath != "" {
		return c.profilePath, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locate the CLI profile: %w (use --profile)", err)
	}
	return filepath.Join(dir, "iamd", "profile.json"), nil
}

func (c *cli) loadProfile() (profile, string, error) {
	path, err := c.profileFile()
	if err != nil {
		return profile{}, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return profile{}, path, nil
	}
	if err != nil {
		return profile{}, path, fmt.Errorf("read profile: %w", err)
	}
	var p profile
	if err := json.Unmarshal(b, &p); err != nil {
		return profile{}, path, fmt.Errorf("profile %s is not valid JSON", path)
	}
	return p, path, nil
}

// saveProfile writes the profile readable by its owner only.
func saveProfile(path string, p profile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	// A fresh temporary file, not a predictable name whose permissions an
	// existing file would keep.
	tmp, err := writeTemp(filepath.Dir(path), append(b, '\n'))
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save profile: %w", err)
	}
	return nil
}

// serverURL picks the server: --server or IAMD_SERVER, the profile's, or
// the default.
func (c *cli) serverURL(p profile) string {
	for _, s := range []string{c.server, p.Server, defaultServer} {
		if s != "" {
			return strings.TrimRight(s, "/")
		}
	}
	return defaultServer
}

// apiClient calls the management API as the profile's admin.
type apiClient struct {
	server string
	creds  profile
	http   *http.Client
	token  string
}

func (c *cli) api() (*apiClient, error) {
	p, path, err := c.loadProfile()
	if err != nil {
		return nil, err
	}
	if id, secret := os.Getenv("IAMD_CLIENT_ID"), os.Getenv("IAMD_CLIENT_SECRET"); id != "" || secret != "" {
		p.ClientID, p.ClientSecret = id, secret
	}
	if p.ClientID == "" || p.ClientSecret == "" {
		return nil, fmt.Errorf("no admin credentials: run iamd init, or set IAMD_CLIENT_ID and IAMD_CLIENT_SECRET (looked for the profile at %s)", path)
	}
	return &apiClient{server: c.serverURL(p), creds: p, http: newHTTPClient()}, nil
}

func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second}
}

// apiError is an error answer of the management API. A refusal under an
// assignment rule is an invalid_argument whose message names the rule.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Message }

// do sends a request to the management API and decodes the answer into
// out, if not nil.
func (a *apiClient) do(ctx context.Context, method, path string, in, out any) error {
	if a.token == "" {
		tok, err := requestToken(ctx, a.http, a.server, tokenParams{
			clientID: a.creds.ClientID, secret: a.creds.ClientSecret, resources: []string{oauth.ManagementAudience},
		})
		if err != nil {
			return fmt.Errorf("authenticate as %s: %w", a.creds.ClientID, err)
		}
		a.token = tok.AccessToken
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+"/api/v1"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	status, b, err := send(a.http, a.server, req, 16<<20)
	if err != nil {
		return err
	}
	if status >= 300 {
		var e web.ErrorBody
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			return &apiError{Status: status, Code: "http", Message: fmt.Sprintf("%s %s: %d %s", method, path, status, http.StatusText(status))}
		}
		return &apiError{Status: status, Code: e.Error, Message: e.Message}
	}
	if out == nil || status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("unexpected answer from %s: %w", a.server, err)
	}
	return nil
}

// send performs req against server and returns the answer's status and at
// most limit bytes of its body.
func send(hc *http.Client, server string, req *http.Request, limit int64) (int, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot reach iamd at %s: %w", server, unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

type tokenParams struct {
	clientID, secret string
	scope            string
	audiences        []string
	resources        []string
	// post sends the credentials in the body (client_secret_post) rather
	// than with HTTP Basic (client_secret_basic).
	post bool
	// assertion, if set, authenticates the client instead of a secret
	// (private_key_jwt), and tokenEndpoint is where to send it.
	assertion, tokenEndpoint string
}

// oauthError is an error answer of the token endpoint.
type oauthError struct {
	Status      int
	Code        string
	Description string
}

func (e *oauthError) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// requestToken runs the client credentials grant against server.
func requestToken(ctx context.Context, hc *http.Client, server string, p tokenParams) (*oauth.TokenResponse, error) {
	form := url.Values{"grant_type": {oauth.GrantClientCredentials}}
	if p.scope != "" {
		form.Set("scope", p.scope)
	}
	form["audience"] = p.audiences
	form["resource"] = p.resources
	endpoint := server + oauth.TokenPath
	switch {
	case p.assertion != "":
		form.Set("client_assertion_type", accounts.AssertionType)
		form.Set("client_assertion", p.assertion)
		if p.tokenEndpoint != "" {
			endpoint = p.tokenEndpoint
		}
	case p.post:
		form.Set("client_id", p.clientID)
		form.Set("client_secret", p.secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !p.post && p.assertion == "" {
		// RFC 6749 §2.3.1: form-encode both parts before base64.
		req.SetBasicAuth(url.QueryEscape(p.clientID), url.QueryEscape(p.secret))
	}
	status, b, err := send(hc, server, req, 1<<20)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		var e web.OAuthErrorBody
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			return nil, fmt.Errorf("token endpoint answered %d %s", status, http.StatusText(status))
		}
		return nil, &oauthError{Status: status, Code: e.Error, Description: e.Description}
	}
	var tok oauth.TokenResponse
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("unexpected answer from the token endpoint")
	}
	return &tok, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }
