package mail

import "testing"

func TestHTMLTextLinks(t *testing.T) {
	for in, want := range map[string]string{
		"1 – Very easy: https://p.example/survey/abc?ces=1": `<p>1 – Very easy: <a href="https://p.example/survey/abc?ces=1">https://p.example/survey/abc?ces=1</a></p>` + "\n",
		"See https://x.example/a&b.":                        `<p>See <a href="https://x.example/a&amp;b">https://x.example/a&amp;b</a>.</p>` + "\n",
		`<script>javascript:alert(1)</script> ftp://no`:     `<p>&lt;script&gt;javascript:alert(1)&lt;/script&gt; ftp://no</p>` + "\n",
		`https://x.example/"><script>`:                      `<p><a href="https://x.example/">https://x.example/</a>&#34;&gt;&lt;script&gt;</p>` + "\n",
	} {
		if got := HTMLText(in); got != want {
			t.Errorf("HTMLText(%q) =\n%s\nwant\n%s", in, got, want)
		}
	}
}
