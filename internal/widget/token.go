package widget

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Visitor tokens are stateless and verifiable: a random part and an HMAC
// of (inbox, random part) under a key derived from Parley's secret key
// (secret.Box.MAC), which no host page or visitor ever holds. Nothing is
// stored when a token is issued, yet a string the server never issued is
// refused: before, any well-formed string was a token, so anyone could
// mint identities (and upload quotas) at will.
//
// Tokens from before (tokenPrefixV0: random only) stay valid for
// visitors who already wrote, since their hash is a stored identity;
// an unknown one is refused like a forged token, and the widget then
// starts a new session.
const (
	tokenPrefix   = "pv1_"
	tokenPrefixV0 = "pv_"
	tokenPurpose  = "widget visitor token v1"
	tokenRandom   = 18 // bytes: 144 random bits
)

// tokenState is what checkToken found.
type tokenState int

const (
	tokenMalformed tokenState = iota // not a token at all
	tokenForged                      // a signed token's shape, the wrong signature
	tokenSigned                      // issued by this Parley for this inbox
	tokenLegacy                      // an old random token: valid only if already stored
)

// newToken returns a fresh visitor token for inbox and the hash that the
// database keeps for it once the visitor writes.
func (s *Server) newToken(inboxID int64) (token, hash string, err error) {
	b := make([]byte, tokenRandom)
	rand.Read(b)
	random := base64.RawURLEncoding.EncodeToString(b)
	mac, err := s.Box.MAC(tokenPurpose, tokenData(inboxID, random))
	if err != nil {
		return "", "", err
	}
	token = tokenPrefix + random + "." + mac
	return token, hashToken(token), nil
}

// tokenData is what a token's MAC covers: the inbox binds it, so a token
// of one inbox is no token of another.
func tokenData(inboxID int64, random string) []byte {
	return []byte(strconv.FormatInt(inboxID, 10) + ":" + random)
}

// checkToken classifies t for inbox.
func (s *Server) checkToken(inboxID int64, t string) tokenState {
	if rest, ok := strings.CutPrefix(t, tokenPrefix); ok {
		random, mac, ok := strings.Cut(rest, ".")
		if !ok || len(random) != base64.RawURLEncoding.EncodedLen(tokenRandom) || len(mac) != 43 || !urlSafe(random) || !urlSafe(mac) {
			return tokenMalformed
		}
		if !s.Box.CheckMAC(tokenPurpose, tokenData(inboxID, random), mac) {
			return tokenForged
		}
		return tokenSigned
	}
	if rest, ok := strings.CutPrefix(t, tokenPrefixV0); ok && len(rest) == 43 && urlSafe(rest) {
		return tokenLegacy
	}
	return tokenMalformed
}

func urlSafe(s string) bool {
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
