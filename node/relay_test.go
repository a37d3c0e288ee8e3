package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// relayLog records, in order, what the relay persisted and submitted.
type relayLog struct{ events []string }

// fakeSignatures is the child's record of its own checkpoint signatures.
type fakeSignatures struct {
	log     *relayLog
	heights []uint64
	hashes  []common.Hash
}

func (s *fakeSignatures) PutSignedCheckpoint(h uint64, hash common.Hash) error {
	s.log.events = append(s.log.events, fmt.Sprintf("persist %d", h))
	s.heights, s.hashes = append(s.heights, h), append(s.hashes, hash)
	return nil
}

func (s *fakeSignatures) SignedCheckpoints(uint64) ([]uint64, []common.Hash, error) {
	return s.heights, s.hashes, nil
}

// fakeSubmitter lands each call on the parent's gateway, as the node's
// transaction would once committed; failures makes the next calls fail
// before they reach it.
type fakeSubmitter struct {
	log      *relayLog
	parent   *fakeChain
	from     common.Address
	failures int
	landed   []*types.Checkpoint
}

func (s *fakeSubmitter) CallGateway(_ context.Context, data []byte) (common.Hash, uint64, error) {
	if s.failures > 0 {
		s.failures--
		s.log.events = append(s.log.events, "submit failed")
		return common.Hash{}, 0, errors.New("test: pool full")
	}
	args, err := gatewayABI.Methods["submitCheckpoint"].Inputs.Unpack(data[4:])
	if err != nil {
		return common.Hash{}, 0, err
	}
	cp, err := types.DecodeCheckpoint(args[0].([]byte))
	if err != nil {
		return common.Hash{}, 0, err
	}
	s.log.events = append(s.log.events, fmt.Sprintf("submit %d", cp.Height))
	if err := s.parent.callRaw(s.from, data); err != nil {
		return common.Hash{}, 0, err
	}
	s.landed = append(s.landed, cp)
	return common.Hash{byte(cp.Height)}, 100_000, nil
}

// newTestRelay is the relay of child id (period blocks per checkpoint) of
// a fake parent, in which this node holds the only seat; rooted gives the
// parent's gateway states a storage root (fakeChain.rooted).
func newTestRelay(t *testing.T, period uint32, rooted bool) (*relay, *fakeChain, *fakeChain, types.SubnetID, *fakeSubmitter, *fakeSignatures, *relayLog) {
	key := testkeys.BLS(1)
	parent := newFakeChain(t, "/testnet")
	parent.rooted = rooted
	id := parent.createChild("c", period, key)
	parent.commit()
	sn, err := gateway.ReadSubnet(parent.states[parent.Head().Height], parent.id, id)
	if err != nil {
		t.Fatal(err)
	}
	child := newFakeChain(t, id)
	gateway.WriteOwnSet(child.st, 1, []types.Validator{{Address: sn.Validators[0].Owner, BLSPublicKey: key.PublicKey().Bytes(), Power: 1}})
	log := &relayLog{}
	sigs := &fakeSignatures{log: log}
	sub := &fakeSubmitter{log: log, parent: parent, from: common.Address{0x5e}}
	rl, err := newRelay(child, parent, sigs, sub, key, slog.New(slog.NewTextHandler(io.Discard, nil)), relayMetrics{prometheus.NewCounter(prometheus.CounterOpts{Name: "x"}), prometheus.NewCounter(prometheus.CounterOpts{Name: "y"})})
	if err != nil || rl == nil {
		t.Fatalf("relay: %v, %v", rl, err)
	}
	return rl, parent, child, id, sub, sigs, log
}

// TestRelayReadsTheParentOnlyWhenItsGatewayMoves: a parent block that
// leaves the gateway's storage alone (an idle parent's) costs the relay no
// read; one that moves it (a checkpoint landed) is read, and the relay
// chains the next checkpoint to it.
func TestRelayReadsTheParentOnlyWhenItsGatewayMoves(t *testing.T) {
	const period = 4
	rl, parent, child, _, sub, _, _ := newTestRelay(t, period, true)
	rl.observeParent()
	if parent.reads == 0 {
		t.Fatal("the first parent block was not read")
	}
	for range 3 {
		parent.commit()
		before := parent.reads
		rl.observeParent()
		if parent.reads != before {
			t.Fatalf("%d slots read after a parent block that changed nothing, want 0", parent.reads-before)
		}
	}
	child.commitTo(period)
	rl.step(xnet.Final{Height: period})
	if err := rl.perform(context.Background()); err != nil || len(sub.landed) != 1 {
		t.Fatalf("first checkpoint: %v, landed %d", err, len(sub.landed))
	}
	parent.commit()
	before := parent.reads
	rl.observeParent()
	if parent.reads == before {
		t.Fatal("a parent block that took a checkpoint was not read")
	}
	if rl.lastParent.Height != period {
		t.Fatalf("relay's view of the parent at checkpoint %d, want %d", rl.lastParent.Height, period)
	}
}

// TestRelaySubmitsCheckpointsTheParentAccepts: the relay of a child in
// which this node holds the only seat builds each checkpoint from the
// child's final chain, persists its signature before anything leaves,
// and submits a certificate the parent's real gateway accepts; the next
// one chains to it once the parent committed; a failed submission is
// sent again.
func TestRelaySubmitsCheckpointsTheParentAccepts(t *testing.T) {
	const period = 4
	rl, parent, child, id, sub, sigs, log := newTestRelay(t, period, false)
	ctx := context.Background()
	rl.observeParent()

	child.commitTo(period)
	rl.step(xnet.Final{Height: period})
	if err := rl.perform(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sub.landed) != 1 {
		t.Fatalf("events %v: want the checkpoint at %d submitted and accepted", log.events, period)
	}
	if got := log.events; len(got) < 2 || got[0] != fmt.Sprintf("persist %d", period) {
		t.Fatalf("events %v: the own signature must be durable before the submission", got)
	}
	cp := sub.landed[0]
	if cp.Height != period || cp.BlockHash != child.headers[period].Hash() || cp.StateRoot != child.headers[period].StateRoot || cp.Config != 1 {
		t.Fatalf("checkpoint %+v does not describe the child's block %d under config 1", cp, period)
	}
	parent.commit()
	if h, _, _ := gateway.LastCheckpoint(parent.states[parent.Head().Height], parent.id, id); h != period {
		t.Fatalf("parent's last checkpoint %d, want %d", h, period)
	}

	// The next checkpoint follows the committed one; its first submission
	// fails and the relay sends it again within its commit timeout.
	rl.observeParent()
	sub.failures = 1
	child.commitTo(2 * period)
	rl.step(xnet.Final{Height: 2 * period})
	for i := 0; i < 10_000 && len(sub.landed) < 2; i++ {
		if err := rl.perform(ctx); err != nil {
			t.Fatal(err)
		}
		rl.r.Tick()
	}
	if len(sub.landed) != 2 {
		t.Fatalf("events %v: the failed submission was never retried", log.events)
	}
	if next := sub.landed[1]; next.Height != 2*period || next.Prev != cp.Hash() {
		t.Fatalf("second checkpoint at %d with prev %s, want %d chained to %s", next.Height, next.Prev, 2*period, cp.Hash())
	}
	if fmt.Sprint(sigs.heights) != fmt.Sprint([]uint64{period, 2 * period}) {
		t.Fatalf("signed heights %v, want each checkpoint height once", sigs.heights)
	}
}
