package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// floors are the packages of the house, by floor (paths relative to the
// module; "." is main.go, the process that runs internal/cli). A package's
// non-test files import only packages on lower floors: the leaves know
// nothing of the project, the clients know the planner's types, the reads
// and the webhook use the clients, and only the program (and the
// measurement tools) put it all together. The README's layout table says
// the same.
var floors = map[string]int{
	// 0: leaves, importing no package of this project.
	"config": 0, "sync": 0, "onboard": 0, "progress": 0, "internal/clock": 0, "internal/redact": 0,
	"internal/retryafter": 0, "internal/httpretry": 0, "internal/dirowner": 0,
	// 1: clients of the outside world, renderers over sync's types, the saved plan's file;
	// the fakes, which must answer like the real servers and so know none
	// of the clients.
	"entra": 1, "mattermost": 1, "ghoidc": 1, "report": 1, "planfile": 1,
	"internal/fake/graph": 1, "internal/fake/mattermost": 1,
	// 2: what reads through the clients (snapshot) or sends a report.
	"snapshot": 2, "webhook": 2,
	// 3: the program (internal/cli: Run, its glue), and the scale
	// environment the benchmarks share.
	"internal/cli": 3, "tools/scale": 3,
	// 4: the process (main.go), the scale measurement command, and the
	// end-to-end harness, which runs the program against the fakes.
	".": 4, "cmd/scale": 4, "e2e/world": 4,
	// 5: the end-to-end tests, one package per area so that go test runs
	// them side by side; their non-test files are only package docs.
	"e2e/run": 5, "e2e/faults": 5, "e2e/accounts": 5, "e2e/rooms": 5,
}

// fakeImporters are the only packages whose non-test files may import the
// fakes: the demo (internal/cli's demo.go, so the shipped binary links the
// fakes for `entra-mattermost-sync demo` only), the scale tools and the
// end-to-end harness.
var fakeImporters = []string{"internal/cli", "tools/scale", "cmd/scale", "e2e/world"}

func TestFloorsOnlyGoDown(t *testing.T) {
	const module = "github.com/entra-mattermost-sync/entra-mattermost-sync"
	imports := map[string]map[string][]string{} // package dir → imported package → files
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "examples") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if imports[dir] == nil {
			imports[dir] = map[string][]string{}
		}
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			if p == module {
				p = "."
			} else if rest, ok := strings.CutPrefix(p, module+"/"); ok {
				p = rest
			} else {
				continue
			}
			imports[dir][p] = append(imports[dir][p], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, imps := range imports {
		floor, ok := floors[dir]
		if !ok {
			t.Errorf("package %s has no floor: add it to floors (layers_test.go) and to the README's layout table", dir)
			continue
		}
		for imp, files := range imps {
			if f, ok := floors[imp]; !ok || f >= floor {
				t.Errorf("%s (floor %d) imports %s (floor %d, %v): a package imports only lower floors", dir, floor, imp, f, files)
			}
			if strings.HasPrefix(imp, "internal/fake/") && !slices.Contains(fakeImporters, dir) {
				t.Errorf("%s imports the fake %s in %v: fakes are for tests, the demo and the scale tools", dir, imp, files)
			}
		}
	}
	for dir := range floors {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("floors names %s, which is not in the tree: %v", dir, err)
		}
	}
}

// No package exports a variable that another could change: a table, a
// default or a list is a function, a constant or unexported. Error
// sentinels (Err…) are the exception, as in the standard library.
func TestNoExportedMutableVariables(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if name.IsExported() && !strings.HasPrefix(name.Name, "Err") {
						t.Errorf("%s: exported package variable %s: make it a function, a constant or unexported", path, name.Name)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The shipped binary links no test code: neither package testing nor the
// end-to-end harness, which lives above the program for that reason.
func TestShippedBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "testing" || strings.Contains(p, "/entra-mattermost-sync/e2e/") {
			t.Errorf("the binary links %s", p)
		}
	}
}
