package secret

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the file in the data directory that holds the key when
// PARLEY_SECRET_KEY is not set.
const KeyFileName = "secret.key"

// LoadOrCreateKeyFile returns the key stored in path, creating the file
// (mode 0600, 32 random bytes in base64) when it does not exist. It lets
// `go run ./cmd/parley` seal secrets with nothing configured: the key
// lives beside the database, not in it, so a database dump or backup
// alone still reveals no secret. created reports a new file.
func LoadOrCreateKeyFile(path string) (key string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key = strings.TrimSpace(string(b))
		if len(key) < MinKeyLength {
			return "", false, fmt.Errorf("secret: %s holds %d characters, fewer than the %d a key needs", path, len(key), MinKeyLength)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("secret: read key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", false, fmt.Errorf("secret: create key file: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key = base64.StdEncoding.EncodeToString(raw)
	// Written whole to a temporary file, then linked into place: two
	// processes starting at once on one data directory never see a
	// half-written key, and never each keep their own (the loser of the
	// link reads the winner's).
	f, err := os.CreateTemp(filepath.Dir(path), ".secret-*.tmp")
	if err != nil {
		return "", false, fmt.Errorf("secret: create key file: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err == nil {
		_, err = f.WriteString(key + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Link(f.Name(), path)
		}
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKeyFile(path)
		}
	}
	if err != nil {
		f.Close()
		return "", false, fmt.Errorf("secret: write key file: %w", err)
	}
	return key, true, nil
}

// IsSealed reports whether s is a value Seal returned (as opposed to a
// secret stored in clear by a Parley from before it was sealed).
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// CheckValue returns a value that proves which key a database's secrets
// were sealed with, without revealing the key: stored once in the
// database, it lets Parley refuse to start with a different key instead
// of failing later on every sealed value.
func (b *Box) CheckValue() (string, error) {
	return b.MAC("key check", []byte("parley"))
}

// ErrKeyMismatch is returned at start-up when the database's secrets were
// sealed with another key.
var ErrKeyMismatch = errors.New("the secrets in this database were sealed with a different key: " +
	"start Parley with the PARLEY_SECRET_KEY (or data-dir " + KeyFileName + ") they were sealed with; " +
	"every process of one Parley needs the same key")
