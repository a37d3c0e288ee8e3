package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/aspen-chain/aspen"

// pkg is one package of the tree with the imports of its files, the non-test
// files and the _test.go files apart.
type pkg struct {
	path        string // relative to the module root, e.g. "consensus/solo"
	imports     map[string]bool
	testImports map[string]bool
	hasDoc      bool
	code        int // non-test files
}

func loadTree(t *testing.T) []pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []pkg
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		p := pkg{path: filepath.ToSlash(rel), imports: map[string]bool{}, testImports: map[string]bool{}}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, f := range files {
			into := p.imports
			if strings.HasSuffix(f, "_test.go") {
				into = p.testImports
			} else {
				p.code++
				p.hasDoc = p.hasDoc || filepath.Base(f) == "doc.go"
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range af.Imports {
				s, _ := strconv.Unquote(imp.Path.Value)
				into[s] = true
			}
		}
		if len(files) > 0 {
			pkgs = append(pkgs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages: is the walk rooted at the module?", len(pkgs))
	}
	return pkgs
}

// moduleImports returns the module packages among imports, relative to the root.
func moduleImports(imports map[string]bool) []string {
	var out []string
	for imp := range imports {
		if strings.HasPrefix(imp, module+"/") {
			out = append(out, strings.TrimPrefix(imp, module+"/"))
		}
	}
	slices.Sort(out)
	return out
}

func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// layerOf returns the layer of a package in the table, or -1.
func layerOf(layers [][]string, path string) int {
	for i, l := range layers {
		if slices.Contains(l, path) {
			return i
		}
	}
	return -1
}

// checkTable reports what is wrong with a layer table and its allowed
// imports: a package in two layers, a package without allowed imports, and an
// allowed import that does not run strictly down the layers.
func checkTable(layers [][]string, allowed map[string][]string) []string {
	var errs []string
	seen := map[string]bool{}
	for _, l := range layers {
		for _, p := range l {
			if seen[p] {
				errs = append(errs, p+" is in two layers")
			}
			seen[p] = true
			if _, ok := allowed[p]; !ok {
				errs = append(errs, p+" has a layer but no entry in allowed")
			}
		}
	}
	for p, imps := range allowed {
		lp := layerOf(layers, p)
		if lp < 0 {
			errs = append(errs, p+" is allowed imports but has no layer")
			continue
		}
		for _, imp := range imps {
			if li := layerOf(layers, imp); li < 0 || li >= lp {
				errs = append(errs, fmt.Sprintf("%s (layer %d) may import %s (layer %d): imports must run down", p, lp, imp, li))
			}
		}
	}
	slices.Sort(errs)
	return errs
}

// checkImports reports the module imports of p that the table does not allow.
func checkImports(p pkg, allowed, testAllowed map[string][]string) []string {
	ok, known := allowed[p.path]
	if !known {
		return []string{p.path + " is not in the layer table (internal/archtest/table_test.go): decide where it belongs"}
	}
	var errs []string
	for _, imp := range moduleImports(p.imports) {
		if !slices.Contains(ok, imp) {
			errs = append(errs, fmt.Sprintf("%s imports %s, which its layer entry does not allow", p.path, imp))
		}
	}
	for _, imp := range moduleImports(p.testImports) {
		if imp != p.path && !slices.Contains(ok, imp) && !slices.Contains(testAllowed[p.path], imp) {
			errs = append(errs, fmt.Sprintf("%s's tests import %s, which neither its entry nor its test entry allows", p.path, imp))
		}
	}
	return errs
}

var gethStateMachine = []string{
	"github.com/ethereum/go-ethereum/core",
	"github.com/ethereum/go-ethereum/core/vm",
	"github.com/ethereum/go-ethereum/core/state",
	"github.com/ethereum/go-ethereum/core/tracing",
	"github.com/ethereum/go-ethereum/triedb",
	"github.com/ethereum/go-ethereum/eth/tracers/logger",
}

// libraryRule is a rule about outside libraries, checked on test files too.
type libraryRule struct {
	name  string
	check func(path string, imports map[string]bool, test bool) string
}

var libraryRules = []libraryRule{
	// An engine's tests may build Ethereum transactions (core/types) to fill
	// blocks; its code works on Aspen's types only.
	{"engines use neither geth's core and p2p nor libp2p", func(path string, imports map[string]bool, test bool) string {
		if !under(path, "consensus/solo") && !under(path, "consensus/bft") && !under(path, "consensus/pow") {
			return ""
		}
		for imp := range imports {
			if test && imp == "github.com/ethereum/go-ethereum/core/types" {
				continue
			}
			if strings.HasPrefix(imp, "github.com/libp2p/") || strings.HasPrefix(imp, "github.com/ethereum/go-ethereum/core") ||
				strings.HasPrefix(imp, "github.com/ethereum/go-ethereum/p2p") {
				return "imports " + imp
			}
		}
		return ""
	}},
	{"only execution/evm imports go-ethereum's EVM, state and trie database", func(path string, imports map[string]bool, _ bool) string {
		if under(path, "execution/evm") || path == "internal/archtest" {
			return ""
		}
		for _, f := range gethStateMachine {
			if imports[f] {
				return "imports " + f
			}
		}
		return ""
	}},
	// Private subnets' cryptography stays auditable: Go's own crypto plus
	// go-ethereum's hashing, secp256k1 and RLP, nothing else from outside.
	// private/registry is a system contract (ABI codec, gas table) whose
	// cryptography is package private's: it is held to the table only.
	{"private imports only the standard library and go-ethereum's common, crypto and rlp", func(path string, imports map[string]bool, _ bool) string {
		if !under(path, "private") || path == "private/registry" {
			return ""
		}
		for imp := range imports {
			first, _, _ := strings.Cut(imp, "/")
			if !strings.Contains(first, ".") || strings.HasPrefix(imp, module+"/") {
				continue // the standard library; module imports follow the table
			}
			switch imp {
			case "github.com/ethereum/go-ethereum/common", "github.com/ethereum/go-ethereum/crypto", "github.com/ethereum/go-ethereum/rlp":
				continue
			}
			return "imports " + imp
		}
		return ""
	}},
	{"only p2p/libp2p imports go-libp2p", func(path string, imports map[string]bool, _ bool) string {
		if under(path, "p2p/libp2p") {
			return ""
		}
		for imp := range imports {
			if strings.HasPrefix(imp, "github.com/libp2p/") {
				return "imports " + imp
			}
		}
		return ""
	}},
}

func TestLayerTable(t *testing.T) {
	for _, e := range checkTable(layers, allowed) {
		t.Error(e)
	}
	for p, extra := range testAllowed {
		if _, ok := allowed[p]; !ok {
			t.Errorf("testAllowed names %s, which has no layer", p)
		}
		for _, imp := range extra {
			if _, ok := allowed[imp]; !ok {
				t.Errorf("%s's tests may import %s, which has no layer", p, imp)
			}
		}
	}
}

// TestLayers prints the import graph's layers as the code has them: each
// package with its layer and the module packages it imports, all lower.
func TestLayers(t *testing.T) {
	byPath := map[string]pkg{}
	for _, p := range loadTree(t) {
		byPath[p.path] = p
	}
	for i, l := range layers {
		for _, path := range l {
			p, ok := byPath[path]
			if !ok {
				t.Logf("layer %d  %-24s (not in the tree yet)", i, path)
				continue
			}
			t.Logf("layer %d  %-24s -> %s", i, path, strings.Join(moduleImports(p.imports), " "))
		}
	}
}

func TestDependencyRules(t *testing.T) {
	for _, p := range loadTree(t) {
		for _, e := range checkImports(p, allowed, testAllowed) {
			t.Errorf("%s (ARCHITECTURE.md §3)", e)
		}
		for _, r := range libraryRules {
			for i, imps := range []map[string]bool{p.imports, p.testImports} {
				if msg := r.check(p.path, imps, i == 1); msg != "" {
					t.Errorf("%s %s, but %s (ARCHITECTURE.md §3)", p.path, msg, r.name)
				}
			}
		}
	}
}

// TestRulesCatchViolations proves every rule can fail: each package of the
// table importing something its entry does not allow, each test file reaching
// further than its test entry, a table with an import running up, and each
// library rule, on made-up packages.
func TestRulesCatchViolations(t *testing.T) {
	for path := range allowed {
		// Pick a module package this one may not import: the first not allowed.
		var forbidden string
		for other := range allowed {
			if other != path && !slices.Contains(allowed[path], other) && !slices.Contains(testAllowed[path], other) {
				forbidden = other
				break
			}
		}
		if forbidden == "" {
			t.Fatalf("%s may import every package: the table is no rule", path)
		}
		bad := pkg{path: path, imports: map[string]bool{module + "/" + forbidden: true}}
		if len(checkImports(bad, allowed, testAllowed)) == 0 {
			t.Errorf("%s importing %s passed", path, forbidden)
		}
		badTest := pkg{path: path, imports: map[string]bool{}, testImports: map[string]bool{module + "/" + forbidden: true}}
		if len(checkImports(badTest, allowed, testAllowed)) == 0 {
			t.Errorf("%s's tests importing %s passed", path, forbidden)
		}
	}
	if len(checkImports(pkg{path: "newpkg"}, allowed, testAllowed)) == 0 {
		t.Error("a package outside the table passed")
	}
	up := map[string][]string{"types": {"node"}, "node": {}}
	if len(checkTable([][]string{{"types"}, {"node"}}, up)) == 0 {
		t.Error("a table where types may import node passed")
	}
	if len(checkTable([][]string{{"types", "node"}}, map[string][]string{"types": {}, "node": {"types"}})) == 0 {
		t.Error("a table with an import inside one layer passed")
	}
	libBad := map[string]pkg{
		"engines use neither geth's core and p2p nor libp2p":                                 {path: "consensus/bft", imports: map[string]bool{"github.com/ethereum/go-ethereum/core/types": true}},
		"only execution/evm imports go-ethereum's EVM, state and trie database":              {path: "mempool", imports: map[string]bool{"github.com/ethereum/go-ethereum/core/state": true}},
		"private imports only the standard library and go-ethereum's common, crypto and rlp": {path: "private", imports: map[string]bool{"github.com/ethereum/go-ethereum/core/types": true}},
		"only p2p/libp2p imports go-libp2p":                                                  {path: "consensus/driver", imports: map[string]bool{"github.com/libp2p/go-libp2p": true}},
	}
	for _, r := range libraryRules {
		p, ok := libBad[r.name]
		if !ok {
			t.Errorf("rule %q has no violation case", r.name)
			continue
		}
		if r.check(p.path, p.imports, false) == "" {
			t.Errorf("rule %q missed %s importing %v", r.name, p.path, p.imports)
		}
	}
}

func TestEveryPackageHasDoc(t *testing.T) {
	for _, p := range loadTree(t) {
		if !p.hasDoc && !under(p.path, "cmd") && p.code > 0 {
			t.Errorf("%s has no doc.go saying what its one job is (STYLE rule 4)", p.path)
		}
	}
}
