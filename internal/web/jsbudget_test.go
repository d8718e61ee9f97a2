package web

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestJavaScriptBudget: no page of the agent UI ships more than 100 KiB
// of JavaScript (no build step, nothing minified of our own): the scripts
// the layout loads, added up. capture.js is fetched only when an agent
// records or takes a screenshot.
func TestJavaScriptBudget(t *testing.T) {
	layout, err := os.ReadFile(filepath.Join("templates", "layout.html"))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range regexp.MustCompile(`<script src="\{\{asset "([^"]+)"\}\}"`).FindAllSubmatch(layout, -1) {
		b, err := os.ReadFile(filepath.Join("static", string(m[1])))
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
	}
	if total < 50<<10 || total > 100<<10 {
		t.Fatalf("the layout loads %d bytes of JavaScript; the budget is 100 KiB", total)
	}
}
