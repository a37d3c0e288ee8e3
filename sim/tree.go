package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// Errors naming the top-down invariants a tree run violated.
var (
	ErrExactlyOnce = errors.New("sim: exactly-once violated: a top-down message was applied twice, applied before it was queued, or, final long enough on the parent, never applied")
	ErrSameHeight  = errors.New("sim: two honest nodes of a subnet applied different top-down messages at one child height")
)

// Chain is one subnet of a simulated tree.
type Chain struct {
	Subnet     types.SubnetID
	Parent     int   // index of the parent chain in TreeScenario.Chains; -1 for the root
	Validators []int // the physical nodes that validate it; each must validate the parent too
}

// TreeScenario is a tree of chains over one network of physical nodes.
// Scenario gives the network, the faults (Nodes is the number of physical
// nodes; partitions and crashes hit physical nodes, so every chain a node
// validates) and the heights every chain must reach. Byzantine must be 0.
type TreeScenario struct {
	Scenario
	Chains []Chain // default DefaultTree()
	// Lag is K: every message queued in a parent block final at least K
	// parent heights before the end must be applied on the child (default 3).
	Lag uint64
}

// DefaultTree is a root validated by five nodes, two children of four of
// them, and a grandchild under the first child.
func DefaultTree() []Chain {
	return []Chain{
		{Subnet: "/sim", Parent: -1, Validators: []int{0, 1, 2, 3, 4}},
		{Subnet: "/sim/a", Parent: 0, Validators: []int{0, 1, 2, 3}},
		{Subnet: "/sim/b", Parent: 0, Validators: []int{4, 3, 2, 1}},
		{Subnet: "/sim/a/g", Parent: 1, Validators: []int{3, 1, 0, 2}},
	}
}

// TreeResult is what a tree run did.
type TreeResult struct {
	Seed   uint64
	Chains []*Result // per chain, in TreeScenario.Chains order; node i is Validators[i]
	// Queued is, per chain, how many messages its parent's final chain
	// queued for it; Applied the lowest last applied nonce over its nodes.
	Queued, Applied []uint64
	Ticks           uint64
	Err             error
}

// tree is one tree run: a simulation per chain, all on one clock, one
// generator and one fault schedule of physical nodes.
type tree struct {
	seed     uint64
	sc       TreeScenario
	chains   []*simulation
	members  [][]int // chain -> physical node of each local node
	parent   []int
	children [][]int
	cum      [][]uint64 // chain -> cumulative messages queued for it, by parent height
	events   []event
	now      uint64
	stable   uint64
	reapply  bool // a broken child application that applies the last message again
	fail     error
}

// RunTree simulates sc with engines from factory, everything drawn from
// seed, and checks every chain's invariants and the top-down ones.
func RunTree(seed uint64, sc TreeScenario, factory EngineFactory) (*TreeResult, error) {
	t, err := newTree(seed, sc, factory)
	if err != nil {
		return nil, err
	}
	return t.run()
}

func newTree(seed uint64, sc TreeScenario, f EngineFactory) (*tree, error) {
	sc.Scenario = sc.Scenario.withDefaults()
	if sc.Chains == nil {
		sc.Chains = DefaultTree()
	}
	if sc.Lag == 0 {
		sc.Lag = 3
	}
	if err := sc.Scenario.validate(); err != nil {
		return nil, err
	}
	if sc.Byzantine != 0 || f.New == nil {
		return nil, fmt.Errorf("%w: a tree runs honest nodes with an engine", ErrScenario)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e9955bd1e995))
	t := &tree{seed: seed, sc: sc, children: make([][]int, len(sc.Chains))}
	for c, ch := range sc.Chains {
		if (c == 0) != (ch.Parent < 0) || ch.Parent >= c || len(ch.Validators) == 0 {
			return nil, fmt.Errorf("%w: chain %d: the root comes first, parents before children", ErrScenario, c)
		}
		csc := sc.Scenario
		csc.Name = sc.Name + " " + string(ch.Subnet)
		csc.Nodes, csc.Partitions, csc.Crashes = len(ch.Validators), false, 0
		s, err := newChain(seed, csc, f, rng, ch.Subnet, 64*c)
		if err != nil {
			return nil, err
		}
		for i, p := range ch.Validators {
			if p < 0 || p >= sc.Nodes {
				return nil, fmt.Errorf("%w: chain %d validator %d is not a node", ErrScenario, c, p)
			}
			d := &topdown{t: t, chain: c, app: s.nodes[i].app, states: []tdState{genesisTD()}}
			if ch.Parent >= 0 {
				j := indexOf(sc.Chains[ch.Parent].Validators, p)
				if j < 0 {
					return nil, fmt.Errorf("%w: node %d validates chain %d but not its parent", ErrScenario, p, c)
				}
				d.parent = t.chains[ch.Parent].nodes[j].app
				t.children[ch.Parent] = append(t.children[ch.Parent], c)
			}
			s.nodes[i].app.td = d
		}
		t.chains = append(t.chains, s)
		t.members = append(t.members, ch.Validators)
		t.parent = append(t.parent, ch.Parent)
		t.cum = append(t.cum, []uint64{0})
	}
	for c := range t.children {
		t.children[c] = dedup(t.children[c])
	}
	all := make([]int, sc.Nodes)
	for i := range all {
		all[i] = i
	}
	t.events = drawFaults(sc.Scenario, rng, all)
	for _, e := range t.events {
		t.stable = max(t.stable, e.at)
	}
	for _, s := range t.chains {
		s.stable, s.res.Stable = t.stable, t.stable
		for _, n := range s.nodes {
			if err := s.start(n, false); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// queued is how many messages chain's parent queued for it up to parent
// height h: a few per parent block, drawn from the seed.
func (t *tree) queued(chain int, h uint64) uint64 {
	cum := t.cum[chain]
	for k := uint64(len(cum)); k <= h; k++ {
		var in [24]byte
		binary.BigEndian.PutUint64(in[:8], t.seed)
		binary.BigEndian.PutUint64(in[8:16], uint64(chain))
		binary.BigEndian.PutUint64(in[16:], k)
		n := uint64(gethcrypto.Keccak256([]byte("aspen-sim topdown"), in[:])[0] % 4)
		if n == 3 {
			n = 0 // about half the parent blocks queue nothing
		}
		cum = append(cum, cum[k-1]+n)
	}
	t.cum[chain] = cum
	return cum[h]
}

func (t *tree) run() (*TreeResult, error) {
	next := 0
	for ; t.fail == nil; t.now++ {
		for _, s := range t.chains {
			s.now = t.now
		}
		for next < len(t.events) && t.events[next].at == t.now {
			t.apply(t.events[next])
			next++
		}
		for _, s := range t.chains {
			s.tick()
			t.failed(s)
		}
		if t.fail != nil || t.done() {
			break
		}
		if t.now > t.stable+t.sc.MaxTicks {
			for _, s := range t.chains {
				if !s.done() {
					s.failf(ErrProgress, "%s", s.lagging())
					t.failed(s)
				}
			}
			if t.fail == nil {
				t.failf(ErrExactlyOnce, "%s", t.unapplied())
			}
		}
	}
	res := &TreeResult{Seed: t.seed, Ticks: t.now}
	for _, s := range t.chains {
		s.res.Ticks = t.now
		s.finish()
		t.failed(s)
		res.Chains = append(res.Chains, s.res)
	}
	if t.fail == nil {
		t.check()
	}
	for c, s := range t.chains {
		var q, a uint64
		if t.parent[c] >= 0 {
			q = t.queued(c, t.finalHeight(t.parent[c]))
			a = q
			for _, n := range s.nodes {
				a = min(a, n.app.td.head().applied)
			}
		}
		res.Queued, res.Applied = append(res.Queued, q), append(res.Applied, a)
	}
	res.Err = t.fail
	return res, t.fail
}

// apply performs one fault of physical nodes on every chain they validate.
func (t *tree) apply(e event) {
	for c, s := range t.chains {
		le := e
		switch e.kind {
		case evPartition:
			le.side = make([]int, len(t.members[c]))
			for i, p := range t.members[c] {
				le.side[i] = e.side[p]
			}
		case evCrash, evRestart:
			if le.node = indexOf(t.members[c], e.node); le.node < 0 {
				continue
			}
		}
		s.apply(le)
		t.failed(s)
	}
}

func (t *tree) failed(s *simulation) {
	if t.fail == nil && s.fail != nil {
		t.fail = s.fail
	}
}

func (t *tree) failf(err error, format string, args ...any) {
	if t.fail == nil {
		t.fail = &Failure{Seed: t.seed, Scenario: t.sc.Name, Tick: t.now, Err: fmt.Errorf("%w: "+format, append([]any{err}, args...)...)}
	}
}

// done reports whether every chain may end and the top-down messages caught up.
func (t *tree) done() bool {
	for _, s := range t.chains {
		if !s.done() {
			return false
		}
	}
	return t.unapplied() == ""
}

// finalHeight is the highest height an honest node of chain c finalized.
func (t *tree) finalHeight(c int) uint64 {
	var h uint64
	for _, n := range t.chains[c].nodes {
		h = max(h, n.app.height())
	}
	return h
}

// unapplied names a node of a child chain that has not applied every message
// queued in parent blocks final Lag heights before now, or returns "".
func (t *tree) unapplied() string {
	for c, s := range t.chains {
		p := t.parent[c]
		if p < 0 || t.finalHeight(p) <= t.sc.Lag {
			continue
		}
		ph := t.finalHeight(p) - t.sc.Lag
		want := t.queued(c, ph)
		for i, n := range s.nodes {
			if got := n.app.td.head().applied; got < want {
				return fmt.Sprintf("node %d of %s applied top-down messages up to %d; its parent queued %d by height %d, final %d heights ago", t.members[c][i], s.subnet, got, want, ph, t.sc.Lag)
			}
		}
	}
	return ""
}

// check verifies, on every child chain, that no node applies a message
// twice or before its parent queued it, and that all nodes apply the same
// messages at the same child heights.
func (t *tree) check() {
	for c, s := range t.chains {
		if t.parent[c] < 0 {
			continue
		}
		var first []tdState
		for i, n := range s.nodes {
			at := map[uint64]int{}
			for h, st := range n.app.td.states {
				if h < len(first) && (st.from != first[h].from || st.to != first[h].to || st.ref != first[h].ref) {
					t.failf(ErrSameHeight, "%s height %d: node %d applied %d..%d under parent block %d, an earlier node %d..%d under %d",
						s.subnet, h, t.members[c][i], st.from, st.to, st.ref.Height, first[h].from, first[h].to, first[h].ref.Height)
					return
				}
				if st.from <= st.to && st.to > t.queued(c, st.ref.Height) {
					t.failf(ErrExactlyOnce, "%s height %d: node %d applied up to message %d, its parent had queued %d by height %d", s.subnet, h, t.members[c][i], st.to, t.queued(c, st.ref.Height), st.ref.Height)
					return
				}
				for nonce := st.from; nonce <= st.to; nonce++ {
					if prev, ok := at[nonce]; ok {
						t.failf(ErrExactlyOnce, "%s: node %d applied top-down message %d at heights %d and %d", s.subnet, t.members[c][i], nonce, prev, h)
						return
					}
					at[nonce] = h
				}
			}
			if len(n.app.td.states) > len(first) {
				first = n.app.td.states
			}
		}
	}
	if why := t.unapplied(); why != "" {
		t.failf(ErrExactlyOnce, "%s", why)
	}
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func dedup(xs []int) []int {
	var out []int
	for _, x := range xs {
		if indexOf(out, x) < 0 {
			out = append(out, x)
		}
	}
	return out
}
