package sim

import (
	"errors"
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/consensus/pow"
	"github.com/aspen-chain/aspen/types"
)

// Errors naming the invariants of a chain with probabilistic finality (pow).
var (
	ErrFinalityRewound = errors.New("sim: finality rewound: a node took back a block it had finalized")
	ErrNotHeaviest     = errors.New("sim: a node's final chain is not a prefix of the heaviest chain the honest nodes hold")
	ErrTxLost          = errors.New("sim: a transaction of a dropped block never reached the final chain")
	ErrUnfinalRef      = errors.New("sim: a child applied top-down messages from a parent block that is not final on the parent (a parent reorg could undo them)")
)

// PowParams is how a simulation runs a pow chain: the real pow engine
// (consensus/pow through pow.Kind), every node mining at difficulty 1 (any
// nonce does, so no hashing), its sealer a virtual one that finds a block
// after a random exponential delay in virtual time.
type PowParams struct {
	// Confirmations is how deep a block is final (default 6).
	Confirmations uint64
	// BlockTicks is the mean ticks between blocks of all miners together
	// (default 10). Each miner's hash power is drawn from the seed, between
	// half and one and a half of an equal share.
	BlockTicks float64
	// NodeConfirmations, when set, overrides Confirmations for some nodes
	// (the tests that break finality on purpose).
	NodeConfirmations map[int]uint64
	// Wrap, when set, wraps each node's engine (the tests that sabotage one).
	Wrap func(node int, e *pow.Engine) consensus.Engine
}

func (p PowParams) withDefaults() PowParams {
	if p.Confirmations == 0 {
		p.Confirmations = pow.DefaultConfirmations
	}
	if p.BlockTicks == 0 {
		p.BlockTicks = 10
	}
	return p
}

// Pow adapts the pow engine: made through pow.Kind as the node makes it,
// mining on, difficulty 1, a block final p.Confirmations deep.
func Pow(p PowParams) EngineFactory {
	p = p.withDefaults()
	return EngineFactory{
		Name: pow.Kind.Name,
		New: func(cfg NodeConfig) (consensus.Engine, error) {
			conf := p.Confirmations
			if c, ok := p.NodeConfirmations[cfg.Index]; ok {
				conf = c
			}
			e, err := pow.Kind.New(consensus.Config{
				Subnet: cfg.Subnet, Height: cfg.Height, Head: cfg.Head, HeadHeader: cfg.HeadHeader,
				Mine: true, Confirmations: conf, Difficulty: 1, BlockTimeMs: 1000,
				CheckBody: types.CheckTxRoot,
			})
			if err != nil || p.Wrap == nil {
				return e, err
			}
			return p.Wrap(cfg.Index, e.(*pow.Engine)), nil
		},
		pow: &p,
	}
}

// PowStats is what a pow chain's run did beyond the common Result.
type PowStats struct {
	Sealed      int // blocks the virtual sealers found
	Reorgs      int // head moves that took blocks back, over all nodes
	Dropped     int // blocks taken back
	DroppedTxs  int // transactions in them
	DroppedCkpt int // of which checkpoint submissions (a pow parent)
	MaxDepth    uint64
}

// sealer is a node's virtual miner: a request is found after an
// exponential delay at the node's rate; a newer request replaces it.
type sealer struct {
	s     *simulation
	n     *node
	rate  float64 // blocks per tick
	block *types.Block
	due   uint64
}

var _ consensus.Sealer = (*sealer)(nil)

// Seal draws when b is found. found is not used: the simulator hands the
// sealed block to the driver itself (sealDue) at the tick it is found.
func (v *sealer) Seal(b *types.Block, _ func(*types.Block)) {
	if b == nil {
		v.block = nil
		return
	}
	u := v.s.rng.Float64()
	delay := math.Ceil(-math.Log1p(-u) / v.rate)
	v.block, v.due = b, v.s.now+uint64(max(delay, 1))
	v.s.record('m', uint64(v.n.index), b.Height(), v.due)
}

// Stop abandons the request.
func (v *sealer) Stop() { v.block = nil }

// newSealer is n's sealer for a new incarnation; miners' shares of the
// hash power are drawn once, on first use.
func (s *simulation) newSealer(n *node) *sealer {
	if s.rates == nil {
		total := 0.0
		w := make([]float64, len(s.nodes))
		for i := range w {
			w[i] = 0.5 + s.rng.Float64()
			total += w[i]
		}
		s.rates = make([]float64, len(w))
		for i := range w {
			s.rates[i] = w[i] / total / s.f.pow.BlockTicks
		}
	}
	return &sealer{s: s, n: n, rate: s.rates[n.index]}
}

// sealDue hands every block found by now to its node's driver.
func (s *simulation) sealDue() {
	for _, n := range s.nodes {
		v := n.sealer
		if v == nil || !n.up() || v.block == nil || v.due > s.now || s.fail != nil {
			continue
		}
		h := v.block.Header.Copy()
		h.Seal = pow.Nonce(s.rng.Uint64())
		b := &types.Block{Header: h, Txs: v.block.Txs, Evidence: v.block.Evidence}
		v.block = nil
		s.pstats.Sealed++
		s.record('M', uint64(n.index), b.Height(), b.Hash().Big().Uint64())
		s.logf("n%d sealed %d %x", n.index, b.Height(), b.Hash().Bytes()[:4])
		s.step(n, func(d *driver.Driver) error { return d.HandleSealed(b) })
	}
}

// powKnobs break one honest part of a pow run at a time, for the tests
// that show each pow check can fail.
type powKnobs struct {
	loseDropped   bool // pools forget the transactions of dropped blocks
	bookTentative bool // burned fees are booked when a block is committed tentatively, not when final
	noHeaviest    bool // skip the heaviest-chain check (to see agreement fail on its own)
	tentativeRef  bool // children reference and read the parent's tentative head, not its final block
}

// tentativeCommitted books a block committed as tentative: its work.
func (x executor) tentativeCommitted(b *types.Block) {
	s := x.s
	if s.work == nil {
		s.work = map[common.Hash]uint64{}
	}
	s.work[b.Hash()] = s.work[b.Header.ParentHash] + b.Header.Difficulty
	if s.knobs.bookTentative {
		x.n.app.real.bookFees(b.Header)
	}
}

// finalized moves n's final chain up to the block hash its executor just
// finalized, checking each block as a final one (Validity, Agreement).
func (x executor) finalized(hash common.Hash) error {
	r := x.n.app.real
	b, err := r.store.BlockByHash(hash)
	if err != nil {
		return err
	}
	var blocks []*types.Block
	for h := b.Height(); h > x.n.app.height(); h-- {
		bh, err := r.store.BlockByNumber(h)
		if err != nil {
			return err
		}
		blocks = append([]*types.Block{bh}, blocks...)
	}
	if len(blocks) == 0 || blocks[len(blocks)-1].Hash() != hash {
		return nil // final already (finality never moves down)
	}
	for _, fb := range blocks {
		if !x.s.knobs.bookTentative {
			r.bookFees(fb.Header)
		}
		if !x.s.commit(x.n, consensus.Final{Block: fb}) {
			return errHalted
		}
	}
	return nil
}

// rewinding checks a rewind before the executor does it: never below the
// node's final block.
func (x executor) rewinding(height uint64) error {
	if final := x.n.app.height(); height < final && x.n.honest {
		x.s.failf(ErrFinalityRewound, "node %d rewinds to %d below its final block %d", x.n.index, height, final)
		return errHalted
	}
	return nil
}

// rewound books a rewind that happened.
func (x executor) rewound(from uint64, head *types.Header, dropped []*types.Block) {
	if len(dropped) == 0 {
		return
	}
	st := &x.s.pstats
	st.Reorgs++
	st.Dropped += len(dropped)
	st.MaxDepth = max(st.MaxDepth, from-head.Height)
	for _, b := range dropped {
		st.DroppedTxs += len(b.Txs)
		for _, tx := range b.Txs {
			if sel := x.s.ckptSelector; len(sel) > 0 && len(tx.Data()) >= 4 && string(tx.Data()[:4]) == string(sel) {
				st.DroppedCkpt++
			}
		}
	}
	x.s.record('W', uint64(x.n.index), head.Height, uint64(len(dropped)))
	x.s.logf("n%d rewound to %d, dropping %d blocks", x.n.index, head.Height, len(dropped))
}

// checkHeaviest fails the run when an honest node's newest final block is
// not on the heaviest chain an honest node holds (every such chain, on a
// tie): its whole final chain is then not a prefix of it.
func (s *simulation) checkHeaviest() {
	if s.f.pow == nil || s.knobs.noHeaviest || s.fail != nil {
		return
	}
	var best uint64
	var heads []*node
	for _, n := range s.nodes {
		if !n.honest || n.app.real == nil {
			continue
		}
		w := s.work[n.app.real.exec.Head().Hash()]
		switch {
		case w > best:
			best, heads = w, []*node{n}
		case w == best:
			heads = append(heads, n)
		}
	}
	for _, n := range s.nodes {
		if !n.honest || n.app.real == nil {
			continue
		}
		f := n.app.head()
		for _, m := range heads {
			h, err := m.app.real.store.HeaderByNumber(f.Height())
			if err != nil || h.Hash() != f.Hash() {
				s.failf(ErrNotHeaviest, "node %d finalized %x at height %d; node %d holds the heaviest chain (work %d) without it",
					n.index, f.Hash().Bytes()[:4], f.Height(), m.index, best)
				return
			}
		}
	}
}

// checkReinjected fails the run when a transaction the driver gave back to
// a pool (from a dropped block) is not on the final chain of the most
// advanced honest node, once everything settled.
func (s *simulation) checkReinjected(best *node) {
	if s.fail != nil {
		return
	}
	final := map[common.Hash]bool{}
	for _, f := range best.app.chain {
		for _, tx := range f.Block.Txs {
			final[tx.Hash()] = true
		}
	}
	for _, n := range s.nodes {
		if !n.honest || n.app.real == nil {
			continue
		}
		for _, tx := range n.app.real.reinjected {
			if !final[tx.Hash()] {
				s.failf(ErrTxLost, "node %d gave back transaction %s of a dropped block; it is not final on node %d (height %d)",
					n.index, tx.Hash(), best.index, best.app.height())
				return
			}
		}
	}
}

// reinject records what the driver gave back to n's pool; a broken pool
// (forgetBack) makes every pool of the chain forget them.
func (a *evmApp) reinject(txs []*gethtypes.Transaction) {
	a.reinjected = append(a.reinjected, txs...)
	if a.forgetBack {
		if a.work.forgotten == nil {
			a.work.forgotten = map[common.Hash]bool{}
		}
		for _, tx := range txs {
			a.work.forgotten[tx.Hash()] = true
		}
	}
}

func (st PowStats) String() string {
	return fmt.Sprintf("sealed %d, reorgs %d (deepest %d), dropped %d blocks with %d txs (%d checkpoints)", st.Sealed, st.Reorgs, st.MaxDepth, st.Dropped, st.DroppedTxs, st.DroppedCkpt)
}
