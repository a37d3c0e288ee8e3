package node

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/crypto"
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
// its turn comes. One goroutine owns the xnet.Relayer. It sees the child
// and the parent only through chain views, so a test drives it with fakes.
type relay struct {
	child      chainView
	parent     chainView
	signed     signatureStore // the child's record of its own signatures
	submitter  gatewayCaller  // the node's system transactions to the parent
	log        *slog.Logger
	metrics    relayMetrics
	period     uint64
	r          *xnet.Relayer
	topic      p2p.Topic
	inbox      *sigInbox // peers' signatures, from the topic reader
	lastParent xnet.Link
	// parentRoot is the parent gateway's storage root lastParent was read
	// under (when parentRooted): a parent block that leaves it alone, as an
	// idle parent's do, changes no link, so nothing is read again.
	parentRoot   common.Hash
	parentRooted bool
}

// relayMetrics count peer signatures refused as faulty and dropped because
// the inbox had no room for their origin (see sigInbox).
type relayMetrics struct{ rejected, dropped prometheus.Counter }

// signatureStore persists this node's checkpoint signatures before they
// leave the process, so a restart never signs a different checkpoint.
type signatureStore interface {
	PutSignedCheckpoint(height uint64, hash common.Hash) error
	SignedCheckpoints(above uint64) ([]uint64, []common.Hash, error)
}

// headSubscriber delivers a chain's new final heads.
type headSubscriber interface {
	Subscribe(ch chan<- *types.Header) (cancel func())
}

// newRelay makes the relay of child, whose parent's gateway sets its
// checkpoint period; a nil relay when the subnet has none.
func newRelay(child, parent chainView, signed signatureStore, submitter gatewayCaller, key *crypto.BLSSecretKey, log *slog.Logger, m relayMetrics) (*relay, error) {
	gs, _, err := headGateway(parent)
	if err != nil {
		return nil, err
	}
	sn, err := gateway.ReadSubnet(gs, parent.ID(), child.ID())
	if err != nil {
		return nil, err
	}
	period := uint64(sn.Params.CheckpointPeriod)
	if period == 0 {
		return nil, nil
	}
	heights, hashes, err := signed.SignedCheckpoints(0)
	if err != nil {
		return nil, err
	}
	var own []xnet.Signed
	for i := range heights {
		own = append(own, xnet.Signed{Height: heights[i], Hash: hashes[i]})
	}
	// The inbox holds what the relayer (default Window) would take above
	// the parent's last checkpoint; run moves it as the parent does.
	last, _, _ := gateway.LastCheckpoint(gs, parent.ID(), child.ID())
	rl := &relay{child: child, parent: parent, signed: signed, submitter: submitter, log: log, metrics: m, period: period,
		inbox: newSigInbox(period, last)}
	rl.r, err = xnet.New(xnet.Config{
		Params:  xnet.Params{Subnet: child.ID(), Period: period},
		View:    childView(child),
		Signers: parentSigners{parent, child.ID()},
		Key:     key,
		Signed:  own,
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint relay of %s: %w", child.ID(), err)
	}
	return rl, nil
}

// startRelay starts the relay of child (whose parent runtime is on this
// node) if the subnet has a checkpoint period.
func (n *Node) startRelay(ctx context.Context, child, parent *runtime) error {
	if gs, _, err := headGateway(&parent.chain); err == nil {
		if sn, err := gateway.ReadSubnet(gs, parent.id, child.id); err == nil && sn.Params.Engine == gateway.EnginePoW && sn.Params.CheckpointPeriod > 0 {
			n.startPowRelay(ctx, child, parent, sn) // powrelay.go: proven by work, signed by nobody
			return nil
		}
	}
	rl, err := newRelay(&child.chain, &parent.chain, child.store, parent.sys, n.keys.bls, child.log, relayMetrics{
		rejected: child.metrics.rejected.WithLabelValues(string(child.id), "checkpoint"),
		dropped:  child.metrics.dropped.WithLabelValues(string(child.id), "checkpoint"),
	})
	if err != nil || rl == nil {
		return err
	}
	if n.host != nil {
		gate := newCheckpointGate(child.id, rl.period, time.Now) // gossip.go
		rl.topic, err = n.host.Join(p2p.CheckpointTopic(child.id), func(_ context.Context, origin string, data []byte) p2p.Verdict {
			v := gate.judge(origin, data)
			if v == p2p.Reject {
				rl.metrics.rejected.Inc()
			}
			return v
		})
		if err != nil {
			return err
		}
		child.spawn(func() { rl.read(ctx) })
	}
	child.spawn(func() { rl.run(ctx, &child.heads, &parent.heads) })
	return nil
}

func (rl *relay) read(ctx context.Context) {
	for {
		m, err := rl.topic.Next(ctx)
		if err != nil {
			return
		}
		if !rl.inbox.put(m.From, m.Data) {
			rl.metrics.dropped.Inc()
		}
	}
}

func (rl *relay) run(ctx context.Context, child, parent headSubscriber) {
	defer func() {
		if rl.topic != nil {
			rl.topic.Close()
		}
	}()
	childHeads := make(chan *types.Header, 16)
	defer child.Subscribe(childHeads)()
	parentHeads := make(chan *types.Header, 16)
	defer parent.Subscribe(parentHeads)()
	// The relayer sleeps until the tick it names (NextTick) or an input;
	// the ticks that elapsed go in first (driver.LazyTicker).
	ticks := driver.NewLazyTicker(driver.SystemClock{}, relayTick)
	defer ticks.Stop()
	rl.observeParent()
	rl.step(xnet.Final{Height: rl.child.Final().Height})
	for {
		if err := rl.perform(ctx); err != nil {
			rl.log.Error("checkpoint relay stopped", "err", err)
			return
		}
		var input func()
		select {
		case <-ctx.Done():
			return
		case <-ticks.Wait(rl.r.NextTick()):
			ticks.Fired()
		case <-childHeads: // a head may be tentative: checkpoint what is final
			input = func() { rl.step(xnet.Final{Height: rl.child.Final().Height}) }
		case <-parentHeads:
			input = rl.observeParent
		case <-rl.inbox.wake:
			input = func() {
				for _, in := range rl.inbox.take() {
					rl.step(in)
				}
			}
		}
		for n := ticks.Elapsed(); n > 0; n-- {
			rl.r.Tick()
		}
		if input != nil {
			input()
		}
	}
}

func (rl *relay) step(in xnet.Input) {
	if err := rl.r.Step(in); err != nil {
		if xnet.PeerFault(err) {
			rl.metrics.rejected.Inc()
		}
		rl.log.Debug("checkpoint relay input refused", "input", fmt.Sprintf("%T", in), "err", err)
	}
}

// observeParent tells the relayer what the parent committed, at the state
// that paces submissions (progressGateway).
func (rl *relay) observeParent() {
	gs, err := progressGateway(rl.parent)
	if err != nil {
		return
	}
	l := rl.lastParent
	if root, known := gatewayRoot(gs); !known || !rl.parentRooted || root != rl.parentRoot {
		p, c := rl.parent.ID(), rl.child.ID()
		h, hash, _ := gateway.LastCheckpoint(gs, p, c)
		l = xnet.Link{Height: h, Hash: hash, UpNonce: gateway.UpApplied(gs, p, c)}
		rl.parentRoot, rl.parentRooted = root, known
	}
	if l != rl.lastParent || l == (xnet.Link{}) {
		rl.lastParent = l
		rl.step(xnet.ParentCommitted(l))
		rl.inbox.advance(l.Height)
	}
}

// perform carries out the relayer's Ready: own signatures durable first,
// then gossip, then submissions to the parent.
func (rl *relay) perform(ctx context.Context) error {
	for rl.r.HasReady() {
		rd := rl.r.Ready()
		rl.r.Advance()
		for _, s := range rd.Persist {
			if err := rl.signed.PutSignedCheckpoint(s.Height, s.Hash); err != nil {
				return fmt.Errorf("persist own checkpoint signature: %w", err)
			}
		}
		for _, g := range rd.Gossip {
			if rl.topic != nil {
				if err := rl.topic.Publish(ctx, g); err != nil {
					rl.log.Debug("checkpoint signature not published", "err", err)
				}
			}
		}
		for _, s := range rd.Submit {
			err := rl.submit(ctx, s)
			if err != nil {
				rl.log.Warn("checkpoint not submitted", "height", s.Height, "err", err)
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
	tx, gas, err := rl.submitter.CallGateway(ctx, data)
	if err != nil {
		return fmt.Errorf("submitCheckpoint of %s at %d: %w", rl.child.ID(), s.Height, err)
	}
	rl.log.Info("checkpoint submitted", "height", s.Height, "hash", s.Hash, "tx", tx, "parent", rl.parent.ID(), "gas", gas)
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

// childView reads the child's final chain for checkpoint assembly.
func childView(c chainView) gateway.CheckpointView {
	return gateway.CheckpointView{Subnet: c.ID(), HeaderAt: c.HeaderAt, StateAt: c.GatewayAt}
}

// parentSigners reads a child's validator set by config number from the
// parent's gateway, in the parent's seat order (the bitmap's order).
type parentSigners struct {
	parent chainView
	child  types.SubnetID
}

func (p parentSigners) Signers(config uint64) ([][]byte, []uint64, error) {
	gs, _, err := headGateway(p.parent)
	if err != nil {
		return nil, nil, err
	}
	vs, err := gateway.ReadConfigSet(gs, p.parent.ID(), p.child, config)
	if err != nil {
		return nil, nil, err
	}
	keys, powers := make([][]byte, len(vs)), make([]uint64, len(vs))
	for i, v := range vs {
		keys[i], powers[i] = common.CopyBytes(v.BLSPublicKey), gateway.PowerOf(v.Collateral)
	}
	return keys, powers, nil
}
