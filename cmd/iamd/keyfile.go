package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/accounts"
)

// keyFileOut is where a generated key pair's key file goes. It is opened
// before the key is created, so that a path that cannot be written to (or
// an existing file without --force) fails before a private key exists that
// would be lost.
type keyFileOut struct {
	path string
	// f is the file written: path itself, created exclusively, or with
	// --force a temporary file beside it that replaces it once written.
	f     *os.File
	force bool
}

// openKeyFile prepares path for a key file, refusing an existing file
// unless force.
func openKeyFile(path string, force bool) (*keyFileOut, error) {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return nil, usagef("--key-file %s already exists; give --force to overwrite it", path)
		}
		if err != nil {
			return nil, usagef("--key-file: %v", err)
		}
		return &keyFileOut{path: path, f: f}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".iamd-key-*")
	if err != nil {
		return nil, usagef("--key-file: %v", err)
	}
	// CreateTemp makes the file 0600; say so in case that ever changes.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &keyFileOut{path: path, f: f, force: true}, nil
}

// abort removes what openKeyFile made: nothing was written to it.
func (o *keyFileOut) abort() {
	if o == nil {
		return
	}
	o.f.Close()
	os.Remove(o.f.Name())
}

// write writes the key file and puts it in place.
func (o *keyFileOut) write(kf *accounts.KeyFile) error {
	if kf == nil {
		o.abort()
		return errors.New("the server returned no key file")
	}
	b, err := json.MarshalIndent(kf, "", "  ")
	if err == nil {
		_, err = o.f.Write(append(b, '\n'))
	}
	if err == nil {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && o.force {
		err = os.Rename(o.f.Name(), o.path)
	}
	if err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("key %s was created but its key file could not be written (%v): delete the key with iamd keys delete %s", kf.KeyID, err, kf.KeyID)
	}
	return nil
}

// maxPublicKey bounds a public key read for upload.
const maxPublicKey = 64 << 10

// readPublicKey reads the public key to upload from path, or stdin for "-".
func readPublicKey(in io.Reader, path string) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(in, maxPublicKey+1))
	} else {
		b, err = os.ReadFile(path)
	}
	switch {
	case err != nil:
		return "", usagef("--public-key: %v", err)
	case len(b) > maxPublicKey:
		return "", usagef("--public-key: more than %d bytes: not a public key", maxPublicKey)
	}
	return string(b), nil
}

// assertionLifetime is how long the client assertions iamd token signs are
// valid for: long enough to reach the server, well under the 5 minutes it
// accepts by default.
const assertionLifetime = time.Minute

// fillAssertion completes the parameters from the key file at path: the
// client ID, and an assertion for the key file's issuer signed with its
// private key. The assertion goes to the key file's token endpoint unless
// the server was given.
func (p *tokenParams) fillAssertion(path string, serverGiven bool, now time.Time) error {
	kf, err := loadKeyFile(path)
	if err != nil {
		return err
	}
	if p.clientID != "" && p.clientID != kf.ClientID {
		return usagef("--client-id %s does not match the key file's client %s", p.clientID, kf.ClientID)
	}
	if p.assertion, err = signAssertion(kf, now); err != nil {
		return usagef("--key-file %s: %v", path, err)
	}
	p.clientID = kf.ClientID
	if !serverGiven {
		p.tokenEndpoint = kf.TokenEndpoint
	}
	return nil
}

// loadKeyFile reads and checks the key file at path.
func loadKeyFile(path string) (accounts.KeyFile, error) {
	var kf accounts.KeyFile
	b, err := os.ReadFile(path)
	if err != nil {
		return kf, usagef("--key-file: %v", err)
	}
	if err := json.Unmarshal(b, &kf); err != nil {
		return kf, usagef("--key-file %s is not an iamd key file: %v", path, err)
	}
	switch {
	case kf.Type != accounts.KeyFileType:
		return kf, usagef("--key-file %s: type is %q, want %q", path, kf.Type, accounts.KeyFileType)
	case kf.ClientID == "" || kf.Issuer == "" || kf.TokenEndpoint == "":
		return kf, usagef("--key-file %s lacks client_id, issuer or token_endpoint", path)
	case kf.PrivateKey.Key == nil || kf.PrivateKey.IsPublic() || kf.PrivateKey.Algorithm == "":
		return kf, usagef("--key-file %s holds no private key with its algorithm", path)
	}
	return kf, nil
}

// signAssertion signs a client assertion (RFC 7523 §2.2) with the key
// file's private key: for its issuer, valid for assertionLifetime from
// now, with a random jti.
func signAssertion(kf accounts.KeyFile, now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(kf.PrivateKey.Algorithm), Key: kf.PrivateKey},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	claims, _ := json.Marshal(map[string]any{
		"iss": kf.ClientID, "sub": kf.ClientID, "aud": kf.Issuer,
		"iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(jti),
	})
	jws, err := signer.Sign(claims)
	if err != nil {
		return "", fmt.Errorf("sign the client assertion: %w", err)
	}
	return jws.CompactSerialize()
}
