package sms

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestTables(t *testing.T) {
	// GSM 03.38: 128 positions, one of them (0x1B) the escape.
	if n := utf8.RuneCountInString(gsmBasic); n != 127 {
		t.Errorf("basic table has %d characters, want 127", n)
	}
	if len(basicSet) != 127 {
		t.Errorf("basic table has duplicates: %d distinct", len(basicSet))
	}
	if n := len(extSet); n != 10 {
		t.Errorf("extension table has %d characters, want 10", n)
	}
	for r := range extSet {
		if basicSet[r] {
			t.Errorf("%q in both tables", r)
		}
	}
	// Characters community implementations get wrong.
	for _, r := range "¡§¤ÇΔ@£¥" {
		if !basicSet[r] {
			t.Errorf("%q should be basic GSM-7", r)
		}
	}
	for _, r := range "ç`’‘“”–…\t" {
		if septets(r) != 0 {
			t.Errorf("%q should not be GSM-7", r)
		}
	}
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

func TestSegments(t *testing.T) {
	const emoji = "😜" // U+1F61C, a surrogate pair in UTF-16
	tests := []struct {
		name     string
		text     string
		enc      string
		units    int
		segments int
		per      int
	}{
		{"empty", "", GSM7, 0, 0, 160},
		{"one char", "a", GSM7, 1, 1, 160},
		{"160 GSM", rep("a", 160), GSM7, 160, 1, 160},
		{"161 GSM", rep("a", 161), GSM7, 161, 2, 153},
		{"306 GSM = 153x2", rep("a", 306), GSM7, 306, 2, 153},
		{"307 GSM", rep("a", 307), GSM7, 307, 3, 153},
		{"459 GSM = 153x3", rep("a", 459), GSM7, 459, 3, 153},
		{"460 GSM", rep("a", 460), GSM7, 460, 4, 153},
		{"one non-GSM char makes all UCS-2", "Ça coûte 5£ @ Δ_§¡¿", UCS2, 19, 1, 70}, // û is not GSM
		{"GSM specials", "Ça coute 5£ @ Δ_§¡¿¤", GSM7, 20, 1, 160},
		{"lowercase c-cedilla is UCS-2", "ç", UCS2, 1, 1, 70},
		{"curly apostrophe is UCS-2", "it’s", UCS2, 4, 1, 70},
		{"euro counts 2", "€", GSM7, 2, 1, 160},
		{"all extension chars", "^{}\\[~]|€\f", GSM7, 20, 1, 160},
		// TwilioDevEd/message-segment-calculator tests/index.test.js vectors
		// (used as test data; lengths recomputed).
		{"brace + 158 digits = 160", "{" + rep("1", 158), GSM7, 160, 1, 160},
		{"brace + 159 digits = 161", "{" + rep("1", 159), GSM7, 161, 2, 153},
		{"emoji + 68 = 70 units", emoji + rep("a", 68), UCS2, 70, 1, 70},
		{"emoji + 69 = 71 units", emoji + rep("a", 69), UCS2, 71, 2, 67},
		// Extension character at the end of a full single SMS.
		{"159 + euro = 161", rep("a", 159) + "€", GSM7, 161, 2, 153},
		{"158 + euro = 160", rep("a", 158) + "€", GSM7, 160, 1, 160},
		// Extension character straddling the 153 boundary moves whole:
		// 152 + € would need septets 153-154, so part 1 has 152, part 2
		// has € + 152 'a' = 154 > 153 -> 3 parts.
		{"escape pair not split", rep("a", 152) + "€" + rep("a", 152), GSM7, 306, 3, 153},
		{"escape pair fits exactly", rep("a", 151) + "€" + rep("a", 153), GSM7, 306, 2, 153},
		// UCS-2 boundaries.
		{"70 UCS-2", "ç" + rep("a", 69), UCS2, 70, 1, 70},
		{"71 UCS-2", "ç" + rep("a", 70), UCS2, 71, 2, 67},
		{"134 UCS-2 = 67x2", "ç" + rep("a", 133), UCS2, 134, 2, 67},
		{"135 UCS-2", "ç" + rep("a", 134), UCS2, 135, 3, 67},
		// Surrogate pair straddling the 67 boundary moves whole.
		{"surrogate pair not split", "ç" + rep("a", 65) + emoji + rep("a", 66), UCS2, 134, 3, 67},
		{"surrogate pair fits exactly", "ç" + rep("a", 64) + emoji + rep("a", 67), UCS2, 134, 2, 67},
		{"35 emoji = 70 units", rep(emoji, 35), UCS2, 70, 1, 70},
		{"36 emoji = 72 units", rep(emoji, 36), UCS2, 72, 2, 67},
		// 67 is odd: each part holds 33 emoji (66 units).
		{"67 emoji", rep(emoji, 67), UCS2, 134, 3, 67},
		{"66 emoji", rep(emoji, 66), UCS2, 132, 2, 67},
		{"invalid utf-8 is UCS-2", "a\xffb", UCS2, 3, 1, 70},
		{"BMP non-GSM counts 1", "日本", UCS2, 2, 1, 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Segments(tt.text)
			want := Info{Encoding: tt.enc, Units: tt.units, Segments: tt.segments, PerSegment: tt.per}
			if got != want {
				t.Errorf("Segments = %+v, want %+v", got, want)
			}
			parts := Split(tt.text)
			if len(parts) != tt.segments {
				t.Errorf("Split gave %d parts, want %d", len(parts), tt.segments)
			}
			if strings.Join(parts, "") != tt.text {
				t.Errorf("Split parts do not join back to the text")
			}
		})
	}
}

func TestSplitKeepsPairsWhole(t *testing.T) {
	parts := Split(strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10))
	if len(parts) != 2 || parts[0] != strings.Repeat("a", 152) || !strings.HasPrefix(parts[1], "€") {
		t.Errorf("parts = %q", parts)
	}
	parts = Split("ç" + strings.Repeat("a", 65) + "😜" + strings.Repeat("a", 10))
	if len(parts) != 2 || !strings.HasPrefix(parts[1], "😜") {
		t.Errorf("parts = %q", parts)
	}
}

func TestCost(t *testing.T) {
	if got := Cost(Segments(strings.Repeat("a", 161)), 0.0079); got != 2*0.0079 {
		t.Errorf("Cost = %v", got)
	}
	if got := Cost(Segments(""), 0.0079); got != 0 {
		t.Errorf("Cost of empty = %v", got)
	}
}

// unitsOf counts encoding units independently of the implementation:
// septets from an escape check, UTF-16 units from the utf16 package.
func unitsOf(s string, gsm bool) int {
	if !gsm {
		return len(utf16.Encode([]rune(s)))
	}
	n := 0
	for _, r := range s {
		n++
		if strings.ContainsRune(gsmExtension, r) {
			n++
		}
	}
	return n
}

func FuzzSegments(f *testing.F) {
	for _, s := range []string{"", "hello", "€", "😜", strings.Repeat("a", 161), strings.Repeat("😜", 40), "a\xffb", "ç" + strings.Repeat("{", 90)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info := Segments(s)
		gsm := IsGSM7(s)
		if (info.Encoding == GSM7) != gsm {
			t.Fatalf("encoding %s but IsGSM7=%v", info.Encoding, gsm)
		}
		if want := unitsOf(s, gsm); info.Units != want {
			t.Fatalf("units %d, want %d", info.Units, want)
		}
		if (info.Segments == 0) != (s == "") {
			t.Fatalf("%d segments for %q", info.Segments, s)
		}
		if info.Segments*info.PerSegment < info.Units {
			t.Fatalf("%d units do not fit in %d x %d", info.Units, info.Segments, info.PerSegment)
		}
		// Every part but the last is full or one unit short (a pair moved).
		if info.Segments > 1 && (info.Segments-1)*(info.PerSegment-1) >= info.Units {
			t.Fatalf("too many segments: %+v", info)
		}
		parts := Split(s)
		if len(parts) != info.Segments || strings.Join(parts, "") != s {
			t.Fatalf("Split disagrees: %d parts for %+v", len(parts), info)
		}
		for _, p := range parts {
			if p == "" || unitsOf(p, gsm) > info.PerSegment {
				t.Fatalf("part %q over %d units", p, info.PerSegment)
			}
		}
	})
}
