package app_test

import (
	"context"
	"strings"
	"testing"
)

// TestKBImport runs `parley kb import` over the knowledge package's
// fixtures: the broken files are named with their line, the rest are
// imported, and a second run changes nothing.
func TestKBImport(t *testing.T) {
	env := map[string]string{"PARLEY_DATA_DIR": t.TempDir()}
	ctx := context.Background()
	const dir = "../knowledge/testdata/kb"
	code, out, errOut := run(t, ctx, env, "kb", "import", dir)
	if code != 1 || strings.TrimSpace(out) != "imported 5, updated 0, unchanged 0, failed 4" {
		t.Fatalf("first import: %d %q %q", code, out, errOut)
	}
	for _, want := range []string{"broken/bad-front-matter.md:3:", "broken/latin1.md:4: the file is not valid UTF-8", "broken/empty-title.md:3:", "broken/unclosed.md:1:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Options may come after the directory.
	code, out, _ = run(t, ctx, env, "kb", "import", dir, "--data-dir", env["PARLEY_DATA_DIR"])
	if code != 1 || strings.TrimSpace(out) != "imported 0, updated 0, unchanged 5, failed 4" {
		t.Fatalf("second import: %d %q", code, out)
	}
	// The same files from a subdirectory: found by slug, only their
	// source path (now relative to guides/) changes.
	code, out, _ = run(t, ctx, env, "kb", "import", dir+"/guides")
	if code != 0 || strings.TrimSpace(out) != "imported 0, updated 2, unchanged 0, failed 0" {
		t.Fatalf("a clean directory: %d %q", code, out)
	}
	if code, _, errOut := run(t, ctx, env, "kb", "import"); code != 2 || !strings.Contains(errOut, "usage: parley kb import DIR") {
		t.Fatalf("no dir: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, ctx, env, "kb", "import", "/nonexistent/dir"); code != 1 || !strings.Contains(errOut, "cannot read /nonexistent/dir") {
		t.Fatalf("missing dir: %d %q", code, errOut)
	}
}
