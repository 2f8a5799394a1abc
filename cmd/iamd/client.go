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

// apiError is an error answer of the management API.
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
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach iamd at %s: %w", a.server, unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e web.ErrorBody
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			return &apiError{Status: resp.StatusCode, Code: "http", Message: fmt.Sprintf("%s %s: %s", method, path, resp.Status)}
		}
		return &apiError{Status: resp.StatusCode, Code: e.Error, Message: e.Message}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("unexpected answer from %s: %w", a.server, err)
	}
	return nil
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
