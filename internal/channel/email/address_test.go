package email

import (
	"net/mail"
	"regexp"
	"strings"
	"testing"
)

func TestReplyAddress(t *testing.T) {
	key := []byte("a secret of at least some length")
	addr := ReplyAddress("Acme Support <support@acme.test>", 42, key)
	if !regexp.MustCompile(`^support\+c42\.[0-9a-f]{16}@acme\.test$`).MatchString(addr) {
		t.Fatalf("ReplyAddress = %q", addr)
	}
	if again := ReplyAddress("support@acme.test", 42, key); again != addr {
		t.Errorf("not stable: %q vs %q", again, addr)
	}
	if other := ReplyAddress("support@acme.test", 43, key); other == addr {
		t.Error("two conversations share an address")
	}
	for _, tc := range []struct {
		inbox string
		id    int64
		key   []byte
		want  string
	}{
		{"support@acme.test", 42, nil, "support@acme.test"},
		{"support@acme.test", 0, key, "support@acme.test"},
		{"support@acme.test", -1, key, "support@acme.test"},
		{"not an address", 42, key, "not an address"},
	} {
		if got := ReplyAddress(tc.inbox, tc.id, tc.key); got != tc.want {
			t.Errorf("ReplyAddress(%q, %d, %q) = %q, want %q", tc.inbox, tc.id, tc.key, got, tc.want)
		}
	}
}

func TestConversationFromAddress(t *testing.T) {
	key := []byte("k1")
	inbox := "Acme Support <support@acme.test>"
	good := ReplyAddress(inbox, 42, key)
	local, domain, _ := strings.Cut(good, "@")
	tag := local[strings.Index(local, ".")+1:]
	msg := func(delivered []string, to, cc string) *Message {
		m := &Message{DeliveredTo: delivered}
		if to != "" {
			m.To, _ = mail.ParseAddressList(to)
		}
		if cc != "" {
			m.Cc, _ = mail.ParseAddressList(cc)
		}
		return m
	}
	for _, tc := range []struct {
		name string
		m    *Message
		key  []byte
		want int64
	}{
		{"in To", msg(nil, "Acme <"+good+">", ""), key, 42},
		{"in Cc", msg(nil, "other@example.com", "x@y.test, "+good), key, 42},
		{"in Delivered-To only", msg([]string{good}, "support@acme.test", ""), key, 42},
		{"upper-cased by a server", msg(nil, strings.ToUpper(good), ""), key, 42},
		{"plain inbox address", msg(nil, "support@acme.test", ""), key, 0},
		{"wrong key", msg(nil, good, ""), []byte("k2"), 0},
		{"no key", msg(nil, good, ""), nil, 0},
		{"forged id", msg(nil, "support+c43."+tag+"@"+domain, ""), key, 0},
		{"forged tag", msg(nil, "support+c42.0123456789abcdef@acme.test", ""), key, 0},
		{"short tag", msg(nil, "support+c42."+tag[:8]+"@acme.test", ""), key, 0},
		{"other domain", msg(nil, "support+c42."+tag+"@evil.test", ""), key, 0},
		{"other inbox", msg(nil, "sales+c42."+tag+"@acme.test", ""), key, 0},
		{"leading zero", msg(nil, "support+c042."+tag+"@acme.test", ""), key, 0},
		{"not a number", msg(nil, "support+cxx."+tag+"@acme.test", ""), key, 0},
		{"huge number", msg(nil, "support+c99999999999999999999."+tag+"@acme.test", ""), key, 0},
		{"first valid wins", msg([]string{"support+c1.bad@acme.test"}, good, ""), key, 42},
		{"nil message", nil, key, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConversationFromAddress(tc.m, inbox, tc.key); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}

	// The tag binds the inbox too: the same conversation id under another
	// inbox address of the same domain does not verify.
	sales := ReplyAddress("sales@acme.test", 42, key)
	if got := ConversationFromAddress(msg(nil, "support+"+strings.TrimPrefix(sales, "sales+"), ""), inbox, key); got != 0 {
		t.Errorf("tag of another inbox accepted: %d", got)
	}

	// An inbox that is itself a plus-address still works.
	plus := ReplyAddress("help+parley@acme.test", 7, key)
	if got := ConversationFromAddress(msg(nil, plus, ""), "help+parley@acme.test", key); got != 7 {
		t.Errorf("plus inbox: %q gave %d", plus, got)
	}
}
