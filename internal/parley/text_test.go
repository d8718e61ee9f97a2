package parley

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"hello":                   "hello",
		"line\none\ttab\r\n":      "line\none\ttab\r\n",
		"nul\x00here":             "nulhere",
		"bell\x07esc\x1b[31mred":  "bellesc[31mred",
		"del\x7f c1\u0085\u009f.": "del c1.",
		"bad\xffutf8\xc3":         "bad\uFFFDutf8\uFFFD",
		"ünïcode 👋 ok":            "ünïcode 👋 ok",
		"zero\u200bwidth stays":   "zero\u200bwidth stays", // a format character, not a control
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CleanLine("  Ana\x00\n Smith\t"); got != "Ana  Smith" {
		t.Errorf("CleanLine = %q", got)
	}
}

func TestCheckID(t *testing.T) {
	for _, ok := range []string{"", "wamid.HBgL123=", "SM0123abc", "user:42/ü", "a b"} {
		if err := CheckID("id", ok); err != nil {
			t.Errorf("CheckID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"a\x00b", "\xff", "tab\there", "new\nline", "c1\u0085"} {
		err := CheckID("message id", bad)
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "message id") {
			t.Errorf("CheckID(%q) = %v, want EINVALID naming the field", bad, err)
		}
	}
}

func TestTruncateText(t *testing.T) {
	if got := TruncateText("héllo", 2); got != "h" {
		t.Errorf("TruncateText cut a character: %q", got)
	}
	if got := TruncateText("abc", 5); got != "abc" {
		t.Errorf("TruncateText = %q", got)
	}
}

func TestNormalizeRefusesControlCharacters(t *testing.T) {
	for _, bad := range []string{"ana\x00@example.com", "ana@exa\x00mple.com", "ana@example.com\x00", "\xffana@example.com"} {
		if _, err := NormalizeEmail(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeEmail(%q) err = %v", bad, err)
		}
	}
	if _, err := NormalizePhone("+84901234\x0067"); ErrorCode(err) != EINVALID {
		t.Errorf("NormalizePhone with NUL: %v", err)
	}
}

// clean reports whether s is text CleanText would leave as it is.
func clean(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\t' || r == '\n' || r == '\r')) {
			return false
		}
	}
	return true
}

// FuzzCleanText: the result is always storable on both databases (valid
// UTF-8, no NUL, no control but tab and line breaks), cleaning is
// idempotent, clean text is untouched, and CheckID accepts exactly the
// strings with no control characters at all.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "hello", "a\x00b", "\xff\xfe", "\u0085", "x\r\ny", "👋\xc3", "\x1b[0m", "é\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CleanText(s)
		if !clean(c, true) || strings.IndexByte(c, 0) >= 0 {
			t.Fatalf("CleanText(%q) = %q, not clean", s, c)
		}
		if CleanText(c) != c {
			t.Fatalf("CleanText not idempotent on %q", s)
		}
		if clean(s, true) && c != s {
			t.Fatalf("CleanText changed clean text %q to %q", s, c)
		}
		l := CleanLine(s)
		if !clean(l, false) || CleanLine(l) != l || l != strings.TrimSpace(l) {
			t.Fatalf("CleanLine(%q) = %q", s, l)
		}
		if err := CheckID("id", s); (err == nil) != clean(s, false) {
			t.Fatalf("CheckID(%q) = %v, clean = %v", s, err, clean(s, false))
		}
		n := len(s) / 2
		tr := TruncateText(c, n)
		if len(tr) > n || !utf8.ValidString(tr) || !strings.HasPrefix(c, tr) {
			t.Fatalf("TruncateText(%q, %d) = %q", c, n, tr)
		}
	})
}

// FuzzNormalizeEmail: an accepted address is lower-case, clean, has an @,
// and normalising it again gives it back (so lookups by it are stable).
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"", "Ana@Example.com", " a@b ", "a\x00@b.c", "Ana <a@b.c>", "\"q u\"@x.org", "a@[127.0.0.1]", "ü@ü.de", "@", "a@b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := NormalizeEmail(s)
		if err != nil {
			if ErrorCode(err) != EINVALID || e != "" {
				t.Fatalf("NormalizeEmail(%q) = %q, %v", s, e, err)
			}
			return
		}
		if e == "" {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("NormalizeEmail(%q) = empty without error", s)
			}
			return
		}
		if e != strings.ToLower(e) || !strings.Contains(e, "@") || CheckID("email", e) != nil {
			t.Fatalf("NormalizeEmail(%q) = %q", s, e)
		}
		if again, err := NormalizeEmail(e); err != nil || again != e {
			t.Fatalf("NormalizeEmail not idempotent: %q → %q → %q, %v", s, e, again, err)
		}
	})
}

// FuzzNormalizePhone: an accepted number is E.164 (+, a non-zero first
// digit, 8 to 15 digits in all), the input's digits in order, and stable.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"", "+84 (90) 123-4567", "+1.415.555.0100", "0901234567", "+0123456789", "+١٢٣٤٥٦٧٨٩", "+1 2", "++12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePhone(s)
		if err != nil {
			if ErrorCode(err) != EINVALID || p != "" {
				t.Fatalf("NormalizePhone(%q) = %q, %v", s, p, err)
			}
			return
		}
		if p == "" {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("NormalizePhone(%q) = empty without error", s)
			}
			return
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		if p[0] != '+' || p[1] == '0' || len(p) < 9 || len(p) > 16 || p[1:] != digits {
			t.Fatalf("NormalizePhone(%q) = %q", s, p)
		}
		if again, err := NormalizePhone(p); err != nil || again != p {
			t.Fatalf("NormalizePhone not idempotent: %q → %q → %q, %v", s, p, again, err)
		}
	})
}

func TestNormalizeLabelsRefusesControlCharacters(t *testing.T) {
	for _, bad := range []string{"a\x00b", "a\nb", "\xff", "c\u0085d"} {
		if _, err := NormalizeLabels([]string{bad}); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeLabels(%q) err = %v, want EINVALID", bad, err)
		}
	}
	if got, err := NormalizeLabels([]string{"\tVIP\n"}); err != nil || len(got) != 1 || got[0] != "vip" {
		t.Errorf("NormalizeLabels trims tabs and newlines at the ends: %q, %v", got, err)
	}
}
