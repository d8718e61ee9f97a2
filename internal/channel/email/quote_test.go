package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenCases runs f on every testdata/dir/*.ext file and compares the
// result with the .golden file beside it.
func goldenCases(t *testing.T, dir, ext string, f func(string) string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/%s: %v", dir, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ext)
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(file, ext) + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			if got := f(string(in)); got != strings.TrimRight(string(want), "\n") {
				t.Errorf("got:\n%s\n---- want:\n%s", got, want)
			}
		})
	}
}

func TestStripQuoted(t *testing.T) {
	goldenCases(t, "quotes", ".txt", StripQuoted)
}

func TestStripQuotedHTML(t *testing.T) {
	goldenCases(t, "htmlquotes", ".html", StripQuotedHTML)
}

func TestStripQuotedCases(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"crlf and no-break space", "Merci !\r\n\r\nLe 4 mars 2025 à 10:00, Acme a écrit\u00a0:\r\n> Bonjour\r\n", "Merci !"},
		{"header on three lines", "Ok.\n\nOn Tue, Mar 4, 2025 at 9:12 AM Ben from the Acme\nCustomer Support Team <support@acme.test>\nwrote:\n> hi\n", "Ok."},
		{"sentence then wrote", "It broke on 3 March.\nI wrote:\n\nplease help", "It broke on 3 March.\nI wrote:\n\nplease help"},
		{"loose header with quote", "Done.\n\nBen wrote:\n> can you check?\n", "Done."},
		{"trailing quote without header", "Agreed.\n\n> We will ship on Monday.\n> Regards\n", "Agreed."},
		{"all quote", "> just the old text\n", ""},
		{"unquoted header cuts the rest", "See below.\n\nOn Mon, 3 Mar 2025 at 18:20, Acme <s@acme.test> wrote:\nold text\nmore old text\n", "See below."},
		{"signature delimiter", "Thanks\n-- \nAnn\nCEO", "Thanks"},
		{"signature only", "-- \nAnn", "--\nAnn"},
		{"mobile signature far from the end stays", "Sent from my iPhone is what my mail says.\nline\nline\nline\nend", "Sent from my iPhone is what my mail says.\nline\nline\nline\nend"},
		{"android", "Sure.\n\nSent from my Galaxy", "Sure."},
		{"outlook mobile", "Fine\n\nGet Outlook for iOS", "Fine"},
		{"german mobile", "Passt.\n\nVon meinem iPhone gesendet", "Passt."},
		{"dutch original", "Akkoord.\n\n-----Oorspronkelijk bericht-----\nVan: Acme\n", "Akkoord."},
		{"outlook one line", "Yes.\nFrom: Acme Support Sent: Tuesday To: Ann Subject: Re: x\nold", "Yes."},
		{"forward kept", "FYI\n\n---------- Forwarded message ---------\nFrom: Bob <bob@x.test>\nDate: Mon, Mar 3, 2025\nSubject: hi\n\nhello", "FYI\n\n---------- Forwarded message ---------\nFrom: Bob <bob@x.test>\nDate: Mon, Mar 3, 2025\nSubject: hi\n\nhello"},
		{"apple forward kept", "See below\n\nBegin forwarded message:\n\nFrom: Bob <bob@x.test>\nDate: 3 March 2025\n\n> quoted", "See below\n\nBegin forwarded message:\n\nFrom: Bob <bob@x.test>\nDate: 3 March 2025\n\n> quoted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StripQuoted(tc.in); got != tc.want {
				t.Errorf("StripQuoted(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
