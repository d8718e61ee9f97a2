// Package auth holds Parley's credentials: agent password hashes, API
// tokens, and the random secrets behind them.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/parleyhq/parley/internal/parley"
)

// TokenPrefix starts every API token, so a leaked one is easy to recognise
// in logs and by secret scanners.
const TokenPrefix = "prly_"

// RandomString returns n random bytes, URL-safe base64 encoded.
func RandomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails on supported platforms (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewToken returns a new API token secret and the hash to store for it.
func NewToken() (secret, hash string) {
	secret = TokenPrefix + RandomString(32)
	return secret, HashToken(secret)
}

// HashToken returns the SHA-256 hex of a token secret. Tokens carry 256
// random bits, so a fast hash is as safe as a slow one and costs
// microseconds per request instead of bcrypt's tens of milliseconds.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken reports whether s has the shape of an API token.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, TokenPrefix) && len(s) > len(TokenPrefix)+20
}

// MinPasswordLength is the shortest password an agent may choose.
const MinPasswordLength = 10

// HashPassword returns a bcrypt hash of password. Returns EINVALID for a
// password that is too short or too long for bcrypt (72 bytes).
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", parley.Errorf(parley.EINVALID, "password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", parley.Errorf(parley.EINVALID, "password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NewPassword returns a generated password for a new agent: 20 characters
// of base64, about 120 bits.
func NewPassword() string { return RandomString(15) }
