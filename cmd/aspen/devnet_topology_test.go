package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aspen-chain/aspen/types"
)

// TestTopologyFileDisjoint: the documented example file is the tree of
// --subnets disjoint, and reads the same in JSON.
func TestTopologyFileDisjoint(t *testing.T) {
	got, err := readTopology("testdata/disjoint.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := trees[profileDisjoint]
	if !reflect.DeepEqual(got.file(), want.file()) {
		t.Fatalf("testdata/disjoint.toml reads as %+v, want the disjoint profile %+v", got.file(), want.file())
	}
	dir := t.TempDir()
	if err := saveTopology(dir, got); err != nil {
		t.Fatal(err)
	}
	again, err := savedTopology(dir)
	if err != nil || again == nil {
		t.Fatalf("saved topology: %v %v", again, err)
	}
	if !reflect.DeepEqual(again, got) {
		t.Fatalf("saved and read back %+v, want %+v", again, got)
	}
	if none, err := savedTopology(t.TempDir()); none != nil || err != nil {
		t.Fatalf("an empty home has topology %v, %v", none, err)
	}
}

// TestTopologyRoles: each node of the disjoint tree validates its seats and
// follows exactly the parents it needs, and the root when it has no seat
// there; nothing else.
func TestTopologyRoles(t *testing.T) {
	tp := trees[profileDisjoint]
	const root = types.SubnetID("/devnet")
	cases := []struct {
		node               int
		validates, follows []string
	}{
		{0, []string{"/devnet", "/devnet/beta"}, []string{}},
		{3, []string{"/devnet", "/devnet/beta"}, []string{}},
		{4, []string{"/devnet/alpha", "/devnet/alpha/one"}, []string{"/devnet"}},
		{6, []string{"/devnet/alpha", "/devnet/alpha/one"}, []string{"/devnet"}},
		{7, []string{"/devnet/alpha"}, []string{"/devnet"}},
		{8, []string{}, []string{"/devnet"}}, // beyond the tree: follows the root
	}
	for _, c := range cases {
		v, f := tp.roles(root, c.node)
		if !reflect.DeepEqual(v, c.validates) || !reflect.DeepEqual(f, c.follows) {
			t.Errorf("node%d validates %v follows %v, want %v and %v", c.node, v, f, c.validates, c.follows)
		}
	}
	// A node seated only deep down follows every ancestor in between.
	deep := &topology{nodes: 2, subnets: []treeSubnet{{name: "a", members: []int{0, 1}}, {name: "a/b", members: []int{0, 1}}, {name: "a/b/c", members: []int{1}}}}
	deep.subnets[1].members = []int{1}
	if v, f := deep.roles(root, 1); !reflect.DeepEqual(v, []string{"/devnet", "/devnet/a", "/devnet/a/b", "/devnet/a/b/c"}) || len(f) != 0 {
		t.Errorf("deep node1 validates %v follows %v", v, f)
	}
	if v, f := deep.roles(root, 0); !reflect.DeepEqual(v, []string{"/devnet", "/devnet/a"}) || len(f) != 0 {
		t.Errorf("deep node0 validates %v follows %v", v, f)
	}
}

// TestTopologyFileErrors: a file that cannot describe a devnet is refused
// with an error saying what is wrong.
func TestTopologyFileErrors(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"a.json", `{"nodes": 0, "subnets": []}`, "nodes = 0"},
		{"a.json", `{"nodes": 4, "root": [0, 4], "subnets": []}`, "names node 4; nodes are 0 to 3"},
		{"a.json", `{"nodes": 4, "root": [], "subnets": []}`, "the root has no validators"},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "a", "validators": [1, 1]}]}`, "names node 1 twice"},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "a/b", "validators": [1]}]}`, "comes before its parent a"},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "a", "validators": [0, 1]}, {"name": "a/b", "validators": [1, 2]}]}`, "node 2 validates a/b but not its parent a"},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "a", "validators": [0]}, {"name": "a", "validators": [1]}]}`, "listed twice"},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "Bad", "validators": [0]}]}`, `subnet "Bad"`},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "a", "validators": [0], "engine": "raft"}]}`, `engine "raft"`},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "a", "validators": [0, 1], "engine": "solo"}]}`, "exactly one validator, not 2"},
		{"a.json", `{"nodes": 4, "subnets": [{"name": "a", "validators": [0], "blockTime": "1"}]}`, `block time "1"`},
		{"a.json", `{"nodes": 4, "subnet": []}`, `unknown field "subnet"`},
		{"a.toml", "nodes = 4\nroots = [1]\n", "unknown key roots"},
		{"a.toml", "nodes = [", "a.toml"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), c.name)
		if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readTopology(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.body, err, c.want)
		}
	}
	ok := filepath.Join(t.TempDir(), "ok.json")
	os.WriteFile(ok, []byte(`{"nodes": 3, "subnets": [{"name": "a", "validators": [2, 0], "engine": "pow", "blockTime": "2s"}]}`), 0o644)
	tp, err := readTopology(ok)
	if err != nil {
		t.Fatal(err)
	}
	if tp.nodes != 3 || tp.root != nil || len(tp.subnets) != 1 || tp.subnets[0].block != 2*time.Second || !tp.mines() || !tp.validatesRoot(1) {
		t.Fatalf("read %+v", tp)
	}
	if _, err := readTopology(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing file: %v", err)
	}
}

// TestResolveTree: --subnets disjoint and --topology pick their trees;
// --topology does not mix with --profile or --subnets.
func TestResolveTree(t *testing.T) {
	o := devnetOptions{Subnets: "disjoint", Profile: profileDefault}
	if err := o.resolveTree(false); err != nil || o.Profile != profileDisjoint || o.Subnets != "default" || o.tree != trees[profileDisjoint] {
		t.Fatalf("--subnets disjoint: %v, profile %q subnets %q", err, o.Profile, o.Subnets)
	}
	o = devnetOptions{Subnets: "disjoint", Profile: profileLayered}
	if err := o.resolveTree(true); err == nil {
		t.Fatal("--subnets disjoint with --profile accepted")
	}
	o = devnetOptions{Subnets: "default", Profile: profileDefault, Topology: "testdata/disjoint.toml"}
	if err := o.resolveTree(false); err != nil || o.Profile != profileFile || o.tree.nodes != 8 {
		t.Fatalf("--topology: %v, profile %q", err, o.Profile)
	}
	o = devnetOptions{Subnets: "none", Profile: profileDefault, Topology: "testdata/disjoint.toml"}
	if err := o.resolveTree(false); err == nil {
		t.Fatal("--topology with --subnets none accepted")
	}
	o = devnetOptions{Subnets: "default", Profile: profileLayered}
	if err := o.resolveTree(true); err != nil || o.tree != trees[profileLayered] {
		t.Fatalf("--profile layered: %v", err)
	}
}
