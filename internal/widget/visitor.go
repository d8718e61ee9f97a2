package widget

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// visitor is who is asking: an identity in the inbox, and its contact
// once they have one.
type visitor struct {
	kind      string // parley.IdentityVisitor or parley.IdentityUser; "" for nobody yet
	id        string // the identity's external id: the token's SHA-256, or the user id
	contactID int64  // 0 until the visitor has written
}

func (v visitor) key() store.ContactKey {
	return store.ContactKey{Kind: v.kind, ExternalID: v.id}
}

// Headers the widget sends.
const (
	headerUser     = "X-Parley-User"      // a signed-in user's id on the host site
	headerUserHash = "X-Parley-User-Hash" // hex HMAC-SHA256(identity secret, user id)
)

// visitorFor identifies the visitor: a verified user id (whose HMAC must
// check out: a wrong one is EFORBIDDEN), else a visitor token in
// "Authorization: Visitor <token>". With neither, required makes it
// EUNAUTHORIZED; otherwise the zero visitor is returned.
func (s *Server) visitorFor(r *http.Request, in parley.Inbox, required bool) (visitor, error) {
	var v visitor
	var state tokenState
	if user := r.Header.Get(headerUser); user != "" {
		if len(user) > inbox.MaxExternalIDLength {
			return v, parley.Errorf(parley.EFORBIDDEN, "The user id is too long.")
		}
		secret, err := s.DB.IdentitySecret(r.Context(), in.ID)
		if err != nil {
			return v, err
		}
		if !inbox.VerifyUserHash(secret, user, r.Header.Get(headerUserHash)) {
			return v, parley.Errorf(parley.EFORBIDDEN, "The user's identity could not be verified.")
		}
		v.kind, v.id = parley.IdentityUser, user
	} else if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Visitor") {
		tok = strings.TrimSpace(tok)
		switch state = s.checkToken(in.ID, tok); state {
		case tokenMalformed:
			return v, parley.Errorf(parley.EUNAUTHORIZED, "The visitor token is not valid.")
		case tokenForged:
			return v, errNotIssued
		}
		v.kind, v.id = parley.IdentityVisitor, hashToken(tok)
	} else if required {
		return v, parley.Errorf(parley.EUNAUTHORIZED, "Start a session first (POST /widget/%d/session).", in.ID)
	} else {
		return v, nil
	}
	id, err := s.DB.ContactIDByIdentity(r.Context(), v.kind, in.ID, v.id)
	switch parley.ErrorCode(err) {
	case "":
		v.contactID = id
	case parley.ENOTFOUND:
		if state == tokenLegacy {
			return visitor{}, errNotIssued
		}
	default:
		return v, err
	}
	return v, nil
}

// errNotIssued refuses a visitor token that this Parley never issued (or,
// for an old-format token, never saw used).
var errNotIssued = parley.Errorf(parley.EFORBIDDEN, "This visitor token was not issued here; start a new session.")

// messageExternalID namespaces the widget's message id by the visitor, so
// one visitor's ids can never collide with (and so reveal) another's.
func (v visitor) messageExternalID(clientID string) string {
	sum := sha256.Sum256([]byte(v.kind + ":" + v.id))
	return "w:" + hex.EncodeToString(sum[:8]) + ":" + clientID
}

func validClientID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
