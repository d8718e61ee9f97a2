// Package sms does the segment arithmetic of SMS: which encoding a text
// needs, how many encoding units it takes, and how many billable parts
// (segments) a carrier splits it into.
//
// The rules (3GPP TS 23.038 / 23.040):
//
//   - One SMS carries 140 octets. In the GSM 7-bit default alphabet that is
//     160 septets; a concatenated message spends 6 octets on the user data
//     header, leaving 153 septets per part.
//   - Characters in the GSM 03.38 extension table (^ { } \ [ ~ ] | € and
//     form feed) are sent as ESC + code and count 2 septets. The escape pair
//     is never split across parts.
//   - If any character is in neither GSM table, the whole message is sent
//     as UCS-2 (in practice UTF-16): 70 code units in one SMS, 67 per part
//     when concatenated. Characters outside the Basic Multilingual Plane
//     (most emoji) are a surrogate pair of 2 units, never split across
//     parts.
//
// Some carriers (notably US toll-free routes) use smaller parts; the
// numbers here are the standard ones, which providers such as Twilio bill.
package sms

import "unicode/utf8"

// Encodings.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// Part sizes, in septets (GSM-7) or UTF-16 code units (UCS-2).
const (
	GSM7Single = 160
	GSM7Part   = 153
	UCS2Single = 70
	UCS2Part   = 67
)

// Info is how a text travels as SMS.
type Info struct {
	// Encoding is GSM7 or UCS2.
	Encoding string
	// Units is the encoded length: septets for GSM-7 (extension characters
	// count 2), UTF-16 code units for UCS-2 (astral characters count 2).
	Units int
	// Segments is the number of SMS parts billed; 0 for an empty text.
	Segments int
	// PerSegment is the capacity of each part for this message: 160 or 70
	// for a single SMS, 153 or 67 for a concatenated one.
	PerSegment int
}

// gsmBasic is the GSM 03.38 default alphabet (every character counts one
// septet), written out from the standard's table. Position 0x1B is the
// escape to the extension table and has no character of its own.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅå" +
	"Δ_ΦΓΛΩΠΨΣΘΞ" + "ÆæßÉ" +
	" !\"#¤%&'()*+,-./" +
	"0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
	"¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the GSM 03.38 extension table: ESC + code, 2 septets.
const gsmExtension = "\f^{}\\[~]|€"

var basicSet, extSet = runeSet(gsmBasic), runeSet(gsmExtension)

func runeSet(s string) map[rune]bool {
	m := make(map[rune]bool, len(s))
	for _, r := range s {
		m[r] = true
	}
	return m
}

// septets is how many septets r takes in GSM-7, or 0 if it has none.
func septets(r rune) int {
	switch {
	case basicSet[r]:
		return 1
	case extSet[r]:
		return 2
	}
	return 0
}

// IsGSM7 reports whether every character of text is in the GSM 03.38
// basic or extension table. Invalid UTF-8 is not GSM-7.
func IsGSM7(text string) bool {
	// An invalid byte decodes as U+FFFD, which is in neither table.
	for _, r := range text {
		if septets(r) == 0 {
			return false
		}
	}
	return true
}

// Segments tells how text would be sent as SMS. Invalid UTF-8 bytes are
// counted as U+FFFD (one UCS-2 unit each), as a provider would substitute.
func Segments(text string) Info {
	var b splitter
	b.run(text, nil)
	return b.info()
}

// Split cuts text into the parts a sender would transmit, by the same
// rules as Segments: len(Split(t)) == Segments(t).Segments, and the parts
// joined give t back. No part ends inside an escape pair or a surrogate
// pair (both are a single character of the Go string).
func Split(text string) []string {
	var b splitter
	var parts []string
	b.run(text, &parts)
	return parts
}

type splitter struct {
	enc      string
	units    int
	segments int
	per      int
}

func (b *splitter) info() Info {
	return Info{Encoding: b.enc, Units: b.units, Segments: b.segments, PerSegment: b.per}
}

// run counts text and, when parts is not nil, fills it with the parts.
func (b *splitter) run(text string, parts *[]string) {
	gsm := IsGSM7(text)
	single, part := UCS2Single, UCS2Part
	b.enc = UCS2
	if gsm {
		single, part = GSM7Single, GSM7Part
		b.enc = GSM7
	}
	width := func(r rune) int {
		if gsm {
			return septets(r)
		}
		if r >= 0x10000 && r <= utf8.MaxRune {
			return 2 // surrogate pair
		}
		return 1
	}
	for _, r := range text {
		b.units += width(r)
	}
	switch {
	case b.units == 0:
		b.per = single
		return
	case b.units <= single:
		b.per, b.segments = single, 1
		if parts != nil {
			*parts = append(*parts, text)
		}
		return
	}
	// Concatenated: fill each part greedily; a 2-unit character that does
	// not fit in what is left of a part moves whole to the next one.
	b.per = part
	start, used := 0, 0
	for i, r := range text {
		w := width(r)
		if used+w > part {
			if parts != nil {
				*parts = append(*parts, text[start:i])
			}
			b.segments++
			start, used = i, 0
		}
		used += w
	}
	if parts != nil {
		*parts = append(*parts, text[start:])
	}
	b.segments++
}

// Cost estimates the price of sending a message: its segments times the
// price of one segment, in whatever currency unit the price is in. It is
// an estimate: providers may transliterate ("smart encoding"), use other
// part sizes on some routes, or price by destination.
func Cost(info Info, pricePerSegment float64) float64 {
	return float64(info.Segments) * pricePerSegment
}
