package sim

import (
	"fmt"
	"math/big"
	"path/filepath"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// evmApp is the application of one node for one chain of an EVM tree: the
// real executor (execution/evm with the gateway) over the node's own Pebble
// store. It survives crashes, as a node's disk does.
type evmApp struct {
	exec  *evm.Executor
	store *store.Store
	work  *evmWork // the chain's scheduled transactions
	// down counts, per committed block, the top-down messages applied
	// (CrossMsgApplied system logs) against the gateway's applied nonce.
	downApplied uint64
	feesBurned  *big.Int // base fees of the committed blocks
	// reinjected are the transactions the driver gave back to the pool
	// from blocks a reorg dropped; forgetBack (broken pools, for the
	// tests) forgets them (evmWork.forgotten).
	reinjected []*gethtypes.Transaction
	forgetBack bool
}

// sched is one transaction the workload submits to every pool of a chain at a tick.
type sched struct {
	at   uint64
	from common.Address
	tx   *gethtypes.Transaction
}

// evmWork is a chain's workload: transactions every node's pool holds
// from their tick on, until the node's head state has used their nonce.
type evmWork struct {
	txs []sched
	now *uint64
	// forgotten are transactions broken pools forgot (powKnobs.loseDropped).
	forgotten map[common.Hash]bool
}

func (w *evmWork) add(at uint64, from common.Address, tx *gethtypes.Transaction) {
	w.txs = append(w.txs, sched{at, from, tx})
}

// pending is what n's pool holds: due transactions whose nonce its head
// state has not used, by sender then nonce.
func (w *evmWork) pending(x *evm.Executor) []sched { return w.pendingAt(x, nil, nil) }

// pendingAt is pending against the state of header (nil: the head),
// leaving out the transactions in forgotten.
func (w *evmWork) pendingAt(x *evm.Executor, header *types.Header, forgotten map[common.Hash]bool) []sched {
	var out []sched
	nonces := map[common.Address]uint64{}
	for _, s := range w.txs {
		if s.at > *w.now || forgotten[s.tx.Hash()] {
			continue
		}
		n, ok := nonces[s.from]
		if !ok {
			n, _ = x.Nonce(header, s.from)
			nonces[s.from] = n
		}
		if s.tx.Nonce() >= n {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].from != out[j].from {
			return out[i].from.Cmp(out[j].from) < 0
		}
		return out[i].tx.Nonce() < out[j].tx.Nonce()
	})
	return out
}

// evmPool is one node's pool over the chain's workload.
type evmPool struct{ a *evmApp }

func (p evmPool) Source() execution.TxSource {
	return &listSource{txs: p.a.work.pendingAt(p.a.exec, nil, p.a.work.forgotten)}
}
func (p evmPool) Status() consensus.PoolStatus {
	return consensus.PoolStatus{Pending: len(p.a.work.pendingAt(p.a.exec, nil, p.a.work.forgotten))}
}

// Reinject only records what it is given (the run checks each reaches the
// final chain): the workload keeps every transaction until the node's head
// state used its nonce, so a rewound one is offered again.
func (p evmPool) Reinject(txs []*gethtypes.Transaction) { p.a.reinject(txs) }

// listSource hands out txs in order; Pop skips the rest of a sender's.
type listSource struct {
	txs []sched
	i   int
}

func (s *listSource) Peek() (*gethtypes.Transaction, common.Address) {
	if s.i >= len(s.txs) {
		return nil, common.Address{}
	}
	return s.txs[s.i].tx, s.txs[s.i].from
}

func (s *listSource) Shift() { s.i++ }

func (s *listSource) Pop() {
	from := s.txs[s.i].from
	for s.i < len(s.txs) && s.txs[s.i].from == from {
		s.i++
	}
}

// committed books a block the executor committed: the base fees it burned
// and the top-down messages it applied, each exactly once and in order
// (the gateway's applied nonce moves by the number of CrossMsgApplied logs).
func (a *evmApp) committed(e *execution.Executed, applied common.Hash) error {
	h := e.Block.Header
	a.bookFees(h)
	gs, err := a.exec.GatewayState(h)
	if err != nil {
		return err
	}
	var logs uint64
	for _, l := range e.SystemLogs {
		if len(l.Topics) > 0 && l.Topics[0] == applied {
			logs++
		}
	}
	now := gateway.AppliedTopDown(gs)
	if now != a.downApplied+logs {
		return fmt.Errorf("block %d applied %d top-down messages, the applied nonce moved from %d to %d", h.Height, logs, a.downApplied, now)
	}
	a.downApplied = now
	return nil
}

// bookFees adds the base fees block h burned.
func (a *evmApp) bookFees(h *types.Header) {
	if h.BaseFee != nil {
		a.feesBurned.Add(a.feesBurned, new(big.Int).Mul(h.BaseFee, new(big.Int).SetUint64(h.GasUsed)))
	}
}

// parentChain serves a child executor the messages its parent queued, from
// this node's own application of the parent chain, as node/topdown.go does
// over a runtime: the reference must be final here.
type parentChain struct {
	parent       *app
	self, child  types.SubnetID
	maxPerAnswer int
	tentative    bool // broken (tests): serve the parent's tentative head too
}

var _ evm.ParentChain = parentChain{}

func (p parentChain) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	var hdr *types.Header
	switch {
	case p.tentative:
		h, err := p.parent.real.store.HeaderByNumber(ref.Height)
		if err != nil {
			return nil, fmt.Errorf("parent block %d: %w", ref.Height, err)
		}
		hdr = h
	case ref.Height > p.parent.height():
		return nil, fmt.Errorf("parent block %d is not final here yet", ref.Height)
	default:
		hdr = p.parent.chain[ref.Height].Block.Header
	}
	if hdr.Hash() != ref.Hash {
		return nil, fmt.Errorf("parent block %d is %s here, not %s", ref.Height, hdr.Hash(), ref.Hash)
	}
	gs, err := p.parent.real.exec.GatewayState(hdr)
	if err != nil {
		return nil, err
	}
	return gateway.ReadTopDown(gs, p.self, p.child, from, p.maxPerAnswer)
}

// childView reads one node's final chain of a child for xnet.Build, the
// way the node's relay does (gateway.CheckpointView).
func childView(a *app, id types.SubnetID) gateway.CheckpointView {
	header := func(h uint64) (*types.Header, error) {
		if h > a.height() {
			return nil, fmt.Errorf("block %d of %s is not final here yet", h, id)
		}
		return a.chain[h].Block.Header, nil
	}
	return gateway.CheckpointView{Subnet: id, HeaderAt: header, StateAt: func(h uint64) (gateway.StateReader, error) {
		hdr, err := header(h)
		if err != nil {
			return nil, err
		}
		return a.real.exec.GatewayState(hdr)
	}}
}

// chain makes the simulation of chain c: each of its nodes' own store and
// executor, the root's replaying the bootstrap blocks.
func (t *evmTree) chain(c int, boot []consensus.Final, byz map[int]bool, dir string) (*simulation, error) {
	id := t.ids[c]
	csc := t.sc.Scenario
	csc.Name = t.sc.Name + " " + string(id)
	csc.Nodes, csc.Partitions, csc.Crashes = len(t.members[c]), false, 0
	f := BFT()
	if c == 0 && t.sc.Pow != nil {
		f = Pow(*t.sc.Pow)
	}
	s := emptySimulation(t.seed, csc, f, t.rng, id)
	s.appliedTopic = t.gw.Events["CrossMsgApplied"].ID
	s.knobs = t.knobs
	s.ckptSelector = t.gw.Methods["submitCheckpoint"].ID
	if c > 0 && t.sc.Pow != nil {
		s.refCheck = t.finalOnRoot
	}
	gen := t.rootGen
	if c > 0 {
		g, err := t.childGenesis(t.cgs[c], t.chains[0].nodes[0].app.chain[t.cgs[c].ActivatedAt].Block.Header)
		if err != nil {
			return nil, err
		}
		gen = g
	}
	var vals []consensus.Validator
	for i, p := range t.members[c] {
		key, err := t.blsKey(c, p)
		if err != nil {
			return nil, err
		}
		addr := t.acct(p)
		st, err := store.Open(filepath.Join(dir, fmt.Sprintf("n%d", p), fmt.Sprint(c)))
		if err != nil {
			return s, err
		}
		a := &app{subnet: id, proposer: addr, real: &evmApp{store: st, work: t.work[c], feesBurned: new(big.Int), forgetBack: t.knobs.loseDropped}}
		n := &node{index: i, id: fmt.Sprintf("n%d", i), key: key, honest: !byz[p], app: a}
		s.nodes = append(s.nodes, n)
		opts := evm.Options{StateCacheMB: 4}
		if c > 0 {
			a.up = t.chains[0].nodes[p].app // the root's local index is the physical node
			opts.Parent = parentChain{parent: a.up, self: evmRoot, child: id, maxPerAnswer: 256, tentative: t.knobs.tentativeRef}
			a.real.downApplied = gen.TopDownNonce
		}
		if t.jury != nil {
			t.juryOptions(c, &opts)
		}
		x, err := evm.New(st, gen, opts)
		if err != nil {
			return s, err
		}
		a.real.exec = x
		g, err := st.BlockByNumber(0)
		if err != nil {
			return s, err
		}
		a.chain = []consensus.Final{{Block: g}}
		for _, f := range boot {
			e, err := x.Execute(f.Block)
			if err != nil {
				return s, err
			}
			if err := x.Commit(e, f.Commit); err != nil {
				return s, err
			}
			if err := a.real.committed(e, s.appliedTopic); err != nil {
				return s, err
			}
			a.chain = append(a.chain, f)
		}
		s.byID[n.id] = i
		s.res.Honest = append(s.res.Honest, n.honest)
		vals = append(vals, consensus.Validator{Address: addr, BLSPublicKey: key.PublicKey().Bytes(), Power: gen.Validators[i].VotingPower()})
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		return s, err
	}
	s.vs = vs
	s.genesis = s.nodes[0].app.chain[0].Block
	for h, f := range s.nodes[0].app.chain {
		s.finals[uint64(h)] = f.Block.Hash()
		s.built[f.Block.Hash()] = true
	}
	return s, nil
}
