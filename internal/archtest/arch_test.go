package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/aspen-chain/aspen"

// pkg is one package of the tree with the imports of its non-test files.
type pkg struct {
	path    string // relative to the module root, e.g. "consensus/solo"
	imports map[string]bool
	hasDoc  bool
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
		p := pkg{path: filepath.ToSlash(rel), imports: map[string]bool{}}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		n := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			n++
			if filepath.Base(f) == "doc.go" {
				p.hasDoc = true
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range af.Imports {
				s, _ := strconv.Unquote(imp.Path.Value)
				p.imports[s] = true
			}
		}
		if n > 0 {
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

// aspenImports returns the package's imports inside the module, relative.
func (p pkg) aspenImports() []string {
	var out []string
	for imp := range p.imports {
		if strings.HasPrefix(imp, module+"/") {
			out = append(out, strings.TrimPrefix(imp, module+"/"))
		}
	}
	return out
}

func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

var gethStateMachine = []string{
	"github.com/ethereum/go-ethereum/core",
	"github.com/ethereum/go-ethereum/core/vm",
	"github.com/ethereum/go-ethereum/core/state",
	"github.com/ethereum/go-ethereum/core/tracing",
	"github.com/ethereum/go-ethereum/triedb",
	"github.com/ethereum/go-ethereum/eth/tracers/logger",
}

// rule is one dependency rule: it returns a violation message or "".
type rule struct {
	name  string
	check func(p pkg) string
}

var rules = []rule{
	{"engines import only consensus, types and crypto of Aspen, and neither geth's state machine nor libp2p", func(p pkg) string {
		if !under(p.path, "consensus/solo") && !under(p.path, "consensus/bft") && !under(p.path, "consensus/pow") {
			return ""
		}
		for _, imp := range p.aspenImports() {
			if imp != "consensus" && imp != "types" && imp != "crypto" {
				return "imports " + imp
			}
		}
		for imp := range p.imports {
			if strings.HasPrefix(imp, "github.com/libp2p/") || strings.HasPrefix(imp, "github.com/ethereum/go-ethereum/core") ||
				strings.HasPrefix(imp, "github.com/ethereum/go-ethereum/p2p") {
				return "imports " + imp
			}
		}
		return ""
	}},
	{"only execution/evm imports go-ethereum's EVM, state and trie database", func(p pkg) string {
		if under(p.path, "execution/evm") {
			return ""
		}
		for _, f := range gethStateMachine {
			if p.imports[f] {
				return "imports " + f
			}
		}
		return ""
	}},
	{"only p2p/libp2p imports go-libp2p", func(p pkg) string {
		if under(p.path, "p2p/libp2p") {
			return ""
		}
		for imp := range p.imports {
			if strings.HasPrefix(imp, "github.com/libp2p/") {
				return "imports " + imp
			}
		}
		return ""
	}},
	{"p2p never imports consensus", func(p pkg) string {
		if !under(p.path, "p2p") {
			return ""
		}
		for _, imp := range p.aspenImports() {
			if under(imp, "consensus") {
				return "imports " + imp
			}
		}
		return ""
	}},
	{"nothing but cmd imports node", func(p pkg) string {
		if under(p.path, "cmd") || under(p.path, "test") {
			return ""
		}
		for _, imp := range p.aspenImports() {
			if under(imp, "node") && p.path != "node" {
				return "imports " + imp
			}
		}
		return ""
	}},
	{"only tests import the simulator", func(p pkg) string {
		for _, imp := range p.aspenImports() {
			if under(imp, "sim") && !under(p.path, "sim") {
				return "imports " + imp
			}
		}
		return ""
	}},
	{"types and crypto are leaves", func(p pkg) string {
		if p.path != "types" && p.path != "crypto" {
			return ""
		}
		if imps := p.aspenImports(); len(imps) > 0 {
			return "imports " + strings.Join(imps, ", ")
		}
		return ""
	}},
	{"rpc sees the node only through types and the execution contract", func(p pkg) string {
		if !under(p.path, "rpc") {
			return ""
		}
		for _, imp := range p.aspenImports() {
			if imp != "types" && imp != "execution" && !under(imp, "rpc") {
				return "imports " + imp
			}
		}
		return ""
	}},
}

func TestDependencyRules(t *testing.T) {
	for _, p := range loadTree(t) {
		for _, r := range rules {
			if msg := r.check(p); msg != "" {
				t.Errorf("%s %s, but %s (ARCHITECTURE.md §3)", p.path, msg, r.name)
			}
		}
	}
}

// TestRulesCatchViolations proves each rule can fail, on made-up packages.
func TestRulesCatchViolations(t *testing.T) {
	bad := map[string]pkg{
		"engines import only consensus, types and crypto of Aspen, and neither geth's state machine nor libp2p": {path: "consensus/solo", imports: map[string]bool{module + "/store": true}},
		"only execution/evm imports go-ethereum's EVM, state and trie database":                                 {path: "mempool", imports: map[string]bool{"github.com/ethereum/go-ethereum/core/state": true}},
		"only p2p/libp2p imports go-libp2p":                                                                     {path: "consensus/driver", imports: map[string]bool{"github.com/libp2p/go-libp2p": true}},
		"p2p never imports consensus":                                                                           {path: "p2p", imports: map[string]bool{module + "/consensus": true}},
		"nothing but cmd imports node":                                                                          {path: "rpc", imports: map[string]bool{module + "/node": true}},
		"types and crypto are leaves":                                                                           {path: "types", imports: map[string]bool{module + "/config": true}},
		"only tests import the simulator":                                                                       {path: "node", imports: map[string]bool{module + "/sim": true}},
		"rpc sees the node only through types and the execution contract":                                       {path: "rpc", imports: map[string]bool{module + "/mempool": true}},
	}
	for _, r := range rules {
		p, ok := bad[r.name]
		if !ok {
			t.Errorf("rule %q has no violation case", r.name)
			continue
		}
		if r.check(p) == "" {
			t.Errorf("rule %q missed %s importing %v", r.name, p.path, p.imports)
		}
	}
}

func TestEveryPackageHasDoc(t *testing.T) {
	for _, p := range loadTree(t) {
		if !p.hasDoc && !under(p.path, "cmd") {
			t.Errorf("%s has no doc.go saying what its one job is (STYLE rule 4)", p.path)
		}
	}
}
