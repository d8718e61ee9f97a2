package inbox

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
)

// FuzzVerifyWidget: a widget token (resume links, attachment URLs) comes
// from anyone. Verification never panics and refuses with EFORBIDDEN
// whatever was not signed with this key, for this purpose and inbox, and
// is not yet expired; a token that was is accepted with its payload, and
// changing any one byte of it is refused.
func FuzzVerifyWidget(f *testing.F) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	box, _ := secret.New("fuzz: a key long enough to be accepted by secret.New")
	other, _ := secret.New("fuzz: another key, long enough to be accepted too")
	good, _ := SignWidget(box, 7, PurposeResume, "7-42", now.Add(time.Hour))
	for _, s := range []string{good, "", ".", "a.b.c", "7-42.1.", good + "x", strings.Replace(good, "7-42", "7-43", 1), "7-42.99999999999.AAAA"} {
		f.Add(s, "7-42", uint8(0))
	}
	f.Fuzz(func(t *testing.T, token, payload string, flip uint8) {
		if p, err := VerifyWidget(box, 7, PurposeResume, token, now); err != nil {
			if parley.ErrorCode(err) != parley.EFORBIDDEN {
				t.Fatalf("VerifyWidget(%q) = %v, want EFORBIDDEN", token, err)
			}
		} else if _, err := VerifyWidget(box, 7, PurposeAttachment, token, now); err == nil {
			t.Fatalf("token %q (payload %q) verifies for another purpose", token, p)
		} else if _, err := VerifyWidget(box, 8, PurposeResume, token, now); err == nil {
			t.Fatalf("token %q (payload %q) verifies for another inbox", token, p)
		}
		if _, err := VerifyResumeToken(box, 7, token, now); err != nil && parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Fatalf("VerifyResumeToken(%q) = %v, want EFORBIDDEN", token, err)
		}
		// Payloads Parley signs are ids joined by '-', never with a '.'.
		if strings.Contains(payload, ".") {
			return
		}
		tok, err := SignWidget(box, 7, PurposeResume, payload, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := VerifyWidget(box, 7, PurposeResume, tok, now); err != nil || got != payload {
			t.Fatalf("VerifyWidget(SignWidget(%q)) = %q, %v", payload, got, err)
		}
		if _, err := VerifyWidget(box, 7, PurposeResume, tok, now.Add(2*time.Minute)); err == nil {
			t.Fatalf("expired token for %q accepted", payload)
		}
		if _, err := VerifyWidget(other, 7, PurposeResume, tok, now); err == nil {
			t.Fatalf("token for %q accepted under another key", payload)
		}
		b := []byte(tok)
		i := int(flip) % len(b)
		b[i] ^= 1 << (flip % 7)
		if string(b) != tok {
			if got, err := VerifyWidget(box, 7, PurposeResume, string(b), now); err == nil && got != payload {
				t.Fatalf("changed token %q accepted with payload %q", b, got)
			}
		}
	})
}

// FuzzParseChoiceID: a choice id comes back from a provider (a tapped
// button's payload), so anything may arrive. What ParseChoiceID accepts
// is exactly what ChoiceID writes for a score of 1–5 on a known question,
// with a token of the alphabet Parley's tokens use; everything else is
// refused without a panic.
func FuzzParseChoiceID(f *testing.F) {
	for _, s := range []string{ChoiceID("AbC_-9", parley.QuestionCSAT, 4), ChoiceID("tok", parley.QuestionCES, 1), "", "survey::ces:1",
		"survey:t:ces:6", "survey:t:nps:3", "survey:t:ces:12", "other:t:ces:1", "survey:t:ces", "survey:a\x00b:csat:3", "survey:a b:csat:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		token, a, ok := ParseChoiceID(id)
		if !ok {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("ParseChoiceID(%q) gave an invalid answer: %v", id, err)
		}
		q, n := parley.QuestionCSAT, a.CSAT
		if a.CES != nil {
			q, n = parley.QuestionCES, a.CES
		}
		if (a.CES == nil) == (a.CSAT == nil) || ChoiceID(token, q, *n) != id {
			t.Fatalf("ParseChoiceID(%q) = %q %+v, which ChoiceID does not write back", id, token, a)
		}
		if strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" || len(token) > 64 {
			t.Fatalf("ParseChoiceID(%q) took token %q, not one Parley issues", id, token)
		}
	})
}
