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

// TestRelaySubmitsCheckpointsTheParentAccepts: the relay of a child in
// which this node holds the only seat builds each checkpoint from the
// child's final chain, persists its signature before anything leaves,
// and submits a certificate the parent's real gateway accepts; the next
// one chains to it once the parent committed; a failed submission is
// sent again.
func TestRelaySubmitsCheckpointsTheParentAccepts(t *testing.T) {
	const period = 4
	key := testkeys.BLS(1)
	parent := newFakeChain(t, "/testnet")
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
