package api

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file keep openapi.json in step with routes(): every
// route documented, every documented operation served, every operation
// complete, every $ref and path parameter resolvable.

// oaMethods are the operation keys of an OpenAPI path item.
var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaDoc parses the embedded document, failing the test if it cannot.
func oaDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// oaOp is one operation in the document.
type oaOp struct {
	key  string // "GET /path" or "webhook NAME POST"
	path string // the path template; empty for webhooks
	item map[string]any
	op   map[string]any
}

// oaOps returns every operation under paths (and, with webhooks, under
// webhooks), sorted by key.
func oaOps(t *testing.T, doc map[string]any, withWebhooks bool) []oaOp {
	t.Helper()
	var ops []oaOp
	collect := func(section string, webhook bool) {
		m, _ := doc[section].(map[string]any)
		for name, v := range m {
			item, ok := v.(map[string]any)
			if !ok {
				t.Errorf("%s[%q] is not an object", section, name)
				continue
			}
			for _, method := range oaMethods {
				raw, present := item[method]
				if !present {
					continue
				}
				op, ok := raw.(map[string]any)
				if !ok {
					t.Errorf("%s[%q].%s is not an object", section, name, method)
					continue
				}
				o := oaOp{item: item, op: op}
				if webhook {
					o.key = "webhook " + name + " " + strings.ToUpper(method)
				} else {
					o.key, o.path = strings.ToUpper(method)+" "+name, name
				}
				ops = append(ops, o)
			}
		}
	}
	collect("paths", false)
	if withWebhooks {
		collect("webhooks", true)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].key < ops[j].key })
	return ops
}

func TestOpenAPIDocument(t *testing.T) {
	doc := oaDoc(t)
	v, _ := doc["openapi"].(string)
	if !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info == nil || info["title"] == nil || info["version"] == nil {
		t.Errorf("info needs a title and a version: %v", info)
	}
	if _, ok := doc["paths"].(map[string]any); !ok {
		t.Fatalf("paths is missing or not an object")
	}
}

// TestOpenAPIRoutes checks that the document and routes() describe the
// same set of method+path pairs, and that public routes need no token.
func TestOpenAPIRoutes(t *testing.T) {
	doc := oaDoc(t)
	documented := map[string]oaOp{}
	for _, o := range oaOps(t, doc, false) {
		documented[o.key] = o
	}
	served := map[string]route{}
	for _, rt := range (&Server{}).routes() {
		key := rt.method + " " + rt.path
		if _, dup := served[key]; dup {
			t.Errorf("routes() lists %s twice", key)
		}
		served[key] = rt
	}

	var missing, extra []string
	for key := range served {
		if _, ok := documented[key]; !ok {
			missing = append(missing, key)
		}
	}
	for key := range documented {
		if _, ok := served[key]; !ok {
			extra = append(extra, key)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, key := range missing {
		t.Errorf("route %s is served but not documented in openapi.json", key)
	}
	for _, key := range extra {
		t.Errorf("openapi.json documents %s, which routes() does not serve", key)
	}

	// A public route must say it needs no token; a private one must not.
	for key, rt := range served {
		o, ok := documented[key]
		if !ok {
			continue
		}
		sec, has := o.op["security"].([]any)
		open := has && len(sec) == 0
		if rt.public && !open {
			t.Errorf("%s is public but its operation does not set security: []", key)
		}
		if !rt.public && open {
			t.Errorf("%s needs a token but its operation sets security: []", key)
		}
	}
}

// TestOpenAPIOperations checks that every operation has a unique
// operationId, a summary and at least one 2xx response.
func TestOpenAPIOperations(t *testing.T) {
	doc := oaDoc(t)
	seen := map[string]string{}
	for _, o := range oaOps(t, doc, true) {
		id, _ := o.op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s has no operationId", o.key)
		case seen[id] != "":
			t.Errorf("%s and %s share operationId %q", seen[id], o.key, id)
		default:
			seen[id] = o.key
		}
		if s, _ := o.op["summary"].(string); strings.TrimSpace(s) == "" {
			t.Errorf("%s has no summary", o.key)
		}
		responses, _ := o.op["responses"].(map[string]any)
		ok2xx := false
		for code := range responses {
			if strings.HasPrefix(code, "2") {
				ok2xx = true
			}
		}
		if !ok2xx {
			t.Errorf("%s has no 2xx response", o.key)
		}
	}
}

// TestOpenAPIRefs checks that every $ref points at an existing entry
// under components.
func TestOpenAPIRefs(t *testing.T) {
	doc := oaDoc(t)
	components, _ := doc["components"].(map[string]any)
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k != "$ref" {
					walk(where+"/"+k, child)
					continue
				}
				ref, _ := child.(string)
				name, ok := strings.CutPrefix(ref, "#/components/")
				section, entry, ok2 := strings.Cut(name, "/")
				if !ok || !ok2 || strings.Contains(entry, "/") {
					t.Errorf("%s: $ref %q does not name an entry under #/components/", where, ref)
					continue
				}
				sec, _ := components[section].(map[string]any)
				if _, found := sec[entry]; !found {
					t.Errorf("%s: $ref %q does not resolve", where, ref)
				}
			}
		case []any:
			for i, child := range v {
				walk(where+"/"+strconv.Itoa(i), child)
			}
		}
	}
	walk("#", doc)
}

var oaTemplateParam = regexp.MustCompile(`\{([^{}]+)\}`)

// TestOpenAPIPathParams checks that every {name} in a path template is
// declared as a path parameter on the operation or its path item, and
// that no path parameter is declared that the template lacks.
func TestOpenAPIPathParams(t *testing.T) {
	doc := oaDoc(t)
	components, _ := doc["components"].(map[string]any)
	params, _ := components["parameters"].(map[string]any)
	// resolve follows a parameter $ref into components/parameters.
	resolve := func(p any) map[string]any {
		m, _ := p.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m, _ = params[strings.TrimPrefix(ref, "#/components/parameters/")].(map[string]any)
		}
		return m
	}
	for _, o := range oaOps(t, doc, false) {
		declared := map[string]bool{}
		for _, list := range []any{o.item["parameters"], o.op["parameters"]} {
			ps, _ := list.([]any)
			for _, p := range ps {
				m := resolve(p)
				if m == nil || m["in"] != "path" {
					continue
				}
				name, _ := m["name"].(string)
				if m["required"] != true {
					t.Errorf("%s: path parameter %q is not required", o.key, name)
				}
				declared[name] = true
			}
		}
		inTemplate := map[string]bool{}
		for _, m := range oaTemplateParam.FindAllStringSubmatch(o.path, -1) {
			inTemplate[m[1]] = true
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", o.key, m[1])
			}
		}
		for name := range declared {
			if !inTemplate[name] {
				t.Errorf("%s: declares path parameter %q that the path does not have", o.key, name)
			}
		}
	}
}
