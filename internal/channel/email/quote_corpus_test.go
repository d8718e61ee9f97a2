package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStripQuotedReplyParserCorpus checks StripQuoted against the
// fixtures of github/email_reply_parser (MIT, see
// testdata/reply_parser/LICENSE): real replies from mailing lists,
// GitHub notifications, Outlook and phones. The expected visible text was
// written for Parley from reading each fixture; it follows that project's
// test where the two agree. Where they differ, Parley keeps more: a
// sign-off such as "-Abhishek Kona" is the writer's own line, not an
// appended signature, so it stays.
func TestStripQuotedReplyParserCorpus(t *testing.T) {
	const footer = "\n_______________________________________________\nriak-users mailing list"
	for name, want := range map[string]string{
		"correct_sig": "this is an email with a correct -- signature.",
		// A mailing-list footer goes; the sign-off stays.
		"email_1_1": before("email_1_1", footer),
		// An inline reply: the first quote is the context of the answer;
		// the trailing quote and the list footer go.
		"email_1_2": before("email_1_2", "\n>\n> -Abhishek Kona"),
		"email_1_3": "Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona",
		"email_1_4": "Awesome! I haven't had another problem with it.",
		"email_1_5": whole("email_1_5"), // bullets and "One:" are not headers
		// "Sent from a magnificent torch of pixels" is not a known app's line.
		"email_1_6": "I get proper rendering as well.\n\nSent from a magnificent torch of pixels",
		// A header wrapped over two lines, glued "<addr>wrote:", CRLF.
		"email_1_7": ":+1:",
		// Answers between quotes keep their quotes; the signature after a
		// bare "--" at the very end goes, and with it the quote before it.
		"email_1_8":        before("email_1_8", "\n>\n> -- Tim"),
		"email_2_1":        "Outlook with a reply",
		"email_2_2":        "Outlook with a reply directly above line",
		"email_2_3":        "Outlook with a reply directly above line",
		"email_BlackBerry": "Here is another email",
		"email_bullets": "test 2 this should list second\n\nand have spaces\n\nand retain this formatting\n\n\n" +
			"   - how about bullets\n   - and another",
		"email_iPhone":     "Here is another email",
		"email_long_quote": before("email_long_quote", footer),
		"email_multi_word_sent_from_my_mobile_device": "Here is another email",
		"email_one_is_not_on":                         "Thank, this is really helpful.\n\nOne outstanding question I had:\n\nLocally (on development), when I run...",
		// A sentence that starts like a phone's signature is the writer's.
		"email_sent_from_my_not_signature":      "Here is another email\n\nSent from my desk, is much easier then my mobile phone.",
		"email_sig_delimiter_in_middle_of_line": whole("email_sig_delimiter_in_middle_of_line"),
		// "On your remote host…" is not a quote header: no date, no "wrote".
		"greedy_on":    before("greedy_on", "\n\nOn 9 Jan 2014"),
		"pathological": "I think you're onto something. I will try to fix the problem as soon as I\nget back to a computer.",
	} {
		t.Run(name, func(t *testing.T) {
			if got := StripQuoted(fixture(t, name)); got != want {
				t.Errorf("got:\n%s\n---- want:\n%s", got, want)
			}
		})
	}
	files, _ := filepath.Glob("testdata/reply_parser/*.txt")
	if len(files) != 22 {
		t.Errorf("%d fixtures, want the 22 of the corpus", len(files))
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reply_parser", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// whole is a fixture that is all new text, with the trailing spaces of
// its lines trimmed, as StripQuoted does.
func whole(name string) string {
	b, _ := os.ReadFile(filepath.Join("testdata", "reply_parser", name+".txt"))
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// before is a fixture's text up to marker, where its new part ends.
func before(name, marker string) string {
	s := whole(name)
	i := strings.Index(s, marker)
	if i < 0 {
		return "marker " + marker + " not in " + name
	}
	return strings.TrimRight(s[:i], " \n")
}

// BenchmarkStripQuoted measures the stripper on the corpus' hardest
// inputs: a reply over a long pathological quote, and a 100 KB line of
// '>' (see docs/PERFORMANCE.md).
func BenchmarkStripQuoted(b *testing.B) {
	for _, name := range []string{"pathological", "email_long_quote", "email_1_2"} {
		in, err := os.ReadFile(filepath.Join("testdata", "reply_parser", name+".txt"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				StripQuoted(string(in))
			}
		})
	}
}
