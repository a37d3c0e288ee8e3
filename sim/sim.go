package sim

import (
	"encoding/binary"
	"fmt"
	"hash"
	"math/rand/v2"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// simulation is one run: every node, the network, the fault schedule and
// what the invariant checks remember. One goroutine owns all of it.
type simulation struct {
	seed   uint64
	sc     Scenario
	f      EngineFactory
	rng    *rand.Rand
	net    *network
	subnet types.SubnetID
	vs     *consensus.ValidatorSet
	nodes  []*node
	byID   map[string]int
	now    uint64

	genesis  *types.Block
	built    map[common.Hash]bool // every block some application built
	forks    map[forkKey][]common.Hash
	finals   map[uint64]common.Hash // height -> the hash honest nodes finalized
	votes    map[voteKey]common.Hash
	verified map[common.Hash]bool // commits that passed VerifyCommit, by hash of their encoding
	pairs    map[int]*pair
	splits   map[splitKey][]int // byzantine node, height, round -> the others, first half first
	events   []event
	next     int    // index of the next event to apply
	stable   uint64 // tick the last fault ends
	atStable []uint64
	dueAt    uint64 // tick an equivocation first reached an honest node whole

	// appliedTopic is the gateway's CrossMsgApplied event (EVM trees).
	appliedTopic common.Hash

	trace hash.Hash
	res   *Result
	fail  *Failure

	// A pow chain's: each miner's rate, what the run did, the knobs that
	// break it, every committed block's cumulative work, and (a child of
	// a pow parent) the check of a block's parent reference.
	rates    []float64
	pstats   PowStats
	knobs    powKnobs
	work     map[common.Hash]uint64
	refCheck func(ref types.ParentRef) error
	// ckptSelector is the gateway's submitCheckpoint selector (EVM trees).
	ckptSelector []byte
	// meter, when set (scale runs), counts what the network delivers.
	meter *chainMeter
}

type voteKey struct {
	validator int
	height    uint64
	round     uint32
	typ       uint8
}

type splitKey struct {
	node   int
	height uint64
	round  uint32
}

// pair is one byzantine equivocation: which honest nodes got which half.
type pair struct {
	height uint64
	got    map[int]uint8 // node -> bit 1 (half A) | bit 2 (half B)
}

// Run simulates scenario sc with engines from factory, everything drawn
// from seed, and checks the invariants. It returns the result and, when an
// invariant failed, a *Failure wrapping the ErrX naming it.
func Run(seed uint64, sc Scenario, factory EngineFactory) (*Result, error) {
	sc = sc.withDefaults()
	if err := sc.validate(); err != nil {
		return nil, err
	}
	if factory.New == nil {
		return nil, fmt.Errorf("%w: the engine factory has no New", ErrScenario)
	}
	s, err := newSimulation(seed, sc, factory)
	if err != nil {
		return nil, err
	}
	s.run()
	s.finish()
	if s.fail != nil {
		s.res.Err = s.fail
		return s.res, s.fail
	}
	return s.res, nil
}

func newSimulation(seed uint64, sc Scenario, f EngineFactory) (*simulation, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s, err := newChain(seed, sc, f, rng, "/sim", 0)
	if err != nil {
		return nil, err
	}
	s.schedule()
	if err := s.startAll(); err != nil {
		return nil, err
	}
	return s, nil
}

// emptySimulation makes the empty bookkeeping of one chain's simulation.
func emptySimulation(seed uint64, sc Scenario, f EngineFactory, rng *rand.Rand, subnet types.SubnetID) *simulation {
	return &simulation{
		seed: seed, sc: sc, f: f, rng: rng,
		net:      &network{rng: rng, loss: sc.Loss, dup: sc.Dup, minDelay: sc.MinDelay, maxDelay: sc.MaxDelay},
		subnet:   subnet,
		byID:     map[string]int{},
		built:    map[common.Hash]bool{},
		forks:    map[forkKey][]common.Hash{},
		finals:   map[uint64]common.Hash{},
		votes:    map[voteKey]common.Hash{},
		verified: map[common.Hash]bool{},
		splits:   map[splitKey][]int{},
		pairs:    map[int]*pair{},
		trace:    gethcrypto.NewKeccakState(),
		res:      &Result{Seed: seed, Scenario: sc},
	}
}

// newChain makes the nodes of one chain, not yet started, with no faults
// scheduled: validator i's key is drawn from the seed and keySlot+i.
func newChain(seed uint64, sc Scenario, f EngineFactory, rng *rand.Rand, subnet types.SubnetID, keySlot int) (*simulation, error) {
	s := emptySimulation(seed, sc, f, rng, subnet)
	s.genesis = genesisBlock(s.subnet)
	s.finals[0] = s.genesis.Hash()

	// Byzantine seats are drawn from the seed, so every seat gets its turn.
	byz := map[int]bool{}
	for _, i := range rng.Perm(sc.Nodes)[:sc.Byzantine] {
		byz[i] = true
	}
	var vals []consensus.Validator
	for i := 0; i < sc.Nodes; i++ {
		key, err := deriveKey(seed, keySlot+i)
		if err != nil {
			return nil, err
		}
		pub := key.PublicKey()
		addr := common.BytesToAddress(gethcrypto.Keccak256(pub[:])[12:])
		n := &node{
			index: i, id: fmt.Sprintf("n%d", i), key: key, honest: !byz[i],
			app: &app{subnet: s.subnet, proposer: addr, chain: []consensus.Final{{Block: s.genesis}}},
		}
		s.nodes = append(s.nodes, n)
		s.byID[n.id] = i
		s.res.Honest = append(s.res.Honest, n.honest)
		vals = append(vals, consensus.Validator{Address: addr, BLSPublicKey: pub.Bytes(), Power: 1})
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		return nil, err
	}
	s.vs = vs
	return s, nil
}

// addFollowers adds k nodes that run the chain without a seat, after the
// validators: no key, so a bft engine follows (finalizes on the
// validators' certificates) and never votes or proposes.
func (s *simulation) addFollowers(k int) {
	for j := 0; j < k; j++ {
		i := len(s.nodes)
		n := &node{
			index: i, id: fmt.Sprintf("n%d", i), honest: true,
			app: &app{subnet: s.subnet, chain: []consensus.Final{{Block: s.genesis}}},
		}
		s.nodes = append(s.nodes, n)
		s.byID[n.id] = i
		s.res.Honest = append(s.res.Honest, true)
	}
}

// deriveKey makes validator i's BLS key from the seed: 32 bytes of keccak
// with the top bits cleared, so the scalar is below the group order.
func deriveKey(seed uint64, i int) (*crypto.BLSSecretKey, error) {
	var in [16]byte
	binary.BigEndian.PutUint64(in[:8], seed)
	binary.BigEndian.PutUint64(in[8:], uint64(i))
	b := gethcrypto.Keccak256([]byte("aspen-sim validator"), in[:])
	b[0] &= 0x3f
	if b[31] == 0 {
		b[31] = 1
	}
	return crypto.BLSSecretKeyFromBytes(b)
}

// event is one scheduled fault.
type event struct {
	at   uint64
	kind int // evPartition, evHeal, evCrash, evRestart
	node int
	torn bool  // evCrash: die right after the next WAL write, before sending
	side []int // evPartition
}

const (
	evPartition = iota
	evHeal
	evCrash
	evRestart
)

// schedule draws the faults from the seed.
func (s *simulation) schedule() {
	var honest []int
	for _, n := range s.nodes {
		if n.honest {
			honest = append(honest, n.index)
		}
	}
	s.events = drawFaults(s.sc, s.rng, honest)
	for _, e := range s.events {
		s.stable = max(s.stable, e.at)
	}
	s.res.Stable = s.stable
}

// drawFaults draws sc's partitions and crashes of the honest nodes, sorted by time.
func drawFaults(sc Scenario, rng *rand.Rand, honest []int) []event {
	var events []event
	if sc.Partitions {
		at := 10 + rng.Uint64N(40)
		for k := 0; k < 1+rng.IntN(2); k++ {
			side := make([]int, sc.Nodes)
			perm := rng.Perm(sc.Nodes)
			cut := 1 + rng.IntN(sc.Nodes-1)
			if sc.Isolate {
				cut = 1
			}
			for _, i := range perm[:cut] {
				side[i] = 1
			}
			heal := at + 30 + rng.Uint64N(80)
			events = append(events, event{at: at, kind: evPartition, side: side}, event{at: heal, kind: evHeal})
			at = heal + 10 + rng.Uint64N(30)
		}
	}
	busyUntil := map[int]uint64{}
	for k := 0; k < sc.Crashes; k++ {
		i := honest[rng.IntN(len(honest))]
		at := 5 + rng.Uint64N(60)
		if at <= busyUntil[i] {
			at = busyUntil[i] + 5 + rng.Uint64N(20)
		}
		up := at + 15 + rng.Uint64N(60)
		busyUntil[i] = up
		events = append(events, event{at: at, kind: evCrash, node: i, torn: rng.IntN(2) == 0}, event{at: up, kind: evRestart, node: i})
	}
	sort.SliceStable(events, func(a, b int) bool { return events[a].at < events[b].at })
	return events
}

func (s *simulation) failf(err error, format string, args ...any) {
	if s.fail == nil {
		s.fail = &Failure{Seed: s.seed, Scenario: s.sc.Name, Tick: s.now, Err: fmt.Errorf("%w: "+format, append([]any{err}, args...)...)}
	}
}

// logf writes one line to Scenario.Log, when set.
func (s *simulation) logf(format string, args ...any) {
	if s.sc.Log != nil {
		fmt.Fprintf(s.sc.Log, "%5d "+format+"\n", append([]any{s.now}, args...)...)
	}
}

func (s *simulation) describe(payload []byte) string {
	if s.f.Describe == nil {
		return fmt.Sprintf("%d bytes", len(payload))
	}
	return s.f.Describe(payload)
}

// logStatus logs every node's chain height and, when the engine tells, the
// height and round it is deciding.
func (s *simulation) logStatus() {
	if s.sc.Log == nil {
		return
	}
	line := "status"
	for _, n := range s.nodes {
		line += fmt.Sprintf(" n%d:%d", n.index, n.app.height())
		if hr, ok := n.engine.(interface {
			Height() uint64
			Round() uint32
		}); ok {
			line += fmt.Sprintf("(%d/%d)", hr.Height(), hr.Round())
		} else if !n.up() {
			line += "(down)"
		}
	}
	s.logf("%s", line)
}

func (s *simulation) record(kind byte, vals ...uint64) {
	var b [9]byte
	b[0] = kind
	s.trace.Write(b[:1])
	for _, v := range vals {
		binary.BigEndian.PutUint64(b[1:], v)
		s.trace.Write(b[1:])
	}
}

// run advances virtual time until every honest node has made the progress
// the scenario asks for, or the budget is spent, or an invariant fails.
func (s *simulation) run() {
	for ; s.fail == nil; s.now++ {
		s.applyDue()
		s.tick()
		if s.done() {
			break
		}
		if s.now > s.stable+s.sc.MaxTicks {
			s.failf(ErrProgress, "%s", s.lagging())
		}
	}
	s.res.Ticks = s.now
}

// applyDue performs the faults scheduled for now.
func (s *simulation) applyDue() {
	for s.next < len(s.events) && s.events[s.next].at == s.now {
		s.apply(s.events[s.next])
		s.next++
	}
}

// done reports whether the run may end: faults over, progress made, evidence settled.
func (s *simulation) done() bool {
	return s.now >= s.stable && s.progressed() && s.evidenceSettled()
}

// tick is one unit of virtual time after the faults: deliver what is due,
// tick every engine, then block-sync and check evidence.
func (s *simulation) tick() {
	for env := s.net.next(s.now); env != nil && s.fail == nil; env = s.net.next(s.now) {
		s.deliver(env)
	}
	if s.f.pow != nil {
		s.sealDue()
	}
	for _, n := range s.nodes {
		s.step(n, (*driver.Driver).Tick)
	}
	for _, n := range s.nodes {
		if n.crashing && n.up() {
			s.crash(n) // a torn crash that saw no WAL write this tick
		}
		if n.up() && s.fail == nil {
			s.maybeSync(n)
		}
	}
	if s.now%5 == 0 {
		s.pollEvidence()
	}
	if s.now%20 == 0 {
		s.logStatus()
	}
	s.checkHeaviest()
	if s.now == s.stable {
		s.atStable = s.heights()
	}
	if s.now%5 == 0 {
		s.checkEvidence()
	}
}

func (s *simulation) heights() []uint64 {
	hs := make([]uint64, len(s.nodes))
	for i, n := range s.nodes {
		hs[i] = n.app.height()
	}
	return hs
}

// progressed reports whether every honest node is up and reached the heights asked for.
func (s *simulation) progressed() bool {
	for i, n := range s.nodes {
		if !n.honest {
			continue
		}
		h := n.app.height()
		if !n.up() || h < s.sc.Heights || h < s.atStable[i]+s.sc.Progress {
			return false
		}
	}
	return true
}

// evidenceWait is how long, in ticks, evidence of an equivocation that
// reached an honest node whole may take to show up in an honest engine or a
// final block before the run fails with ErrNoEvidence.
const evidenceWait = 100

// evidenceSettled reports whether the run may end as far as evidence goes:
// no equivocation reached an honest node whole, or evidence of it was seen.
func (s *simulation) evidenceSettled() bool {
	s.pollEvidence()
	return !s.res.EvidenceDue || s.res.EvidenceSeen
}

// checkEvidence fails the run when evidence is overdue.
func (s *simulation) checkEvidence() {
	if s.res.EvidenceDue && !s.res.EvidenceSeen && s.now >= s.dueAt+evidenceWait {
		s.pollEvidence()
		if !s.res.EvidenceSeen {
			s.failf(ErrNoEvidence, "%d equivocations sent; both halves of one reached an honest node at its height at tick %d, no evidence %d ticks later", s.res.Equivocations, s.dueAt, evidenceWait)
		}
	}
}

func (s *simulation) lagging() string {
	msg := fmt.Sprintf("after %d ticks past the last fault (tick %d), heights", s.sc.MaxTicks, s.stable)
	for i, n := range s.nodes {
		tag := ""
		if !n.honest {
			tag = " byzantine"
		}
		msg += fmt.Sprintf(" n%d=%d (at stable %d%s)", i, n.app.height(), s.atStable[i], tag)
	}
	msg += fmt.Sprintf("; want each honest node at >= %d and >= %d more than at stable", s.sc.Heights, s.sc.Progress)
	if s.res.EvidenceDue && !s.res.EvidenceSeen {
		msg += "; also no evidence yet of a delivered equivocation"
	}
	return msg
}

// apply performs one scheduled fault.
func (s *simulation) apply(e event) {
	s.record('F', uint64(e.kind), uint64(e.node))
	s.logf("fault %s node %d torn %v sides %v", [...]string{"partition", "heal", "crash", "restart"}[e.kind], e.node, e.torn, e.side)
	switch e.kind {
	case evPartition:
		s.net.side = e.side
	case evHeal:
		s.net.side = nil
	case evCrash:
		n := s.nodes[e.node]
		if e.torn {
			n.crashing = true
		} else {
			s.crash(n)
		}
	case evRestart:
		n := s.nodes[e.node]
		if n.crashing && n.up() {
			s.crash(n)
		}
		if err := s.start(n, true); err != nil {
			s.failf(ErrProgress, "node %d cannot restart: %v", n.index, err)
		}
	}
}

func (s *simulation) finish() {
	s.pollEvidence()
	s.res.Heights = s.heights()
	s.res.Delivered, s.res.Lost, s.res.Duplicated = s.net.delivered, s.net.lost, s.net.duplicated
	copy(s.res.Trace[:], s.trace.Sum(nil))
	if s.fail != nil {
		return
	}
	// Agreement across whole chains, not only at commit time: every honest
	// chain is a prefix of the recorded final hashes.
	for _, n := range s.nodes {
		if !n.honest {
			continue
		}
		for h, f := range n.app.chain {
			if want := s.finals[uint64(h)]; f.Block.Hash() != want {
				s.failf(ErrAgreement, "node %d holds %x at height %d, others finalized %x", n.index, f.Block.Hash().Bytes()[:4], h, want[:4])
				return
			}
		}
	}
}
