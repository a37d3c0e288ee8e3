package node

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/execution/witness"
	"github.com/aspen-chain/aspen/rpc"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/witnesssync"
)

// TestGetWitness: aspen_getWitness serves a block's witness over the
// node's RPC, a stateless executor re-executes the block from it alone to
// the header's state root, and bad requests get a reason or null.
func TestGetWitness(t *testing.T) {
	n := newTestNode(t, 50*time.Millisecond)
	c, err := ethclient.Dial(n.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to := common.HexToAddress("0xbeef")
	tx, _ := gethtypes.SignNewTx(n.user, gethtypes.LatestSignerForChainID(n.chainID), &gethtypes.DynamicFeeTx{
		ChainID: n.chainID, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 21000, To: &to, Value: big.NewInt(7),
	})
	if err := c.SendTransaction(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	r := waitReceipt(t, c, tx.Hash())

	var got rpc.Witness
	if err := c.Client().Call(&got, "aspen_getWitness", hexutil.EncodeBig(r.BlockNumber)); err != nil {
		t.Fatal(err)
	}
	if got.Hash != r.BlockHash || uint64(got.Size) != uint64(len(got.Witness)) {
		t.Fatalf("witness of block %s (size %d, %d bytes), want block %s", got.Hash, got.Size, len(got.Witness), r.BlockHash)
	}
	w, err := witness.Decode(got.Witness, witness.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rt := n.runtime("/testnet")
	block, err := (&backend{rt: rt}).BlockByHash(r.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	s, err := evm.NewStateless(rt.gen, evm.Options{Evidence: kindEvidence})
	if err != nil {
		t.Fatal(err)
	}
	if root, err := s.Verify(w, block); err != nil || root != block.Header.StateRoot {
		t.Fatalf("stateless re-execution of the served witness: root %s, %v; want %s", root, err, block.Header.StateRoot)
	}

	checkWitnessSource(t, rt, r.BlockNumber.Uint64(), r.BlockHash)

	err = c.Client().Call(&got, "aspen_getWitness", "0x0")
	if err == nil || !strings.Contains(err.Error(), "block 0 has no witness") {
		t.Fatalf("witness of genesis: %v", err)
	}
	var none *rpc.Witness
	if err := c.Client().Call(&none, "aspen_getWitness", "0xffffff"); err != nil || none != nil {
		t.Fatalf("witness of a block above the head: %+v, %v; want null", none, err)
	}
}

// checkWitnessSource: the witness protocol's view of rt serves block
// height with a witness whose parent is the block below, and says
// ErrNotHeld above the final head.
func checkWitnessSource(t *testing.T, rt *runtime, height uint64, hash common.Hash) {
	t.Helper()
	src := witnesssync.Source(witnessSource{rt})
	items, err := witnesssync.NewFetcher(witnesssync.FetcherConfig{Local: func(types.SubnetID) witnesssync.Source { return src }}).
		FetchPeriod(context.Background(), rt.id, height, height, hash, nil)
	if err != nil || len(items) != 1 {
		t.Fatalf("block %d from the runtime: %d items, %v", height, len(items), err)
	}
	w, err := witness.Decode(items[0].Witness, witness.Limits{})
	if err != nil || w.Parent().Hash() != items[0].Block.Header.ParentHash {
		t.Fatalf("witness of block %d: %v", height, err)
	}
	if _, err := src.BlockByNumber(rt.Final().Height + 100); !errors.Is(err, witnesssync.ErrNotHeld) {
		t.Fatalf("block above the head: %v", err)
	}
}
