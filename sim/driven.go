package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// Every simulated node runs the real consensus driver (consensus/driver),
// stepped by the simulator: no goroutine of its own, the virtual clock, the
// virtual network as its transport, an in-memory WAL that survives crashes,
// and the node's application as its executor. What the driver does with a
// Ready — persist before send, commit final blocks, build, verify, defer
// blocks ahead of the parent chain, block sync — is the code that ships.

// errTorn is what the WAL of a node dying in a torn crash returns after the
// write: the entries are on disk, the driver stops before sending them.
var errTorn = errors.New("sim: torn crash after the WAL write")

// errHalted is what a node's executor returns when the simulator stopped
// the run while the driver committed a block (an invariant failed).
var errHalted = errors.New("sim: run stopped by a failed invariant")

// walRecord is one entry of the in-memory WAL with the height it was made at.
type walRecord struct {
	height uint64
	entry  []byte
}

// memWAL is consensus/wal without the file: Append keeps entries with their
// height, Truncate drops those at heights up to a final one, Entries gives
// the rest for replay. It belongs to the node, not to one incarnation.
type memWAL struct {
	n    *node
	recs []walRecord
}

var _ driver.WAL = (*memWAL)(nil)

// Append keeps entries; a node in a torn crash dies right after.
func (w *memWAL) Append(height uint64, entries [][]byte) error {
	for _, e := range entries {
		w.recs = append(w.recs, walRecord{height, append([]byte(nil), e...)})
	}
	if w.n.crashing && len(entries) > 0 {
		return errTorn
	}
	return nil
}

// Truncate drops the entries made at heights up to and including height.
func (w *memWAL) Truncate(height uint64) error {
	keep := w.recs[:0]
	for _, r := range w.recs {
		if r.height > height {
			keep = append(keep, r)
		}
	}
	w.recs = keep
	return nil
}

// Entries returns copies of the entries made at heights above after.
func (w *memWAL) Entries(after uint64) [][]byte {
	var out [][]byte
	for _, r := range w.recs {
		if r.height > after {
			out = append(out, append([]byte(nil), r.entry...))
		}
	}
	return out
}

// transport is one node's side of the virtual network.
type transport struct {
	s *simulation
	n *node
}

var _ driver.Transport = transport{}

func (t transport) Broadcast(data []byte) error {
	t.s.sendLogged(t.n, consensus.Outbound{Payload: data})
	return nil
}

func (t transport) Send(peer string, data []byte) error {
	t.s.sendLogged(t.n, consensus.Outbound{To: peer, Payload: data})
	return nil
}

// clock is the virtual clock: MsPerTick milliseconds per tick.
type clock struct{ s *simulation }

var _ driver.Clock = clock{}

func (c clock) Now() time.Time { return time.UnixMilli(int64(c.s.now * c.s.sc.MsPerTick)) }

// NewTimer is never called: a stepped driver gets its ticks from the simulator.
func (clock) NewTimer(time.Duration) (<-chan time.Time, func()) {
	panic("sim: a stepped driver asked for a timer")
}

// emptyPool is the pool of a simulated node: no transactions.
type emptyPool struct{}

func (emptyPool) Source() execution.TxSource   { return emptySource{} }
func (emptyPool) Status() consensus.PoolStatus { return consensus.PoolStatus{} }

// Reinject has nothing to take back: the simulated engines never rewind.
func (emptyPool) Reinject([]*gethtypes.Transaction) {}

type emptySource struct{}

func (emptySource) Peek() (*gethtypes.Transaction, common.Address) { return nil, common.Address{} }
func (emptySource) Shift()                                         {}
func (emptySource) Pop()                                           {}

// executor is one node's application seen as the driver's executor. Commit
// is where the simulator checks a final block (Validity, Agreement,
// evidence) before the application keeps it.
type executor struct {
	s *simulation
	n *node
}

var _ execution.Executor = executor{}

func (x executor) Build(parent *types.Header, attrs execution.Attributes, txs execution.TxSource) (*execution.Executed, error) {
	if r := x.n.app.real; r != nil {
		e, err := r.exec.Build(parent, attrs, txs)
		if err != nil {
			return nil, err
		}
		x.s.built[e.Block.Hash()] = true
		x.n.app.lastBuilt = e.Block
		return e, nil
	}
	b, err := x.n.app.build(parent, attrs)
	if err != nil {
		return nil, err
	}
	if x.s.f.OnBuilt != nil {
		x.s.f.OnBuilt(x.n.index, b)
	}
	x.s.built[b.Hash()] = true
	return &execution.Executed{Block: b}, nil
}

func (x executor) Execute(b *types.Block) (*execution.Executed, error) {
	if r := x.n.app.real; r != nil {
		return r.exec.Execute(b)
	}
	if err := x.n.app.verify(b); err != nil {
		return nil, fmt.Errorf("%w: %w", execution.ErrInvalidBlock, err)
	}
	return &execution.Executed{Block: b}, nil
}

func (x executor) Commit(e *execution.Executed, c *types.Commit) error {
	if r := x.n.app.real; r != nil {
		// The block is durable first, as in the node; the checks follow.
		if err := r.exec.Commit(e, c); err != nil {
			return err
		}
		if err := r.committed(e, x.s.appliedTopic); err != nil {
			x.s.failf(ErrExactlyOnce, "node %d: %v", x.n.index, err)
			return errHalted
		}
		if x.s.refCheck != nil && x.n.honest {
			if err := x.s.refCheck(e.Block.Header.ParentRef); err != nil {
				x.s.failf(ErrUnfinalRef, "node %d, block %d: %v", x.n.index, e.Block.Height(), err)
				return errHalted
			}
		}
	}
	if !x.s.commit(x.n, consensus.Final{Block: e.Block, Commit: c}) {
		return errHalted
	}
	return nil
}

// newDriver makes n's driver for engine e on the app's head, replaying the
// WAL entries above it.
func (s *simulation) newDriver(n *node, e consensus.Engine) *driver.Driver {
	cfg := driver.Config{
		Proposer: n.app.proposer,
		Clock:    clock{s},
		// Every engine keeps its NextTick's word: the real node sleeps on it.
		StrictTicks: true,
		Log:         s.driverLog(n),
		WAL:         &n.wal,
		Replay:      n.wal.Entries(n.app.height()),
		Transport:   transport{s, n},
		OnSyncTo: func(h uint64) {
			s.logf("n%d SyncTo %d at height %d", n.index, h, n.app.height())
			n.syncTo = max(n.syncTo, h)
		},
		OnStepError: func(err error) {
			if s.sc.Log != nil {
				s.logf("n%d refused: %v", n.index, err)
			}
		},
	}
	var pool driver.Pool = emptyPool{}
	if r := n.app.real; r != nil {
		pool = evmPool{r}
	}
	if up := n.app.up; up != nil {
		cfg.ParentRef = func() types.ParentRef {
			h := up.head().Header
			if s.knobs.tentativeRef {
				h = up.real.exec.Head()
			}
			return types.ParentRef{Height: h.Height, Hash: h.Hash()}
		}
	}
	if td := n.app.td; td != nil && td.parent != nil && !td.t.knobs.acceptUnfinal {
		// The driver defers verdicts on blocks referencing a parent block
		// above this node's final parent head (acceptUnfinal: never).
		cfg.ParentRef = func() types.ParentRef {
			h := td.parent.head()
			return types.ParentRef{Height: h.Height(), Hash: h.Hash()}
		}
	}
	head := n.app.head().Header
	if r := n.app.real; r != nil {
		head = r.exec.Head() // above the final block when blocks are tentative (pow)
	}
	if s.f.pow != nil {
		n.sealer = s.newSealer(n)
		cfg.Sealer = n.sealer
	}
	return driver.New(cfg, e, executor{s, n}, pool, head)
}

// driverLog sends the driver's log to Scenario.Log, or nowhere.
func (s *simulation) driverLog(n *node) *slog.Logger {
	if s.sc.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(s.sc.Log, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", n.index, "subnet", string(s.subnet))
}

// step hands n's driver one input. A torn crash ends the node; any other
// error the driver returns is fatal for it, as in the real node: for an
// honest node a Validity failure, unless an invariant already failed.
func (s *simulation) step(n *node, input func(d *driver.Driver) error) {
	if !n.up() || s.fail != nil {
		return
	}
	err := input(n.drv)
	switch {
	case err == nil:
	case errors.Is(err, errTorn):
		s.crash(n)
	case s.fail != nil:
	case n.honest:
		s.failf(ErrValidity, "the driver of node %d stopped: %v", n.index, err)
	default:
		s.logf("byzantine n%d stops: %v", n.index, err)
		n.drv, n.engine = nil, nil
	}
}
