package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// The subnet manager: after every block of any runtime, the node reads that
// chain's gateway and starts a runtime for each active child in which it
// holds a seat, and stops a child's runtime (deleting its storage) when the
// child is killed. Children are found the same way one level further down,
// so the node follows the tree as deep as its seats go.

// retryStart is how long the manager waits before starting again a subnet
// whose start or runtime failed (its genesis is not readable yet, its
// storage failed...); each further failure doubles it, up to retryMax.
const (
	retryStart = 30 * time.Second
	retryMax   = 16 * retryStart
)

// childIdleInterval is how often an idle subnet makes an empty block,
// unless its stall window asks for more (childRest).
const childIdleInterval = 30 * time.Second

// childRest is the longest an idle subnet goes without a block. A resting
// subnet still owes its parent a checkpoint within its stall window (the
// escape hatch freezes it otherwise), and it cuts one only every period
// blocks: so its heartbeats come often enough that a period of them spans
// at most a quarter of the window's parent blocks. The rest of the window
// is the relayer's, and a busy or fast parent's. A window too short for
// even one block time per heartbeat gets block-time heartbeats: the
// subnet then stays live only while its parent is slower than it.
func childRest(blockTime, parentBlockTime time.Duration, period uint32, stallWindow uint64) time.Duration {
	rest := max(childIdleInterval, blockTime)
	if parentBlockTime <= 0 || stallWindow == 0 {
		return rest
	}
	beat := stallWindow / uint64(max(period, 1)) / 4 // parent blocks per heartbeat
	if beat >= uint64(rest/parentBlockTime) {
		return rest // the window is long enough for the default heartbeat
	}
	return max(blockTime, time.Duration(beat)*parentBlockTime)
}

// wakeChildren tells the drivers of parent's children on this node that the
// parent committed: it may have queued top-down messages for them.
func (n *Node) wakeChildren(parent types.SubnetID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, rt := range n.mu.runtimes {
		if rt.parent != nil && rt.parent.ID() == parent && rt.driver != nil {
			rt.driver.PoolChanged()
		}
	}
}

// wakeManager asks the manager to look at the gateways again. It never blocks.
func (n *Node) wakeManager() {
	select {
	case n.managerWake <- struct{}{}:
	default:
	}
}

// manage runs until ctx ends, reconciling on every wake-up.
func (n *Node) manage(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.managerWake:
			var chains []chainView
			for _, rt := range n.runtimeList() {
				chains = append(chains, &rt.chain)
			}
			n.children.reconcile(ctx, chains)
		}
	}
}

// reconciler makes the set of running child runtimes match the gateways of
// the chains this node runs: it starts every active child in which the
// node holds a seat, stops every killed one, and retries a child whose
// start or run failed, with a backoff.
type reconciler struct {
	reconcilerConfig
	mu struct {
		sync.Mutex
		retry map[types.SubnetID]backoff
	}
	// read is what reconcile last read of each chain's children, under the
	// storage root it read it at (manager goroutine only): an idle parent's
	// gateway does not change, and reading every child's record at each of
	// its blocks is most of what an idle tree costs the manager.
	read map[types.SubnetID]childRecords
}

// childRecords are the children a parent's gateway lists and their records,
// read at storage root root.
type childRecords struct {
	root    common.Hash
	ids     []types.SubnetID
	subnets []*gateway.Subnet
}

// storageRooted is a gateway state that names its content by the root of
// the gateway's storage (execution/evm's states do; a test's fake need not).
type storageRooted interface{ StorageRoot() common.Hash }

// gatewayRoot is gs's storage root; false when gs does not know it.
func gatewayRoot(gs gateway.StateReader) (common.Hash, bool) {
	if r, ok := gs.(storageRooted); ok {
		return r.StorageRoot(), true
	}
	return common.Hash{}, false
}

// children reads parent's children from gs, or takes what it read before
// under the same storage root.
func (r *reconciler) children(parent types.SubnetID, gs gateway.StateReader) childRecords {
	root, known := gatewayRoot(gs)
	if c, ok := r.read[parent]; known && ok && c.root == root {
		return c
	}
	c, whole := childRecords{root: root}, true
	for _, id := range gateway.ReadChildren(gs, parent) {
		sn, err := gateway.ReadSubnet(gs, parent, id)
		if err != nil {
			whole = false
			continue
		}
		c.ids, c.subnets = append(c.ids, id), append(c.subnets, sn)
	}
	if known && whole {
		r.read[parent] = c
	}
	return c
}

// reconcilerConfig is how a reconciler learns and changes what runs.
type reconcilerConfig struct {
	seated  func(*gateway.Subnet) bool
	running func(types.SubnetID) bool
	start   func(ctx context.Context, parent chainView, gs gateway.StateReader, id types.SubnetID) error
	stop    func(types.SubnetID) // stops a killed child and deletes its storage
	now     func() time.Time
	log     *slog.Logger
}

// backoff is when a failed child may be started again.
type backoff struct {
	failures int
	next     time.Time
}

func newReconciler(c reconcilerConfig) *reconciler {
	r := &reconciler{reconcilerConfig: c, read: map[types.SubnetID]childRecords{}}
	r.mu.retry = map[types.SubnetID]backoff{}
	return r
}

// reconcile runs on the manager's goroutine, after any chain's commit.
func (r *reconciler) reconcile(ctx context.Context, chains []chainView) {
	for _, parent := range chains {
		gs, _, err := headGateway(parent)
		if err != nil {
			continue
		}
		c := r.children(parent.ID(), gs)
		for i, id := range c.ids {
			sn := c.subnets[i]
			running := r.running(id)
			switch {
			case sn.Status == gateway.StatusKilled:
				if running {
					r.stop(id)
				}
				r.forget(id)
			case sn.Status == gateway.StatusActive && !running && r.seated(sn):
				if !r.due(id) {
					continue // reconcile runs every block; retry failures rarely
				}
				if err := r.start(ctx, parent, gs, id); err != nil {
					wait := r.failed(id)
					r.log.Error("cannot start subnet; retrying later", "subnet", id, "in", wait, "err", err)
				}
			}
		}
	}
}

// due reports whether id may be started now.
func (r *reconciler) due(id types.SubnetID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.mu.retry[id]
	return !ok || !r.now().Before(b.next)
}

// failed records a failure of id's start or runtime and returns how long
// it waits before the next start: retryStart, doubling per failure up to
// retryMax. Failures count for as long as the node runs (a subnet that
// fails again soon after a restart must not come back at the first
// delay); a kill clears them.
func (r *reconciler) failed(id types.SubnetID) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.mu.retry[id]
	wait := min(retryStart<<min(b.failures, 16), retryMax)
	b.failures++
	b.next = r.now().Add(wait)
	r.mu.retry[id] = b
	return wait
}

// forget drops id's failures: it was killed.
func (r *reconciler) forget(id types.SubnetID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.mu.retry, id)
}

func (n *Node) holdsSeat(sn *gateway.Subnet) bool {
	if n.keys.bls == nil {
		return false
	}
	pub := n.keys.bls.PublicKey().Bytes()
	for _, v := range sn.Validators {
		if string(v.BLSPublicKey) == string(pub) {
			return true
		}
	}
	return false
}

// childGenesis derives a child's genesis from its parent's gateway state;
// every node computes the same one.
func childGenesis(cg *gateway.ChildGenesis, activatedAt *types.Header) (*config.Genesis, error) {
	kind, err := consensus.LookupKind(cg.Params.Engine.String())
	if err != nil {
		return nil, fmt.Errorf("node: subnet %s: %w", cg.ID, err)
	}
	if kind.SingleSequencer && len(cg.Validators) != 1 {
		return nil, fmt.Errorf("node: %s subnet %s has %d validators, want its one sequencer", kind.Name, cg.ID, len(cg.Validators))
	}
	g := &config.Genesis{
		SubnetID:    string(cg.ID),
		ChainID:     cg.ChainID,
		GasLimit:    cg.Params.GasLimit,
		TimestampMs: activatedAt.TimeMs,
		Engine:      cg.Params.Engine.String(),
		BlockTimeMs: uint64(cg.Params.BlockTimeMs),
		// A pow child is final as deep as its parent's gateway says.
		Confirmations: uint64(cg.Params.Confirmations),
		Alloc:         map[common.Address]config.GenesisAccount{},
	}
	for _, v := range cg.Validators {
		g.Validators = append(g.Validators, config.GenesisValidator{Address: v.Owner, BLSPublicKey: v.BLSPublicKey, Power: gateway.PowerOf(v.Collateral)})
	}
	for _, f := range cg.Funds {
		acc := g.Alloc[f.To]
		bal := new(big.Int)
		if acc.Balance != nil {
			bal.Set((*big.Int)(acc.Balance))
		}
		acc.Balance = (*math.HexOrDecimal256)(bal.Add(bal, f.Value))
		g.Alloc[f.To] = acc
	}
	g.TopDownNonce = cg.FirstTopDownNonce - 1
	if cg.Privacy == gateway.PrivacyPrivate {
		g.Privacy = config.PrivacyPrivate
	}
	g.SetDefaults()
	return g, g.Validate()
}

// startChild opens and runs the runtime of the active child id of parent.
func (n *Node) startChild(ctx context.Context, pv chainView, gs gateway.StateReader, id types.SubnetID) error {
	parent := n.runtime(pv.ID())
	if parent == nil {
		return fmt.Errorf("node: parent %s of %s stopped", pv.ID(), id)
	}
	cg, err := gateway.ReadChildGenesis(gs, pv.ID(), id)
	if err != nil {
		return err
	}
	at, err := parent.HeaderAt(cg.ActivatedAt)
	if err != nil {
		return fmt.Errorf("parent block %d of %s's activation: %w", cg.ActivatedAt, id, err)
	}
	gen, err := childGenesis(cg, at)
	if err != nil {
		return err
	}
	cfg := *n.cfg
	cfg.Consensus.BlockTime = config.Duration{Duration: time.Duration(cg.Params.BlockTimeMs) * time.Millisecond}
	// A subnet rests while it has neither transactions nor top-down
	// messages, with an empty heartbeat block at most this often.
	cfg.Consensus.IdleInterval = config.Duration{Duration: childRest(cfg.Consensus.BlockTime.Duration, parent.blockTime, cg.Params.CheckpointPeriod, cg.StallWindow)}
	rt, err := openRuntime(&cfg, gen, n.keys, n.hostOrNil(), n.log, n.metrics, parent)
	if err != nil {
		return err
	}
	rt.onHead = func() { n.wakeManager(); n.wakeChildren(rt.id) }
	rt.period = uint64(cg.Params.CheckpointPeriod)
	if err := n.rpc.AddSubnet(id, &backend{rt: rt}); err != nil {
		rt.close()
		return err
	}
	if n.host != nil {
		for _, v := range cg.Validators {
			if v.P2PAddr != "" {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_ = n.host.Connect(cctx, v.P2PAddr) // best effort: gossip also finds them
				cancel()
			}
		}
	}
	rctx := n.launch(ctx, rt)
	if err := n.startRelay(rctx, rt, parent); err != nil {
		n.log.Warn("checkpoints of this subnet are not relayed", "subnet", id, "err", err)
	}
	n.log.Info("subnet started", "subnet", id, "chainId", gen.ChainID, "validators", len(gen.Validators))
	return nil
}

// stopChild stops a child's runtime; with wipe its storage is deleted too.
func (n *Node) stopChild(id types.SubnetID, wipe bool) {
	n.mu.Lock()
	rt := n.mu.runtimes[id]
	delete(n.mu.runtimes, id)
	n.mu.Unlock()
	if rt == nil {
		return
	}
	_ = n.rpc.RemoveSubnet(id)
	rt.cancel()
	<-rt.done
	dir := subnetDir(n.cfg.Home, id)
	if err := rt.close(); err != nil {
		n.log.Warn("closing subnet", "subnet", id, "err", err)
	}
	if wipe {
		if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			n.log.Error("cannot delete killed subnet's storage", "subnet", id, "dir", dir, "err", err)
		}
		if rt.walPath != "" { // the chain is gone for good: nothing it signed matters
			if err := os.Remove(rt.walPath); err != nil && !errors.Is(err, os.ErrNotExist) {
				n.log.Warn("cannot delete killed subnet's consensus log", "subnet", id, "path", rt.walPath, "err", err)
			}
		}
	}
	n.log.Info("subnet stopped", "subnet", id, "deleted", wipe)
}
