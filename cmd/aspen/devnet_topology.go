package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// topology is the shape of a devnet: how many nodes it needs, which of
// them validate the root, and the subnets below the root with the nodes
// that validate each. Every node runs the root (validating it or
// following it); a node runs a subnet only where it holds a seat, and
// follows the parents of those.
type topology struct {
	nodes   int
	root    []int // validators of the root; nil: every node
	subnets []treeSubnet
}

// errTopology reports a topology file that cannot describe a devnet.
var errTopology = errors.New("topology")

// topologyFile is a topology as written in a --topology file (JSON, or
// TOML when the name ends in .toml). See docs/topology.md.
type topologyFile struct {
	Nodes   int          `json:"nodes" toml:"nodes"`
	Root    []int        `json:"root,omitempty" toml:"root,omitempty"`
	Subnets []subnetFile `json:"subnets" toml:"subnets"`
}

type subnetFile struct {
	Name       string `json:"name" toml:"name"`
	Validators []int  `json:"validators" toml:"validators"`
	Engine     string `json:"engine,omitempty" toml:"engine,omitempty"`
	BlockTime  string `json:"blockTime,omitempty" toml:"block_time,omitempty"`
}

// readTopology reads and checks a topology file.
func readTopology(path string) (*topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--topology: %w", err)
	}
	var f topologyFile
	if strings.HasSuffix(path, ".toml") {
		md, err := toml.Decode(string(data), &f)
		if err != nil {
			return nil, fmt.Errorf("--topology %s: %w", path, err)
		}
		if un := md.Undecoded(); len(un) > 0 {
			return nil, fmt.Errorf("--topology %s: unknown key %s (want nodes, root, [[subnets]] with name, validators, engine, block_time)", path, un[0])
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("--topology %s: %w (want JSON, or TOML in a file ending in .toml)", path, err)
		}
	}
	t, err := f.topology()
	if err != nil {
		return nil, fmt.Errorf("--topology %s: %w", path, err)
	}
	return t, nil
}

// topology checks f and converts it.
func (f topologyFile) topology() (*topology, error) {
	if f.Nodes < 1 || f.Nodes > 100 {
		return nil, fmt.Errorf("%w: nodes = %d: want 1 to 100", errTopology, f.Nodes)
	}
	t := &topology{nodes: f.Nodes}
	checkNodes := func(what string, idx []int) error {
		if len(idx) == 0 {
			return fmt.Errorf("%w: %s has no validators", errTopology, what)
		}
		for k, i := range idx {
			if i < 0 || i >= f.Nodes {
				return fmt.Errorf("%w: %s names node %d; nodes are 0 to %d", errTopology, what, i, f.Nodes-1)
			}
			if slices.Contains(idx[:k], i) {
				return fmt.Errorf("%w: %s names node %d twice", errTopology, what, i)
			}
		}
		return nil
	}
	if f.Root != nil {
		if err := checkNodes("the root", f.Root); err != nil {
			return nil, err
		}
		t.root = slices.Clone(f.Root)
	}
	const net = types.SubnetID("/net")
	for _, s := range f.Subnets {
		id, err := types.ParseSubnetID(string(net) + "/" + s.Name)
		if err != nil || s.Name == "" {
			return nil, fmt.Errorf("%w: subnet %q: a path below the root like alpha or alpha/one, of names [a-z0-9-]{1,32}", errTopology, s.Name)
		}
		if t.find(s.Name) != nil {
			return nil, fmt.Errorf("%w: subnet %s is listed twice", errTopology, s.Name)
		}
		if err := checkNodes("subnet "+s.Name, s.Validators); err != nil {
			return nil, err
		}
		ts := treeSubnet{name: s.Name, members: slices.Clone(s.Validators)}
		if s.Engine != treeEngine {
			ts.engine = s.Engine
		}
		if s.Engine != "" {
			k, err := consensus.LookupKind(s.Engine)
			if _, ok := gateway.EngineByName(s.Engine); err != nil || !ok {
				return nil, fmt.Errorf("%w: subnet %s: engine %q: use %s", errTopology, s.Name, s.Engine, strings.Join(consensus.KindNames(), " or "))
			}
			if k.SingleSequencer && len(s.Validators) != 1 {
				return nil, fmt.Errorf("%w: subnet %s: a %s subnet has exactly one validator, not %d", errTopology, s.Name, s.Engine, len(s.Validators))
			}
		}
		if s.BlockTime != "" {
			d, err := time.ParseDuration(s.BlockTime)
			if err != nil || d < 10*time.Millisecond {
				return nil, fmt.Errorf("%w: subnet %s: block time %q: want a duration of 10ms or more, like 500ms", errTopology, s.Name, s.BlockTime)
			}
			ts.block = d
		}
		// Each validator joins through, and discovers the subnet in, its
		// own node's view of the parent: it must run the parent.
		if parent := id.Parent(); parent != net {
			p := t.find(strings.TrimPrefix(string(parent), string(net)+"/"))
			if p == nil {
				return nil, fmt.Errorf("%w: subnet %s comes before its parent %s: list parents first", errTopology, s.Name, parent.Name())
			}
			for _, m := range s.Validators {
				if !slices.Contains(p.members, m) {
					return nil, fmt.Errorf("%w: node %d validates %s but not its parent %s: a node finds a subnet, and joins it, on a parent it runs", errTopology, m, s.Name, p.name)
				}
			}
		}
		t.subnets = append(t.subnets, ts)
	}
	return t, nil
}

// file is t as a topology file would say it.
func (t *topology) file() topologyFile {
	f := topologyFile{Nodes: t.nodes, Root: t.root, Subnets: []subnetFile{}}
	for _, s := range t.subnets {
		sf := subnetFile{Name: s.name, Validators: s.members, Engine: s.engine}
		if s.block > 0 {
			sf.BlockTime = s.block.String()
		}
		f.Subnets = append(f.Subnets, sf)
	}
	return f
}

func (t *topology) find(name string) *treeSubnet {
	for i := range t.subnets {
		if t.subnets[i].name == name {
			return &t.subnets[i]
		}
	}
	return nil
}

// validatesRoot reports whether node i validates the root.
func (t *topology) validatesRoot(i int) bool { return t.root == nil || slices.Contains(t.root, i) }

// roles lists, for node i, the subnets it validates and those it follows
// (runs without a seat: the parent of a subnet it validates, and the root
// if it does not validate it).
func (t *topology) roles(root types.SubnetID, i int) (validates, follows []string) {
	validates, follows = []string{}, []string{}
	if t.validatesRoot(i) {
		validates = append(validates, string(root))
	} else {
		follows = append(follows, string(root))
	}
	for _, s := range t.subnets {
		if slices.Contains(s.members, i) {
			validates = append(validates, string(subnetOf(root, s.name)))
		}
	}
	for _, s := range t.subnets {
		id := subnetOf(root, s.name)
		if !slices.Contains(validates, string(id)) {
			continue
		}
		for p := id.Parent(); !p.IsRoot(); p = p.Parent() {
			if !slices.Contains(validates, string(p)) && !slices.Contains(follows, string(p)) {
				follows = append(follows, string(p))
			}
		}
	}
	return validates, follows
}

// mines reports whether the topology has a pow subnet (every node then mines).
func (t *topology) mines() bool {
	for _, s := range t.subnets {
		if s.engineName() == powEngine {
			return true
		}
	}
	return false
}

// topologySaved is where a devnet keeps the topology it was built with, so
// that a resumed devnet keeps its shape.
const topologySaved = "topology.json"

func saveTopology(home string, t *topology) error {
	return writeJSONFile(filepath.Join(home, topologySaved), t.file())
}

// savedTopology is the topology saved under home, or nil if none was.
func savedTopology(home string) (*topology, error) {
	path := filepath.Join(home, topologySaved)
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	return readTopology(path)
}
