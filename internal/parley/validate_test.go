package parley

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{"": "", " Ana@Example.COM ": "ana@example.com"} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"ana", "Ana <ana@example.com>", "@", "a b@c"} {
		if _, err := NormalizeEmail(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeEmail(%q) err = %v, want invalid", bad, err)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{"": "", "+84 (90) 123-4567": "+84901234567", "+1.415.555.0100": "+14155550100"} {
		if got, err := NormalizePhone(in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"0901234567", "+0123456789", "+84abc12345", "+1 2", "+١٢٣٤٥٦٧٨٩"} {
		if _, err := NormalizePhone(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizePhone(%q) err = %v, want invalid", bad, err)
		}
	}
}

func TestNormalizeLabels(t *testing.T) {
	got, err := NormalizeLabels([]string{" VIP", "billing", "vip"})
	if err != nil || strings.Join(got, ",") != "billing,vip" {
		t.Errorf("NormalizeLabels = %v, %v", got, err)
	}
	for _, bad := range [][]string{{""}, {"a,b"}, {strings.Repeat("x", MaxLabelLength+1)}} {
		if _, err := NormalizeLabels(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeLabels(%q) err = %v", bad, err)
		}
	}
	many := make([]string, MaxLabels+1)
	for i := range many {
		many[i] = strings.Repeat("l", i+1)[:min(i+1, 60)] + string(rune('a'+i%26))
	}
	if _, err := NormalizeLabels(many); ErrorCode(err) != EINVALID {
		t.Errorf("too many labels: err = %v", err)
	}
}

func TestValidateText(t *testing.T) {
	if _, err := ValidateText("  ", 0); ErrorCode(err) != EINVALID {
		t.Errorf("blank text without attachments: %v", err)
	}
	if _, err := ValidateText("", 1); err != nil {
		t.Errorf("empty text with an attachment: %v", err)
	}
	// Free text is cleaned, never refused: one stray byte must not lose a message.
	if got, err := ValidateText("a\xffb\x00c", 0); err != nil || got != "a\uFFFDbc" {
		t.Errorf("invalid UTF-8 and NUL: %q, %v", got, err)
	}
	if _, err := ValidateText("\x00\x01", 0); ErrorCode(err) != EINVALID {
		t.Errorf("text of control characters only: %v", err)
	}
	if _, err := ValidateText(strings.Repeat("x", MaxTextLength+1), 0); ErrorCode(err) != ETOOLARGE {
		t.Errorf("too long: %v", err)
	}
}

func TestValidate(t *testing.T) {
	a := Agent{Email: " Bo@Example.com", Name: " Bo ", Role: RoleAgent}
	if err := a.Validate(); err != nil || a.Email != "bo@example.com" || a.Name != "Bo" {
		t.Errorf("agent = %+v, %v", a, err)
	}
	if err := (&Agent{Email: "bo@example.com", Name: "Bo", Role: "king"}).Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("bad role: %v", err)
	}
	in := Inbox{Name: "Site", ChannelType: ChannelAPI}
	if err := in.Validate(); err != nil || in.ReopenWindow != DefaultReopenWindow {
		t.Errorf("inbox = %+v, %v", in, err)
	}
	for _, bad := range []Inbox{{Name: "", ChannelType: ChannelAPI}, {Name: "x", ChannelType: "fax"},
		{Name: "x", ChannelType: ChannelAPI, WebhookURL: "ftp://x"}, {Name: "x", ChannelType: ChannelAPI, ReopenWindow: -1}} {
		if err := bad.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("inbox %+v: err = %v", bad, err)
		}
	}
}
