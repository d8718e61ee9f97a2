package rbm

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"

	"github.com/parleyhq/parley/internal/channel"
)

// SignatureHeader is the header RBM signs its webhook pushes with.
const SignatureHeader = "X-Goog-Signature"

// Signature is RBM's webhook signature: base64 (standard alphabet) of
// HMAC-SHA512 keyed with the agent's webhook client token, over the
// base64-DECODED message.data of the push (not the raw request body), as
// Google's webhook guide and its Node sample compute it.
func Signature(clientToken string, data []byte) string {
	m := hmac.New(sha512.New, []byte(clientToken))
	m.Write(data)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifySignature checks an X-Goog-Signature value against the decoded
// message data; channel.ErrBadSignature when missing or wrong.
func VerifySignature(clientToken string, data []byte, signature string) error {
	if clientToken == "" || signature == "" || !hmac.Equal([]byte(signature), []byte(Signature(clientToken, data))) {
		return channel.ErrBadSignature
	}
	return nil
}
