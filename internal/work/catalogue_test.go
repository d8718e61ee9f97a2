package work_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// TestEventCatalogue holds the code to the catalogue of event kinds
// (parley/eventkinds.go), reading Parley's own source:
//
//   - every event kind constant is declared there (elsewhere only as an
//     alias of one, such as inbox.EventNotificationEmail);
//   - every parley.Event the code builds gets its Type from a catalogue
//     constant: a string literal there fails, and so does one passed to a
//     helper that puts its parameter into Type (slaEvent(tx, c, "x", …));
//   - every kind in the catalogue is appended somewhere (no dead kinds).
//
// TestTwoNodesWork also checks the kinds a running Parley wrote.
func TestEventCatalogue(t *testing.T) {
	root := ".." // internal/
	fset := token.NewFileSet()
	type file struct {
		path string
		f    *ast.File
	}
	var files []file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Provider packages name their webhooks' events (Zalo's
		// "user_send_text"): wire formats, not Parley's log.
		if d.IsDir() && filepath.Base(path) == "channel" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, file{path, f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("read %d files under %s: not Parley's source?", len(files), root)
	}
	catalogue := map[string]string{} // constant name → kind
	for _, fl := range files {
		if fl.f.Name.Name != "parley" {
			continue
		}
		for name, v := range stringConsts(fl.f) {
			if !strings.HasPrefix(name, "Event") {
				continue
			}
			if filepath.Base(fl.path) != "eventkinds.go" {
				t.Errorf("%s: event kind %s declared outside the catalogue (parley/eventkinds.go)", fl.path, name)
			}
			if !parley.KnownEvent(v) {
				t.Errorf("%s: %s = %q is not listed in EventKinds", fl.path, name, v)
			}
			catalogue[name] = v
		}
	}
	if len(catalogue) != len(parley.EventKinds()) {
		t.Errorf("%d event constants, %d kinds in EventKinds", len(catalogue), len(parley.EventKinds()))
	}
	// kindOf says whether e names a catalogue kind: a parley.EventX
	// selector (or EventX inside package parley), or an alias constant.
	aliases := map[string]bool{}
	used := map[string]bool{}
	kindOf := func(pkg string, e ast.Expr) (known, constant bool) {
		switch x := e.(type) {
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "parley" && catalogue[x.Sel.Name] != "" {
				used[catalogue[x.Sel.Name]] = true
				return true, true
			}
		case *ast.Ident:
			if (pkg == "parley" && catalogue[x.Name] != "") || aliases[pkg+"."+x.Name] {
				return true, true
			}
			return false, false // a variable: checked where it is filled
		case *ast.BasicLit:
			v, _ := strconv.Unquote(x.Value)
			used[v] = true
			return parley.KnownEvent(v), true
		}
		return false, true
	}
	for _, fl := range files {
		if fl.f.Name.Name == "parley" {
			continue
		}
		for _, d := range fl.f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Event") || i >= len(vs.Values) || !stringish(vs.Values[i]) {
						continue // not a kind (store.EventClockSkew is a duration)
					}
					if known, _ := kindOf(fl.f.Name.Name, vs.Values[i]); !known {
						t.Errorf("%s: event kind %s declared outside the catalogue (parley/eventkinds.go); alias a catalogue constant instead", fl.path, n.Name)
						continue
					}
					aliases[fl.f.Name.Name+"."+n.Name] = true
				}
			}
		}
	}
	// Event literals, and the helpers whose parameter becomes their Type.
	type helper struct {
		pkg, name string
		arg       int
	}
	helpers := map[helper]bool{}
	for _, fl := range files {
		pkg := fl.f.Name.Name
		ast.Inspect(fl.f, func(n ast.Node) bool {
			var params *ast.FieldList
			var name string
			var body *ast.BlockStmt
			switch fn := n.(type) {
			case *ast.FuncDecl:
				params, name, body = fn.Type.Params, fn.Name.Name, fn.Body
			case *ast.AssignStmt: // ev := func(typ string, …) {…}
				if lit, ok := fn.Rhs[0].(*ast.FuncLit); ok && len(fn.Lhs) == 1 {
					if id, ok := fn.Lhs[0].(*ast.Ident); ok {
						params, name, body = lit.Type.Params, id.Name, lit.Body
					}
				}
			}
			if body == nil {
				return true
			}
			ast.Inspect(body, func(n ast.Node) bool {
				cl, ok := n.(*ast.CompositeLit)
				if !ok || !isEventType(cl.Type) {
					return true
				}
				for _, el := range cl.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok || kv.Key.(*ast.Ident).Name != "Type" {
						continue
					}
					known, constant := kindOf(pkg, kv.Value)
					if constant && !known {
						t.Errorf("%s: an event of a kind not in the catalogue: %s", fset.Position(kv.Pos()), render(kv.Value))
					}
					if id, ok := kv.Value.(*ast.Ident); ok && !constant {
						if i := paramIndex(params, id.Name); i >= 0 {
							helpers[helper{pkg, name, i}] = true
						}
					}
				}
				return true
			})
			return true
		})
	}
	if len(helpers) == 0 {
		t.Fatal("found no helper that takes an event's kind: the test no longer reads the code it should")
	}
	for _, fl := range files {
		pkg := fl.f.Name.Name
		ast.Inspect(fl.f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			for h := range helpers {
				if h.pkg != pkg || h.name != name || h.arg >= len(call.Args) {
					continue
				}
				if known, constant := kindOf(pkg, call.Args[h.arg]); constant && !known {
					t.Errorf("%s: %s called with a kind not in the catalogue: %s", fset.Position(call.Pos()), name, render(call.Args[h.arg]))
				}
			}
			return true
		})
		// Kinds chosen from a table (approvals: a map of states to kinds)
		// count as used where the table names them.
		ast.Inspect(fl.f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				kindOf(pkg, sel)
			}
			return true
		})
	}
	for _, k := range parley.EventKinds() {
		if !used[k] {
			t.Errorf("event kind %q is in the catalogue but no code names it", k)
		}
	}
}

func isEventType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "parley" && x.Sel.Name == "Event"
	case *ast.Ident:
		return x.Name == "Event"
	}
	return false
}

// stringish: a string literal, or a name that may alias one.
func stringish(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return x.Kind == token.STRING
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "parley"
	case *ast.Ident:
		return true
	}
	return false
}

func paramIndex(params *ast.FieldList, name string) int {
	if params == nil {
		return -1
	}
	i := 0
	for _, f := range params.List {
		if len(f.Names) == 0 {
			i++
		}
		for _, n := range f.Names {
			if n.Name == name {
				return i
			}
			i++
		}
	}
	return -1
}

func stringConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[n.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	return out
}

func render(e ast.Expr) string {
	if lit, ok := e.(*ast.BasicLit); ok {
		return lit.Value
	}
	return "an expression"
}
