package email

import "testing"

// TestStripQuotedKeepsWords: the writer's words survive whatever looks
// like a quote or a signature but is not certainly one, and what
// certainly is one goes. Each expectation was written by hand.
func TestStripQuotedKeepsWords(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		// Bare "--" lines as separators, with the question after them.
		{"list separators", "Two orders:\n--\n#1001 shoes\n--\n#1002 hat\n\nWhich one ships first?",
			"Two orders:\n--\n#1001 shoes\n--\n#1002 hat\n\nWhich one ships first?"},
		{"one separator then a question", "I tried the steps.\n--\nWhy does the export still fail?",
			"I tried the steps.\n--\nWhy does the export still fail?"},
		{"bare -- with a long block is not a signature", "Notes\n--\n1\n2\n3\n4\n5\n6\n7", "Notes\n--\n1\n2\n3\n4\n5\n6\n7"},
		{"standard delimiter", "Thanks!\n-- \nAnn Lee\nAcme Ltd\n+1 555 0100", "Thanks!"},
		{"bare -- signature at the end", "Thanks!\n\n--\nAnn Lee\nAcme Ltd", "Thanks!"},
		{"signature after the last quote", "> q1\nanswer one\n> q2\nanswer two\n\n-- \nAnn\n\n> old\n> older",
			"> q1\nanswer one\n> q2\nanswer two"},
		{"delimiter before a long text is not a signature", "Hi\n-- \n" + lines(20), "Hi\n--\n" + lines(20)},
		// Phone signatures: the app's line, not a sentence.
		{"iphone", "Yes please.\n\nSent from my iPhone", "Yes please."},
		{"sentence starting like a phone", "Sent from my desk, the form fails.\nCan you help?\n\nSent from my iPhone",
			"Sent from my desk, the form fails.\nCan you help?"},
		{"sentence at the end", "The parcel?\n\nSent from my office on Monday, it never arrived.",
			"The parcel?\n\nSent from my office on Monday, it never arrived."},
		{"phone line in the middle stays", "Sent from my iPhone\nthat is what my old mail said.\nWhy?\nThanks",
			"Sent from my iPhone\nthat is what my old mail said.\nWhy?\nThanks"},
		// Mailing-list footers.
		{"mailman footer", "Any update?\n\n_______________________________________________\nusers mailing list\nusers@lists.example.org\n" +
			"https://lists.example.org/mailman/listinfo/users", "Any update?"},
		{"google groups footer", "Still broken.\n\n-- \nYou received this message because you are subscribed to the Google Groups \"acme\" group.\n" +
			"To unsubscribe from this group and stop receiving emails from it, send an email to acme+unsubscribe@googlegroups.com.",
			"Still broken."},
		{"ruler without a list is kept", "Totals\n______\nA 1\nB 2", "Totals\n______\nA 1\nB 2"},
		// Gmail headers in more languages, some wrapped.
		{"gmail russian", "Спасибо!\n\nпн, 3 мар. 2025 г. в 18:20, Acme <support@acme.test>:\n> Здравствуйте", "Спасибо!"},
		{"gmail japanese", "ありがとう\n\n2025年3月4日(火) 10:00 Acme <support@acme.test>:\n> こんにちは", "ありがとう"},
		{"gmail chinese", "谢谢\n\nAcme <support@acme.test> 于2025年3月4日周二 10:00写道：\n> 你好", "谢谢"},
		{"gmail turkish wrapped", "Teşekkürler\n\nAcme <support@acme.test>, 4 Mar 2025 Sal, 10:00 tarihinde\nşunu yazdı:\n> Merhaba", "Teşekkürler"},
		{"gmail english wrapped", "Done.\n\nOn Tue, Mar 4, 2025 at 10:00 AM Acme Support <support@acme.test>\nwrote:\n\n> Did it work?", "Done."},
		{"gmail glued wrote", "Ok\n\nOn Tue, Mar 4, 2025 at 10:00 AM, Acme\n<support@acme.test>wrote:\n> hi", "Ok"},
		{"gmail german", "Danke.\n\nAm Di., 4. März 2025 um 10:00 Uhr schrieb Acme <support@acme.test>:\n> Hallo", "Danke."},
		{"address colon without quote is text", "Write to Acme <support@acme.test> on 4 March:\nthey answer fast.",
			"Write to Acme <support@acme.test> on 4 March:\nthey answer fast."},
		// Outlook and Apple Mail.
		{"outlook from sent", "Please cancel it.\n\nFrom: Acme Support <support@acme.test>\nSent: Tuesday, March 4, 2025 10:00 AM\nTo: Ann\nSubject: Order\n\nHello",
			"Please cancel it."},
		{"outlook original message", "Cancel.\n\n-----Original Message-----\nFrom: Acme\nSent: Tuesday\n\nHello", "Cancel."},
		{"apple mail", "Works now.\n\n> On 4 Mar 2025, at 10:00, Acme Support <support@acme.test> wrote:\n>\n> Try again?", "Works now."},
		{"apple mail unquoted header", "Works now.\n\nOn 4 Mar 2025, at 10:00, Acme Support <support@acme.test> wrote:\n\n> Try again?", "Works now."},
		// Answers between quotes keep the quotes they answer.
		{"interleaved after header", "On Tue, Mar 4, 2025 at 10:00 AM Acme <s@acme.test> wrote:\n> Which browser?\nFirefox.\n> Which version?\n128.\n> Thanks\n",
			"On Tue, Mar 4, 2025 at 10:00 AM Acme <s@acme.test> wrote:\n> Which browser?\nFirefox.\n> Which version?\n128."},
		{"bottom post drops the history", "On Tue, Mar 4, 2025 at 10:00 AM Acme <s@acme.test> wrote:\n> Does it work?\n\nYes.", "Yes."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StripQuoted(tc.in); got != tc.want {
				t.Errorf("StripQuoted(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func lines(n int) string {
	s := ""
	for i := range n {
		if i > 0 {
			s += "\n"
		}
		s += "line " + string(rune('a'+i%26))
	}
	return s
}
