package whatsapp

import (
	"net/url"

	"github.com/parleyhq/parley/internal/channel/meta"
)

// VerifyChallenge answers the GET webhook verification handshake: it
// returns the hub.challenge to echo with 200, or an error to answer 403.
func VerifyChallenge(query url.Values, verifyToken string) (string, error) {
	return meta.VerifyChallenge(query, verifyToken)
}

// SignatureHeader is the header a webhook POST is signed with.
const SignatureHeader = meta.SignatureHeader

// CheckSignature checks the X-Hub-Signature-256 header against the raw
// body with the app secret; any failure is channel.ErrBadSignature.
func CheckSignature(appSecret string, rawBody []byte, header string) error {
	return meta.CheckSignature(appSecret, rawBody, header)
}
