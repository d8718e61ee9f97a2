package jsonhttp_test

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// body is a request body shaped like the API's: strings, numbers, a
// pointer, a list, a nested object and a time.
type body struct {
	Name    string            `json:"name"`
	Count   int64             `json:"count"`
	Ratio   *float64          `json:"ratio,omitempty"`
	Labels  []string          `json:"labels,omitempty"`
	Contact map[string]string `json:"contact,omitempty"`
	Nested  *struct {
		On bool `json:"on"`
	} `json:"nested,omitempty"`
	At *time.Time `json:"at,omitempty"`
}

// FuzzDecode: whatever the body, Decode never panics and either fills v
// or answers EINVALID/ETOOLARGE with a message for people (never Go's
// own error text); what it accepts is one JSON object, and decoding it
// again after encoding gives the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"a","count":1}`, `{}`, `[]`, `{"name":5}`, `{"unknown":1}`, `{"a":1}{"b":2}`,
		`{"name":"x"} garbage`, `{"at":"yesterday"}`, `{"count":1e400}`, `{"name":"\u0000"}`, `{"contact":{"a":"b"}}`,
		`{"nested":{"on":"yes"}}`, ``, `{"name":"` + strings.Repeat("x", 300) + `"}`, `{"ratio":null,"labels":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 256
		r := httptest.NewRequest("POST", "/", strings.NewReader(string(data)))
		r.Header.Set("Content-Type", "application/json")
		var v body
		err := jsonhttp.Decode(httptest.NewRecorder(), r, &v, limit)
		if err != nil {
			code := parley.ErrorCode(err)
			if code != parley.EINVALID && code != parley.ETOOLARGE {
				t.Fatalf("Decode(%q) = %v, want EINVALID or ETOOLARGE", data, err)
			}
			if strings.Contains(parley.ErrorMessage(err), "json: ") {
				t.Fatalf("Decode(%q) shows Go's error text: %q", data, parley.ErrorMessage(err))
			}
			return
		}
		if len(data) > limit {
			t.Fatalf("Decode accepted %d bytes over a %d-byte limit", len(data), limit)
		}
		trimmed := strings.TrimSpace(string(data))
		if !json.Valid(data) || !strings.HasPrefix(trimmed, "{") {
			t.Fatalf("Decode accepted %q, which is not one JSON object", data)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var w body
		if err := json.Unmarshal(again, &w); err != nil || !reflect.DeepEqual(normal(v), normal(w)) {
			t.Fatalf("round trip of %q: %+v → %s → %+v (%v)", data, v, again, w, err)
		}
	})
}

// normal makes equal values compare equal: empty and nil collections,
// and times by their instant.
func normal(b body) body {
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	if len(b.Contact) == 0 {
		b.Contact = nil
	}
	if b.At != nil {
		at := b.At.UTC()
		b.At = &at
	}
	return b
}
