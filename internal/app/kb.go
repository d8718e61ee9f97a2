package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parleyhq/parley/internal/parley"
)

// errImportFailures makes `parley kb import` exit with 1 when some files
// failed, after everything else was imported.
var errImportFailures = errors.New("some files were not imported")

// importKnowledge is `parley kb import DIR`: each failed file on stderr
// with its line, then the summary on stdout.
func (a *App) importKnowledge(ctx context.Context, stdout, stderr io.Writer, dir string) error {
	r, err := a.Knowledge.ImportDir(ctx, parley.RoleOwner, dir)
	if err != nil {
		return err
	}
	for _, f := range r.Failures {
		fmt.Fprintln(stderr, "parley: kb import:", f.String())
	}
	fmt.Fprintln(stdout, r.Summary())
	if r.Failed > 0 {
		return errImportFailures
	}
	return nil
}
