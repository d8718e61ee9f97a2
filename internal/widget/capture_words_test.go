package widget

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestCaptureWords: every sentence capture.js says has a translation in
// each language the chat speaks, with the same {placeholders}, and no
// language keeps a sentence capture.js no longer says.
func TestCaptureWords(t *testing.T) {
	src, err := os.ReadFile("static/capture.js")
	if err != nil {
		t.Fatal(err)
	}
	said := map[string]string{}
	for _, m := range regexp.MustCompile(`say\('(\w+)', '((?:[^'\\]|\\.)*)'`).FindAllStringSubmatch(string(src), -1) {
		said["cap."+m[1]] = m[2]
	}
	if len(said) < 12 {
		t.Fatalf("found only %d sentences in capture.js: %v", len(said), said)
	}
	holes := regexp.MustCompile(`\{\w+\}`)
	for lang := range texts {
		if lang == "en" {
			continue
		}
		words := textsFor(lang).Words
		for key, english := range said {
			got, ok := words[key]
			if !ok {
				t.Errorf("%s: no %s (%q)", lang, key, english)
				continue
			}
			want, have := holes.FindAllString(english, -1), holes.FindAllString(got, -1)
			slices.Sort(want)
			slices.Sort(have)
			if !slices.Equal(want, have) {
				t.Errorf("%s %s: placeholders %v, English has %v", lang, key, have, want)
			}
		}
		for key := range captureWords[lang] {
			if _, ok := said[key]; !ok {
				t.Errorf("%s: %s is not said by capture.js", lang, key)
			}
		}
	}
}
