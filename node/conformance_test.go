package node

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/rpc/rpctest"
)

// logEmitterInit is init code that emits LOG1(topic 0x2a) in its constructor
// and deploys the one-byte runtime code STOP:
// PUSH1 2a PUSH1 0 PUSH1 0 LOG1  PUSH1 0 PUSH1 0 MSTORE8  PUSH1 1 PUSH1 0 RETURN
var logEmitterInit = common.FromHex("0x602a60006000a16000600053600160006000f3")

// TestRPCConformsToSpec runs the execution-apis schema harness against a
// real node (store, EVM, mempool, solo engine) over HTTP.
func TestRPCConformsToSpec(t *testing.T) {
	n := newTestNode(t, 50*time.Millisecond)
	ctx := context.Background()
	c, err := ethclient.Dial(n.url)
	if err != nil {
		t.Fatal(err)
	}
	signer := gethtypes.LatestSignerForChainID(n.chainID)
	sign := func(nonce uint64, to *common.Address, data []byte, gas uint64) *gethtypes.Transaction {
		tx, err := gethtypes.SignNewTx(n.user, signer, &gethtypes.DynamicFeeTx{
			ChainID: n.chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9),
			Gas: gas, To: to, Value: big.NewInt(1), Data: data,
		})
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	deploy := sign(0, nil, logEmitterInit, 100_000)
	to := common.HexToAddress("0x1234")
	transfer := sign(1, &to, nil, 21000)
	for _, tx := range []*gethtypes.Transaction{deploy, transfer} {
		if err := c.SendTransaction(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	r := waitReceipt(t, c, deploy.Hash())
	if r.Status != 1 || len(r.Logs) != 1 || r.Logs[0].Topics[0] != common.BigToHash(big.NewInt(0x2a)) {
		t.Fatalf("deploy receipt: status %d, logs %+v", r.Status, r.Logs)
	}
	waitReceipt(t, c, transfer.Hash())
	raw, _ := sign(2, &to, nil, 21000).MarshalBinary()
	rep := rpctest.Check(t, rpctest.NewHTTPCaller(n.url), rpctest.Options{RawTx: raw})
	if rep == nil || len(rep.Results) == 0 {
		t.Fatal("the harness made no calls")
	}
}
