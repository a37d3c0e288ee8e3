package node

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
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

// retryStart is how long the manager waits before trying again to start a
// subnet whose start failed (its genesis is not readable yet, a port...).
const retryStart = 30 * time.Second

// childIdleInterval is how often an idle subnet makes an empty block.
const childIdleInterval = 30 * time.Second

// wakeChildren tells the drivers of parent's children on this node that the
// parent committed: it may have queued top-down messages for them.
func (n *Node) wakeChildren(parent *runtime) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, rt := range n.mu.runtimes {
		if rt.parent == parent && rt.driver != nil {
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
			n.reconcile(ctx)
		}
	}
}

// reconcile makes the set of running child runtimes match the gateways.
func (n *Node) reconcile(ctx context.Context) {
	for _, parent := range n.runtimeList() {
		head := parent.head.Load()
		gs, err := parent.exec.GatewayState(head)
		if err != nil {
			continue
		}
		for _, id := range gateway.ReadChildren(gs, parent.id) {
			sn, err := gateway.ReadSubnet(gs, parent.id, id)
			if err != nil {
				continue
			}
			running := n.runtime(id) != nil
			switch {
			case sn.Status == gateway.StatusKilled && running:
				n.stopChild(id, true)
			case sn.Status == gateway.StatusActive && !running && n.holdsSeat(sn):
				if last, ok := n.startFailed[id]; ok && time.Since(last) < retryStart {
					continue // reconcile runs every block; retry failures rarely
				}
				if err := n.startChild(ctx, parent, gs, id); err != nil {
					n.startFailed[id] = time.Now()
					n.log.Error("cannot start subnet; retrying later", "subnet", id, "in", retryStart, "err", err)
				} else {
					delete(n.startFailed, id)
				}
			}
		}
	}
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
		Alloc:       map[common.Address]config.GenesisAccount{},
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
	g.SetDefaults()
	return g, g.Validate()
}

// startChild opens and runs the runtime of the active child id of parent.
func (n *Node) startChild(ctx context.Context, parent *runtime, gs gateway.StateReader, id types.SubnetID) error {
	cg, err := gateway.ReadChildGenesis(gs, parent.id, id)
	if err != nil {
		return err
	}
	at, err := parent.store.HeaderByNumber(cg.ActivatedAt)
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
	cfg.Consensus.IdleInterval = config.Duration{Duration: max(childIdleInterval, cfg.Consensus.BlockTime.Duration)}
	rt, err := openRuntime(&cfg, gen, n.keys, n.hostOrNil(), n.log, n.metrics, parent)
	if err != nil {
		return err
	}
	rt.onHead = func() { n.wakeManager(); n.wakeChildren(rt) }
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
	if err := n.startRelay(rctx, rt); err != nil {
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
	}
	n.log.Info("subnet stopped", "subnet", id, "deleted", wipe)
}
