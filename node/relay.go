package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// relayTick is the relayer's unit of time: a submitter waits SubmitDelay
// ticks per step of distance from the chosen one, a submission may take
// CommitTimeout ticks to commit before it is sent again.
const relayTick = 200 * time.Millisecond

// relay runs a child subnet's bottom-up checkpoints on this node: it builds
// each checkpoint when its height is final, signs it if this node's key
// holds a seat in the signing config, gossips the signature, and submits a
// certificate to the parent (paying the gas from the node's account) when
// its turn comes. One goroutine owns the xnet.Relayer.
type relay struct {
	child, parent *runtime
	key           sequencerKey
	r             *xnet.Relayer
	topic         p2p.Topic
	inputs        chan xnet.Input
	lastParent    xnet.Link
}

// startRelay starts the relay of child (whose parent runtime is on this
// node) if the subnet has a checkpoint period.
func (n *Node) startRelay(ctx context.Context, child *runtime) error {
	parent := child.parent
	gs, err := parent.exec.GatewayState(parent.head.Load())
	if err != nil {
		return err
	}
	sn, err := gateway.ReadSubnet(gs, parent.id, child.id)
	if err != nil {
		return err
	}
	period := uint64(sn.Params.CheckpointPeriod)
	if period == 0 {
		return nil
	}
	heights, hashes, err := child.store.SignedCheckpoints(0)
	if err != nil {
		return err
	}
	var signed []xnet.Signed
	for i := range heights {
		signed = append(signed, xnet.Signed{Height: heights[i], Hash: hashes[i]})
	}
	rl := &relay{child: child, parent: parent, key: n.keys.account, inputs: make(chan xnet.Input, 256)}
	rl.r, err = xnet.New(xnet.Config{
		Params:  xnet.Params{Subnet: child.id, Period: period},
		View:    childView{child},
		Signers: parentSigners{parent, child.id},
		Key:     n.keys.bls,
		Signed:  signed,
	})
	if err != nil {
		return fmt.Errorf("checkpoint relay of %s: %w", child.id, err)
	}
	if n.host != nil {
		gate := newCheckpointGate(child.id, period, time.Now) // gossip.go
		rl.topic, err = n.host.Join(p2p.CheckpointTopic(child.id), func(_ context.Context, origin string, data []byte) p2p.Verdict {
			v := gate.judge(origin, data)
			if v == p2p.Reject {
				child.metrics.rejected.WithLabelValues(string(child.id), "checkpoint").Inc()
			}
			return v
		})
		if err != nil {
			return err
		}
		go rl.read(ctx)
	}
	go rl.run(ctx)
	return nil
}

func (rl *relay) read(ctx context.Context) {
	for {
		m, err := rl.topic.Next(ctx)
		if err != nil {
			return
		}
		select {
		case rl.inputs <- xnet.PeerSignature{From: m.From, Data: m.Data}:
		default: // the relayer re-gossips the next checkpoint's signatures
			rl.child.metrics.dropped.WithLabelValues(string(rl.child.id), "checkpoint").Inc()
		}
	}
}

func (rl *relay) run(ctx context.Context) {
	defer func() {
		if rl.topic != nil {
			rl.topic.Close()
		}
	}()
	childHeads := make(chan *types.Header, 16)
	defer rl.child.heads.Subscribe(childHeads)()
	parentHeads := make(chan *types.Header, 16)
	defer rl.parent.heads.Subscribe(parentHeads)()
	tick := time.NewTicker(relayTick)
	defer tick.Stop()
	rl.observeParent()
	rl.step(xnet.Final{Height: rl.child.head.Load().Height})
	for {
		if err := rl.perform(ctx); err != nil {
			rl.child.log.Error("checkpoint relay stopped", "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			rl.r.Tick()
		case h := <-childHeads:
			rl.step(xnet.Final{Height: h.Height})
		case <-parentHeads:
			rl.observeParent()
		case in := <-rl.inputs:
			rl.step(in)
		}
	}
}

func (rl *relay) step(in xnet.Input) {
	if err := rl.r.Step(in); err != nil {
		if xnet.PeerFault(err) {
			rl.child.metrics.rejected.WithLabelValues(string(rl.child.id), "checkpoint").Inc()
		}
		rl.child.log.Debug("checkpoint relay input refused", "input", fmt.Sprintf("%T", in), "err", err)
	}
}

// observeParent tells the relayer what the parent's final state committed.
func (rl *relay) observeParent() {
	p := rl.parent
	gs, err := p.exec.GatewayState(p.head.Load())
	if err != nil {
		return
	}
	h, hash, _ := gateway.LastCheckpoint(gs, p.id, rl.child.id)
	l := xnet.Link{Height: h, Hash: hash, UpNonce: gateway.UpApplied(gs, p.id, rl.child.id)}
	if l != rl.lastParent || l == (xnet.Link{}) {
		rl.lastParent = l
		rl.step(xnet.ParentCommitted(l))
	}
}

// perform carries out the relayer's Ready: own signatures durable first,
// then gossip, then submissions to the parent.
func (rl *relay) perform(ctx context.Context) error {
	for rl.r.HasReady() {
		rd := rl.r.Ready()
		rl.r.Advance()
		for _, s := range rd.Persist {
			if err := rl.child.store.PutSignedCheckpoint(s.Height, s.Hash); err != nil {
				return fmt.Errorf("persist own checkpoint signature: %w", err)
			}
		}
		for _, g := range rd.Gossip {
			if rl.topic != nil {
				if err := rl.topic.Publish(ctx, g); err != nil {
					rl.child.log.Debug("checkpoint signature not published", "err", err)
				}
			}
		}
		for _, s := range rd.Submit {
			err := rl.submit(ctx, s)
			if err != nil {
				rl.child.log.Warn("checkpoint not submitted", "height", s.Height, "err", err)
			}
			rl.step(xnet.SubmitResult{Height: s.Height, Err: err})
		}
	}
	return nil
}

// submit sends submitCheckpoint to the parent from this node's account.
func (rl *relay) submit(ctx context.Context, s xnet.Submission) error {
	data, err := gatewayABI.Pack("submitCheckpoint", s.Checkpoint, s.Aggregate, s.Bitmap)
	if err != nil {
		return err
	}
	gas, err := rl.parent.estimate(ctx, rl.key.address, gateway.Address, data)
	if err != nil {
		return fmt.Errorf("submitCheckpoint of %s at %d would fail: %w", rl.child.id, s.Height, err)
	}
	tx, err := rl.parent.sendSystemTx(rl.key, gateway.Address, data, gas+gas/5)
	if err != nil {
		return err
	}
	rl.child.log.Info("checkpoint submitted", "height", s.Height, "hash", s.Hash, "tx", tx.Hash(), "parent", rl.parent.id, "gas", gas)
	return nil
}

// gatewayABI packs calls the node makes to gateways itself.
var gatewayABI = func() abi.ABI {
	a, err := gateway.ParseABI()
	if err != nil {
		panic(err) // the embedded ABI is checked by the gateway's tests
	}
	return a
}()

// estimate is eth_estimateGas of a call on rt's pending state.
func (rt *runtime) estimate(ctx context.Context, from, to common.Address, data []byte) (uint64, error) {
	return rt.exec.EstimateGas(ctx, nil, execution.CallArgs{From: from, To: &to, Data: data}, nil)
}

// childView reads the child's final chain for checkpoint assembly.
type childView struct{ rt *runtime }

func (v childView) Header(h uint64) (*types.Header, error) {
	if h > v.rt.head.Load().Height {
		return nil, fmt.Errorf("block %d of %s is not final here yet", h, v.rt.id)
	}
	return v.rt.store.HeaderByNumber(h)
}

func (v childView) state(h uint64) (gateway.StateReader, error) {
	hdr, err := v.Header(h)
	if err != nil {
		return nil, err
	}
	return v.rt.exec.GatewayState(hdr)
}

func (v childView) Snapshot(h uint64) (xnet.Snapshot, error) {
	gs, err := v.state(h)
	if err != nil {
		return xnet.Snapshot{}, err
	}
	config, _, err := gateway.ReadOwnSet(gs)
	if err != nil {
		return xnet.Snapshot{}, err
	}
	// The set after block h signs its checkpoint: the newest config applied.
	return xnet.Snapshot{Config: config, AppliedConfig: config, DownApplied: gateway.AppliedTopDown(gs), UpNonce: gateway.UpNonce(gs)}, nil
}

func (v childView) UpMessages(h, from, to uint64) ([]types.CrossMsg, error) {
	gs, err := v.state(h)
	if err != nil {
		return nil, err
	}
	return gateway.ReadUp(gs, v.rt.id, from+1, int(to-from))
}

// parentSigners reads a child's validator set by config number from the
// parent's gateway, in the parent's seat order (the bitmap's order).
type parentSigners struct {
	parent *runtime
	child  types.SubnetID
}

func (p parentSigners) Signers(config uint64) ([][]byte, []uint64, error) {
	gs, err := p.parent.exec.GatewayState(p.parent.head.Load())
	if err != nil {
		return nil, nil, err
	}
	vs, err := gateway.ReadConfigSet(gs, p.parent.id, p.child, config)
	if err != nil {
		return nil, nil, err
	}
	keys, powers := make([][]byte, len(vs)), make([]uint64, len(vs))
	for i, v := range vs {
		keys[i], powers[i] = common.CopyBytes(v.BLSPublicKey), gateway.PowerOf(v.Collateral)
	}
	return keys, powers, nil
}
