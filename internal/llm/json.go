package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// JSON asks for an answer that is a JSON document matching schema (a
// JSON Schema object), with response_format json_schema in strict mode,
// then checks it here rather than trusting the server to have enforced
// it: not every OpenAI-compatible server does. A valid answer is decoded
// into out. An empty, cut-off, non-JSON or non-matching answer is
// ErrMalformed (a *MalformedError saying which), and out is left as it
// was.
//
// Strict mode, as OpenAI defines it, needs every object in the schema to
// list all its properties as required and to set additionalProperties to
// false; optional values are written as a type that allows null. Parley's
// schemas follow that so one schema serves every provider.
//
// A schema that does not compile is a programming error: it is returned
// as is, not typed, and nothing is sent.
func (c *Client) JSON(ctx context.Context, req Request, schema json.RawMessage, out any) (Response, error) {
	sch, err := c.compile(schema)
	if err != nil {
		return Response{}, err
	}
	w := c.toWire(req)
	w.ResponseFormat = &wireRespFormat{Type: "json_schema", JSONSchema: &wireJSONSchema{Name: schemaName(req.Feature), Schema: schema, Strict: true}}
	var doc []byte
	resp, err := c.call(ctx, req, w, nil, func(r Response) error {
		if r.FinishReason == "length" {
			return &MalformedError{Reason: "the answer was cut off at the token limit", Content: r.Content}
		}
		text := unfence(r.Content)
		if text == "" {
			return &MalformedError{Reason: "the answer is empty", Content: r.Content}
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			return &MalformedError{Reason: "the answer is not JSON", Content: r.Content}
		}
		if err := sch.Validate(v); err != nil {
			return &MalformedError{Reason: "the answer does not match the schema: " + firstLines(err.Error(), 300), Content: r.Content}
		}
		doc = []byte(text)
		return nil
	})
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(doc, out); err != nil {
		// The schema and out's Go type disagree: the caller's bug, but
		// the answer is still unusable.
		return resp, &MalformedError{Reason: "the answer does not fit the expected type: " + err.Error(), Content: resp.Content}
	}
	return resp, nil
}

// compiledSchema is a compiled schema, or why it does not compile.
type compiledSchema struct {
	sch *jsonschema.Schema
	err error
}

// compile compiles a schema once per client. References to other
// documents are refused: a schema is one self-contained document, and
// the compiler must never read files or URLs.
func (c *Client) compile(schema json.RawMessage) (*jsonschema.Schema, error) {
	key := string(schema)
	if v, ok := c.schemas.Load(key); ok {
		cs := v.(*compiledSchema)
		return cs.sch, cs.err
	}
	sch, err := CompileSchema(schema)
	c.schemas.Store(key, &compiledSchema{sch: sch, err: err})
	return sch, err
}

// CompileSchema compiles one self-contained JSON Schema document (draft
// 2020-12 unless it says otherwise). It is what llmtest checks requests'
// schemas with, too.
func CompileSchema(schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("llm: the schema is not JSON: %w", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, errors.New("llm: the schema is not a JSON object")
	}
	comp := jsonschema.NewCompiler()
	comp.UseLoader(noLoader{})
	const loc = "mem://parley/schema.json"
	if err := comp.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("llm: the schema: %w", err)
	}
	sch, err := comp.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("llm: the schema does not compile: %w", err)
	}
	return sch, nil
}

// noLoader refuses every reference to another document.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schemas may not refer to other documents (%s)", url)
}

// unfence takes off a Markdown code fence that some models put around
// JSON despite being asked for JSON only ("```json ... ```").
func unfence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") || !strings.HasSuffix(s, "```") || len(s) < 6 {
		return s
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "```"), "```")
	if nl := strings.IndexByte(s, '\n'); nl >= 0 && !strings.ContainsAny(s[:nl], "{[") {
		s = s[nl+1:] // the fence's language tag
	}
	return strings.TrimSpace(s)
}

// firstLines shortens a validator's message for an error.
func firstLines(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
