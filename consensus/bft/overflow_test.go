package bft

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// overflowingSet is a validator set whose total power overflows 64 bits:
// no engine can count votes with it.
func overflowingSet(t *testing.T) []types.Validator {
	keys := testKeys(t, 2)
	return []types.Validator{
		{Address: common.BytesToAddress([]byte{1}), BLSPublicKey: keys[0].PublicKey().Bytes(), Power: 1 << 63},
		{Address: common.BytesToAddress([]byte{2}), BLSPublicKey: keys[1].PublicKey().Bytes(), Power: 1 << 63},
	}
}

// TestUnusableNextSetHaltsTheChainNotTheProcess (issue 19, defect 3): a
// final block naming a set whose power overflows stops this engine with an
// error (Step returns it, Tick does nothing) instead of panicking, which
// killed every subnet of the process.
func TestUnusableNextSetHaltsTheChainNotTheProcess(t *testing.T) {
	net := newTestNet(t, 1)
	net.nextVals = map[uint64][]types.Validator{2: overflowingSet(t)}
	net.tick(60)
	n := net.nodes[0]
	if len(n.chain) != 2 {
		t.Fatalf("chain has %d blocks, want 2: the block naming the set is final, nothing follows", len(n.chain))
	}
	if err := n.e.Step(consensus.PoolStatus{Pending: 1}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Step after the unusable set: %v, want ErrInvalidConfig", err)
	}
	if n.e.HasReady() {
		t.Fatalf("a halted engine still has work: %+v", n.e.Ready())
	}
}

// TestSyncedUnusableSetIsAnError: the same set learned through block sync is
// an error from Step, not a panic.
func TestSyncedUnusableSetIsAnError(t *testing.T) {
	keys := testKeys(t, 4)
	e, err := New(testConfig(testSet(t, keys), keys[0]), 0, common.Hash{})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Step(consensus.Synced{Height: 5, Hash: common.HexToHash("0x5"), NextValidators: overflowingSet(t)})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Synced with an overflowing set: %v, want ErrInvalidConfig", err)
	}
	e.Tick() // must not panic or restart the chain
	if err := e.Step(consensus.PoolStatus{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Step after halting: %v", err)
	}
}
