// Package secret seals channel credentials before they are stored: access
// tokens, app secrets, passwords. A database dump or backup alone then
// reveals none of them; the key lives outside the database, in
// PARLEY_SECRET_KEY.
//
// Sealing is AES-256-GCM with a random nonce. The AES key is derived from
// the configured key with HKDF-SHA256, so any long random string works as
// PARLEY_SECRET_KEY, and the same key never serves two purposes. Sealed
// values carry a version prefix so the scheme can change later.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinKeyLength is the shortest PARLEY_SECRET_KEY accepted: 32 characters
// of a random string (e.g. `openssl rand -base64 32`).
const MinKeyLength = 32

// ErrNoKey is returned when secrets must be sealed or opened but Parley
// was started without PARLEY_SECRET_KEY.
var ErrNoKey = errors.New("PARLEY_SECRET_KEY is not set: Parley will not store channel credentials unencrypted; " +
	"set it to a random string of at least 32 characters (e.g. `openssl rand -base64 32`) and restart")

// ErrOpen is returned for a sealed value that this key cannot open: it
// was sealed with another key, or it was changed.
var ErrOpen = errors.New("secret: cannot decrypt stored credentials: PARLEY_SECRET_KEY differs from the key they were stored with, or they were altered")

const prefix = "v1:"

// Box seals and opens values with one key. The zero Box has no key: it
// refuses to seal and open anything, with ErrNoKey.
type Box struct {
	aead cipher.AEAD
	root []byte
}

// New returns a Box for key. An empty key gives a Box without one.
func New(key string) (*Box, error) {
	if key == "" {
		return &Box{}, nil
	}
	if len(key) < MinKeyLength {
		return nil, fmt.Errorf("PARLEY_SECRET_KEY must be at least %d characters long", MinKeyLength)
	}
	k, err := hkdf.Key(sha256.New, []byte(key), nil, "parley channel credentials v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, root: []byte(key)}, nil
}

// HasKey reports whether the Box can seal and open.
func (b *Box) HasKey() bool { return b != nil && b.aead != nil }

// Seal encrypts plain. The empty string stays empty: "no secrets".
func (b *Box) Seal(plain []byte) (string, error) {
	if len(plain) == 0 {
		return "", nil
	}
	if !b.HasKey() {
		return "", ErrNoKey
	}
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	out := b.aead.Seal(nonce, nonce, plain, []byte(prefix))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal returned.
func (b *Box) Open(sealed string) ([]byte, error) {
	if sealed == "" {
		return nil, nil
	}
	if !b.HasKey() {
		return nil, ErrNoKey
	}
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrOpen
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return nil, ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(prefix))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// MAC returns an HMAC-SHA256 of data under a key derived for purpose, in
// URL-safe base64: signed links that need no stored state.
func (b *Box) MAC(purpose string, data []byte) (string, error) {
	if !b.HasKey() {
		return "", ErrNoKey
	}
	k, err := hkdf.Key(sha256.New, b.root, nil, "parley mac v1 "+purpose, 32)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write(data)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// CheckMAC reports whether mac is MAC(purpose, data), in constant time.
func (b *Box) CheckMAC(purpose string, data []byte, mac string) bool {
	want, err := b.MAC(purpose, data)
	return err == nil && hmac.Equal([]byte(want), []byte(mac))
}
