package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aspen-chain/aspen/types"
)

// ScaleScenario is the scale-out tree: Subnets chains over about Subnets/5
// physical nodes, each validating 5–10 of them and following their
// ancestors, as a node runs every ancestor of the subnets it validates.
//
// Its shape: the root; a home subnet (the root's first child) with
// homeKids leaf children, validated by nodes 0 and 1 alone whatever the
// size, so node 0 is the tracked node whose own subnets never change; and
// RootChildren-1 more children of the root holding every other subnet
// below them, filled level by level to Depth with the smallest fan-out
// that fits, each parent full before the next. The root's validators are
// nodes 2 and 3, every other node follows it. The other nodes take
// windows of 5–10 consecutive subnets in depth-first order (drawn from the
// seed), so a node's subnets are siblings and cousins, as operators pick
// related subnets, and each subnet has one to three validators.
type ScaleScenario struct {
	Subnets      int    // at least RootChildren + homeKids + 1
	RootChildren int    // the root's direct children, the home subnet among them (default 3)
	Depth        int    // levels below the root, 2 or 3 (default 3)
	Heights      uint64 // every chain must reach this height (default 6: two checkpoints)
}

// homeKids is how many leaf children the home subnet has: with it, the
// tracked node validates homeKids+1 subnets.
const homeKids = 5

func (sc ScaleScenario) withDefaults() ScaleScenario {
	if sc.RootChildren == 0 {
		sc.RootChildren = 3
	}
	if sc.Depth == 0 {
		sc.Depth = 3
	}
	if sc.Heights == 0 {
		sc.Heights = 6
	}
	return sc
}

// ScaleTree builds sc's chains, validators and followers from seed, and
// returns them with the number of physical nodes.
func ScaleTree(seed uint64, sc ScaleScenario) ([]Chain, int, error) {
	sc = sc.withDefaults()
	rest := sc.Subnets - 2 - homeKids // below the other root children
	if sc.RootChildren < 2 || sc.Depth < 2 || sc.Depth > 3 || rest < sc.RootChildren-1 {
		return nil, 0, fmt.Errorf("%w: scale tree of %d subnets, %d root children, depth %d", ErrScenario, sc.Subnets, sc.RootChildren, sc.Depth)
	}
	chains := []Chain{{Subnet: "/s", Parent: -1}, {Subnet: "/s/h", Parent: 0}}
	for k := 0; k < homeKids; k++ {
		chains = append(chains, Chain{Subnet: types.SubnetID(fmt.Sprintf("/s/h/%d", k)), Parent: 1})
	}
	kids := map[int][]int{}
	add := func(parent int) int {
		chains = append(chains, Chain{Subnet: types.SubnetID(fmt.Sprintf("%s/%d", chains[parent].Subnet, len(kids[parent]))), Parent: parent})
		c := len(chains) - 1
		kids[parent] = append(kids[parent], c)
		return c
	}
	var level []int
	for k := 1; k < sc.RootChildren; k++ {
		level = append(level, add(0))
	}
	left := rest - len(level)
	fan := 1
	for capacity(len(level), fan, sc.Depth-1) < left {
		fan++
	}
	for d := 2; d <= sc.Depth && left > 0; d++ {
		var next []int
		for _, p := range level {
			for k := 0; k < fan && left > 0; k++ {
				next = append(next, add(p))
				left--
			}
		}
		level = next
	}
	// Depth-first order of the subnets below the other root children.
	var order []int
	var walk func(c int)
	walk = func(c int) {
		order = append(order, c)
		for _, k := range kids[c] {
			walk(k)
		}
	}
	for _, c := range kids[0] {
		walk(c)
	}
	windows := max(2, (len(order)+4)/5)
	nodes := 2 + windows
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	seat := func(c, p int) { chains[c].Validators = append(chains[c].Validators, p) }
	for c := 1; c <= 1+homeKids; c++ {
		seat(c, 0)
		seat(c, 1)
	}
	seat(0, 2)
	seat(0, 3)
	for j := 0; j < windows; j++ {
		p := 2 + j
		n := 5 + rng.IntN(6)
		if p <= 3 {
			n = 5 + rng.IntN(5) // the root is its sixth to tenth
		}
		from := j * len(order) / windows
		for _, c := range order[from:min(from+n, len(order))] {
			seat(c, p)
		}
	}
	for c := range chains {
		if len(chains[c].Validators) == 0 {
			return nil, 0, fmt.Errorf("%w: scale tree: subnet %s has no validator", ErrScenario, chains[c].Subnet)
		}
	}
	// Every node runs the ancestors of what it runs: children come after
	// their parents, so walking back completes a chain before its parent.
	for c := len(chains) - 1; c > 0; c-- {
		p := chains[c].Parent
		for _, m := range chains[c].members() {
			if !slices.Contains(chains[p].members(), m) {
				chains[p].Followers = append(chains[p].Followers, m)
			}
		}
	}
	for c := range chains {
		slices.Sort(chains[c].Followers)
	}
	return chains, nodes, nil
}

// capacity is how many subnets parents can hold below them in levels
// levels of fan-out fan.
func capacity(parents, fan, levels int) int {
	n, width := 0, parents
	for l := 0; l < levels; l++ {
		width *= fan
		n += width
	}
	return n
}

// NodeLoad is what one physical node received over a scale run, summed
// over the chains it runs (validates or follows).
type NodeLoad struct {
	Node      int
	Validates int           // subnets it holds a seat in
	Runs      int           // subnets it runs: those and their ancestors
	Blocks    uint64        // blocks it finalized, summed over the chains it runs
	Msgs      uint64        // consensus messages delivered to it
	Bytes     uint64        // their bytes
	Handler   time.Duration // wall time its drivers spent handling them
	// FloodedMsgs and FloodedBytes are what it would also get were it
	// subscribed to every subnet's topic.
	FloodedMsgs, FloodedBytes uint64
}

// PerBlock divides x by the blocks of the node's chains.
func (l NodeLoad) PerBlock(x uint64) float64 {
	if l.Blocks == 0 {
		return 0
	}
	return float64(x) / float64(l.Blocks)
}

// ScaleReport is what RunScale measured.
type ScaleReport struct {
	Subnets, Nodes, RootChildren int
	Depth                        int        // levels below the root the tree has
	Loads                        []NodeLoad // by node; Loads[0] is the tracked node
	// RootBlocks is the root's first Heights blocks (fewer if it ended
	// lower), RootCheckpoints the child checkpoints they included.
	RootBlocks, RootCheckpoints uint64
	Ticks                       uint64
	Wall                        time.Duration
}

// RootCheckpointsPerBlock is the root's checkpoint load.
func (r *ScaleReport) RootCheckpointsPerBlock() float64 {
	return float64(r.RootCheckpoints) / float64(max(r.RootBlocks, 1))
}

// RunScale runs sc's tree with bft on every chain, over a network of delays
// of 1–3 ticks without faults, and measures every node's load. The tree's
// invariants are checked as in RunTree.
func RunScale(seed uint64, sc ScaleScenario) (*ScaleReport, error) {
	return runScale(seed, sc, false)
}

// runScale is RunScale; flood also counts what every node would get
// subscribed to every subnet's topic (NodeLoad.Flooded*).
func runScale(seed uint64, sc ScaleScenario, flood bool) (*ScaleReport, error) {
	sc = sc.withDefaults()
	chains, nodes, err := ScaleTree(seed, sc)
	if err != nil {
		return nil, err
	}
	m := newMeter(nodes)
	m.flood = flood
	tsc := TreeScenario{
		Scenario: Scenario{Name: fmt.Sprintf("scale-%d", sc.Subnets), Nodes: nodes, MinDelay: 1, MaxDelay: 3, Heights: sc.Heights},
		Chains:   chains,
	}
	began := time.Now()
	t, err := newTree(seed, tsc, BFT(), treeKnobs{meter: m})
	if err != nil {
		return nil, err
	}
	if _, err := t.run(); err != nil {
		return nil, err
	}
	r := &ScaleReport{Subnets: len(chains), Nodes: nodes, RootChildren: sc.RootChildren, Ticks: t.now, Wall: time.Since(began)}
	depth := make([]int, len(chains))
	for c := 1; c < len(chains); c++ {
		depth[c] = depth[chains[c].Parent] + 1
		r.Depth = max(r.Depth, depth[c])
	}
	r.Loads = make([]NodeLoad, nodes)
	for p := range r.Loads {
		r.Loads[p].Node = p
	}
	for c, ch := range chains {
		for _, p := range ch.Validators {
			r.Loads[p].Validates++
		}
		for i, p := range t.members[c] {
			r.Loads[p].Runs++
			r.Loads[p].Blocks += t.chains[c].nodes[i].app.height()
		}
	}
	for k, tr := range m.by {
		l := &r.Loads[k.node]
		l.Msgs += tr.Msgs
		l.Bytes += tr.Bytes
		l.Handler += tr.Handler
		l.FloodedMsgs += tr.FloodedMsgs
		l.FloodedBytes += tr.FloodedBytes
	}
	// The first Heights root blocks, the window every size runs: a longer
	// run's last blocks include the checkpoints shorter runs end before.
	root := t.chains[0].nodes[0].app
	r.RootBlocks = min(root.height(), sc.Heights)
	for _, f := range root.chain[1 : r.RootBlocks+1] {
		r.RootCheckpoints += uint64(len(t.bu.bodies[f.Block.Header.TxRoot]))
	}
	return r, nil
}
