package store

import (
	"context"
	"errors"
	"testing"
)

// TestPipelineGuard: a pipeline's arguments pass the text guard, as those
// of every statement through database/sql do, and one that fails stops
// the pipeline before anything is sent (the connection is not touched).
func TestPipelineGuard(t *testing.T) {
	p := &pipeline{}
	p.exec("SELECT $1", "fine")
	p.query("SELECT $1", []any{"nul\x00inside"}, func(func(...any) error) error { return nil })
	if err := p.send(context.Background(), nil); !errors.Is(err, errBadText) {
		t.Fatalf("send: %v, want the guard's refusal", err)
	}
}
