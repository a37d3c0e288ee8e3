package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// Errors naming the top-down invariants a tree run violated. The three
// ways to break exactly-once each wrap ErrExactlyOnce.
var (
	ErrExactlyOnce  = errors.New("sim: top-down exactly-once violated")
	ErrAppliedTwice = fmt.Errorf("%w: an honest node applied a message twice", ErrExactlyOnce)
	ErrUnqueued     = fmt.Errorf("%w: an honest node applied a message its block's parent reference does not give: queued after the referenced parent block, or in one the parent chain did not finalize", ErrExactlyOnce)
	ErrNeverApplied = fmt.Errorf("%w: an honest node skipped a message, or never applied one final long enough on the parent", ErrExactlyOnce)
	ErrSameHeight   = errors.New("sim: two honest nodes of a subnet applied different top-down messages at one child height")
)

// Chain is one subnet of a simulated tree.
type Chain struct {
	Subnet     types.SubnetID
	Parent     int   // index of the parent chain in TreeScenario.Chains; -1 for the root
	Validators []int // the physical nodes that validate it; each must validate or follow the parent too
	// Followers are physical nodes that run the chain without a seat, as
	// a node runs every ancestor of the subnets it validates: they get the
	// chain's consensus messages and finalize its blocks but never vote.
	// Each must validate or follow the parent too. Only an engine that can
	// follow without a key (bft) runs followers.
	Followers []int
}

// members is every physical node that runs the chain: validators, then followers.
func (ch Chain) members() []int {
	return append(append([]int(nil), ch.Validators...), ch.Followers...)
}

// TreeScenario is a tree of chains over one network of physical nodes.
// Scenario gives the network, the faults (Nodes is the number of physical
// nodes; partitions and crashes hit physical nodes, so every chain a node
// validates) and the heights every chain must reach. Byzantine physical
// nodes are drawn from the seed, keeping them under a third of every chain's
// validators; each equivocates on every chain it validates and, in the
// child blocks it proposes, lies about the parent reference or the messages
// it applies (TreeResult.Lies).
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
	// UpApplied is, per chain, the lowest last up message its parent's
	// honest nodes applied, Checkpoints the lowest last checkpoint height.
	UpApplied, Checkpoints []uint64
	// Lies is, by kind, what became of the lies byzantine proposers told
	// in child blocks: "unfinal", "missing", "backwards", "more", "skip", "twice".
	Lies  map[string]LieCount
	Ticks uint64
	Err   error
}

// tree is one tree run: a simulation per chain, all on one clock, one
// generator and one fault schedule of physical nodes.
type tree struct {
	forest
	seed     uint64
	sc       TreeScenario
	parent   []int
	children [][]int
	cum      [][]uint64 // chain -> cumulative messages queued for it, by parent height
	stable   uint64
	rng      *rand.Rand
	knobs    treeKnobs

	claims    map[common.Hash]tdState // state root of every child block built -> the state it claims
	lies      map[common.Hash]lie     // state roots of the lying blocks
	lieCount  [numAllLies]LieCount
	finalLies map[common.Hash]bool
	first     [][]tdState // chain -> the state at each height of the first honest node there
	bu        bottomUp    // value across the tree: checkpoints, up messages, parent block bodies
}

// treeKnobs break one honest rule or part of the application at a time, for
// the tests that prove each top-down check can fail. The zero value is
// the honest simulator.
type treeKnobs struct {
	acceptUnfinal  bool  // validators skip "the new reference is final in my view of the parent"
	allowBackwards bool  // validators skip "the reference does not move back or sideways"
	trustRoot      bool  // nodes never re-execute top-down messages: they believe a block's state root, voting and at commit
	byHeights      bool  // the executor applies what parent heights (h1, h2] queued, not what follows its last applied nonce
	reapply        bool  // the executor applies the last message of the previous range again
	lagExec        bool  // at commit the executor applies only what its own parent chain has final, up to the reference, so it never refuses a reference above that (in the real code that refusal is the executor's, evm.ParentChain.TopDown)
	noRootCompare  bool  // at commit nodes do not compare the state root they computed with the block's
	stuckRef       bool  // honest proposers never move the reference
	lies           []lie // the lies byzantine proposers draw from; nil for all

	anyOrder         bool // parent validators skip "the next checkpoint of the child, its messages continuing the last applied"
	trustCheckpoints bool // parent validators skip "the child certified this checkpoint"
	noFirewall       bool // parent validators skip "pays no more than the child's circulating supply"
	noCheckpoints    bool // honest parent proposers never include checkpoints
	noBurn           bool // a child's executor sends value up without burning it

	meter *meter // not a broken rule: counts what the network delivers (scale runs)
}

// RunTree simulates sc with engines from factory, everything drawn from
// seed, and checks every chain's invariants and the top-down ones.
func RunTree(seed uint64, sc TreeScenario, factory EngineFactory) (*TreeResult, error) {
	t, err := newTree(seed, sc, factory, treeKnobs{})
	if err != nil {
		return nil, err
	}
	return t.run()
}

func newTree(seed uint64, sc TreeScenario, f EngineFactory, knobs treeKnobs) (*tree, error) {
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
	if f.New == nil {
		return nil, fmt.Errorf("%w: a tree runs an engine; the factory has no New", ErrScenario)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e9955bd1e995))
	t := &tree{
		seed: seed, sc: sc, children: make([][]int, len(sc.Chains)), rng: rng, knobs: knobs,
		claims: map[common.Hash]tdState{}, lies: map[common.Hash]lie{}, finalLies: map[common.Hash]bool{},
	}
	for c, ch := range sc.Chains {
		if (c == 0) != (ch.Parent < 0) || ch.Parent >= c || len(ch.Validators) == 0 {
			return nil, fmt.Errorf("%w: chain %d: the root comes first, parents before children", ErrScenario, c)
		}
	}
	byz, err := drawByzantine(sc, rng)
	if err != nil {
		return nil, err
	}
	for c, ch := range sc.Chains {
		csc := sc.Scenario
		csc.Name = sc.Name + " " + string(ch.Subnet)
		csc.Nodes, csc.Partitions, csc.Crashes = len(ch.Validators), false, 0
		s, err := newChain(seed, csc, f, rng, ch.Subnet, 64*c)
		if err != nil {
			return nil, err
		}
		s.addFollowers(len(ch.Followers))
		members := ch.members()
		for i, p := range members {
			if p < 0 || p >= sc.Nodes {
				return nil, fmt.Errorf("%w: chain %d validator %d is not a node", ErrScenario, c, p)
			}
			s.nodes[i].honest, s.res.Honest[i] = !byz[p], !byz[p]
			d := &topdown{t: t, chain: c, node: p, honest: !byz[p], app: s.nodes[i].app, states: []tdState{genesisTD()}}
			if ch.Parent >= 0 {
				j := indexOf(sc.Chains[ch.Parent].members(), p)
				if j < 0 {
					return nil, fmt.Errorf("%w: node %d runs chain %d but not its parent", ErrScenario, p, c)
				}
				d.parent = t.chains[ch.Parent].nodes[j].app
				t.children[ch.Parent] = append(t.children[ch.Parent], c)
			}
			s.nodes[i].app.td = d
		}
		t.chains = append(t.chains, s)
		t.members = append(t.members, members)
		t.parent = append(t.parent, ch.Parent)
		t.cum = append(t.cum, []uint64{0})
		t.first = append(t.first, []tdState{genesisTD()})
	}
	for c := range t.children {
		t.children[c] = dedup(t.children[c])
	}
	t.initValue()
	var honest []int
	for p := 0; p < sc.Nodes; p++ {
		if !byz[p] {
			honest = append(honest, p)
		}
	}
	t.events = drawFaults(sc.Scenario, rng, honest)
	for _, e := range t.events {
		t.stable = max(t.stable, e.at)
	}
	if m := knobs.meter; m != nil {
		for c, s := range t.chains {
			runs := map[int]bool{}
			for _, p := range t.members[c] {
				runs[p] = true
			}
			s.meter = &chainMeter{m: m, chain: c, members: t.members[c], runs: runs}
		}
	}
	for _, s := range t.chains {
		s.stable, s.res.Stable = t.stable, t.stable
		if err := s.startAll(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// drawByzantine picks sc.Byzantine physical nodes from the seed: the first
// set, in a random order of the nodes, that keeps every chain's byzantine
// validators under a third.
func drawByzantine(sc TreeScenario, rng *rand.Rand) (map[int]bool, error) {
	byz := map[int]bool{}
	if sc.Byzantine == 0 {
		return byz, nil
	}
	order := rng.Perm(sc.Nodes)
	var pick func(from int) bool
	pick = func(from int) bool {
		if len(byz) == sc.Byzantine {
			return true
		}
		for k := from; k < len(order); k++ {
			p := order[k]
			if !underThird(sc.Chains, byz, p) {
				continue
			}
			byz[p] = true
			if pick(k + 1) {
				return true
			}
			delete(byz, p)
		}
		return false
	}
	if !pick(0) {
		return nil, fmt.Errorf("%w: cannot place %d byzantine nodes with fewer than a third of every chain's validators", ErrScenario, sc.Byzantine)
	}
	return byz, nil
}

// underThird reports whether making p byzantine too keeps every chain's
// byzantine validators under a third.
func underThird(chains []Chain, byz map[int]bool, p int) bool {
	for _, ch := range chains {
		if indexOf(ch.Validators, p) < 0 {
			continue
		}
		n := 1
		for _, v := range ch.Validators {
			if byz[v] {
				n++
			}
		}
		if 3*n >= len(ch.Validators) {
			return false
		}
	}
	return true
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
	for ; t.fail == nil; t.now++ {
		t.step()
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
			t.failUnapplied()
		}
	}
	res := &TreeResult{Seed: t.seed, Ticks: t.now, Lies: map[string]LieCount{}}
	for k := lieNone + 1; k < numAllLies; k++ {
		if k != numLies {
			res.Lies[k.String()] = t.lieCount[k]
		}
	}
	for _, s := range t.chains {
		s.res.Ticks = t.now
		s.finish()
		t.failed(s)
		res.Chains = append(res.Chains, s.res)
	}
	t.failUnapplied()
	if t.fail == nil {
		t.checkConservation()
	}
	for c, s := range t.chains {
		var q, a, up, ck uint64
		if p := t.parent[c]; p >= 0 {
			q = t.queued(c, t.finalHeight(p))
			a = q
			for _, n := range s.nodes {
				if n.honest {
					a = min(a, n.app.td.last)
				}
			}
			up, ck = ^uint64(0), ^uint64(0)
			for _, n := range t.chains[p].nodes {
				if n.honest {
					kv := n.app.td.head().v.kids[n.app.td.kid(c)]
					up, ck = min(up, kv.upApplied), min(ck, kv.ck)
				}
			}
		}
		res.Queued, res.Applied = append(res.Queued, q), append(res.Applied, a)
		res.UpApplied, res.Checkpoints = append(res.UpApplied, up), append(res.Checkpoints, ck)
	}
	res.Err = t.fail
	return res, t.fail
}

// forest is what a tree of simulated chains shares: the chains on one
// virtual clock, which physical node each local node is, and one schedule
// of faults of physical nodes.
type forest struct {
	chains  []*simulation
	members [][]int // chain -> physical node of each local node
	events  []event
	next    int // the first event not yet applied
	now     uint64
	fail    error // the first chain's failure
}

// step runs one tick of every chain at now, after the faults due then.
func (f *forest) step() {
	for _, s := range f.chains {
		s.now = f.now
	}
	for f.next < len(f.events) && f.events[f.next].at == f.now {
		f.apply(f.events[f.next])
		f.next++
	}
	for _, s := range f.chains {
		s.tick()
		f.failed(s)
	}
}

// apply performs one fault of physical nodes on every chain they validate.
func (f *forest) apply(e event) {
	for c, s := range f.chains {
		if le, ok := localEvent(e, f.members[c]); ok {
			s.apply(le)
			f.failed(s)
		}
	}
}

// failed records the first failure of a chain as the run's.
func (f *forest) failed(s *simulation) {
	if f.fail == nil && s.fail != nil {
		f.fail = s.fail
	}
}

// localEvent translates a fault of physical nodes into one chain's terms:
// members[i] is the physical node of the chain's local node i. ok is false
// when the event touches no node of the chain.
func localEvent(e event, members []int) (event, bool) {
	le := e
	switch e.kind {
	case evPartition:
		le.side = make([]int, len(members))
		for i, p := range members {
			le.side[i] = e.side[p]
		}
	case evCrash, evRestart:
		if le.node = indexOf(members, e.node); le.node < 0 {
			return le, false
		}
	}
	return le, true
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
	return t.unapplied() == "" && t.upUnapplied() == ""
}

// failUnapplied fails the run if a message, either way, is still unapplied.
func (t *tree) failUnapplied() {
	if t.fail != nil {
		return
	}
	if why := t.unapplied(); why != "" {
		t.failf(ErrNeverApplied, "%s", why)
	} else if why := t.upUnapplied(); why != "" {
		t.failf(ErrUpSkipped, "%s", why)
	}
}

// finalHeight is the highest height an honest node of chain c finalized.
func (t *tree) finalHeight(c int) uint64 {
	var h uint64
	for _, n := range t.chains[c].nodes {
		if n.honest {
			h = max(h, n.app.height())
		}
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
			if got := n.app.td.last; n.honest && got < want {
				return fmt.Sprintf("node %d of %s applied top-down messages up to %d; its parent queued %d by height %d, final %d heights ago", t.members[c][i], s.subnet, got, want, ph, t.sc.Lag)
			}
		}
	}
	return ""
}

// observe checks what an honest node of a child chain applied with the
// block at height, as it applies it: a reference that moved names a block
// the parent chain finalized; the messages follow the last one the node
// applied, without a gap, and none beyond what the reference gives; and
// every node applies the same at each height.
func (t *tree) observe(d *topdown, prev, st tdState, height int, root common.Hash) {
	t.finalLie(root)
	c, p := d.chain, t.parent[d.chain]
	who := fmt.Sprintf("node %d of %s at height %d", d.node, t.chains[c].subnet, height)
	if st.ref != prev.ref {
		if want, ok := t.chains[p].finals[st.ref.Height]; !ok || want != st.ref.Hash {
			t.failf(ErrUnqueued, "%s moves its parent reference to block %d %x, which %s has not finalized (its final height is %d)",
				who, st.ref.Height, st.ref.Hash[:4], t.chains[p].subnet, t.finalHeight(p))
			return
		}
	}
	if st.from <= st.to {
		switch {
		case st.from <= d.last:
			t.failf(ErrAppliedTwice, "%s applies messages %d..%d; it had applied up to %d", who, st.from, st.to, d.last)
			return
		case st.from > d.last+1:
			t.failf(ErrNeverApplied, "%s applies messages %d..%d and skips %d..%d", who, st.from, st.to, d.last+1, st.from-1)
			return
		case st.to > t.queued(c, st.ref.Height):
			t.failf(ErrUnqueued, "%s applies up to message %d; its parent queued %d by the referenced height %d", who, st.to, t.queued(c, st.ref.Height), st.ref.Height)
			return
		}
		d.last = st.to
	}
	first := t.first[c]
	if height < len(first) {
		if f := first[height]; st.from != f.from || st.to != f.to || st.ref != f.ref {
			t.failf(ErrSameHeight, "%s applied %d..%d under parent block %d, an earlier node %d..%d under %d",
				who, st.from, st.to, st.ref.Height, f.from, f.to, f.ref.Height)
		}
		return
	}
	t.first[c] = append(first, st)
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
