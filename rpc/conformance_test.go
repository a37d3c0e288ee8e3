package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/rpc/rpctest"
	"github.com/aspen-chain/aspen/types"
)

// TestConformance runs the spec harness over the in-memory chain: every eth_
// method of the spec is called and its result validated against the schemas.
func TestConformance(t *testing.T) {
	h, _, _, _ := newTestHandler(t)
	rep := rpctest.Check(t, rpctest.NewHandlerCaller(h, "/devnet"), rpctest.Options{})
	if len(rep.Results) < 80 {
		t.Errorf("harness made only %d calls", len(rep.Results))
	}
	if testing.Verbose() {
		for _, r := range rep.Results {
			t.Log(r)
		}
	}
}

// breakBlocks drops "hash" from every block a handler returns, as a broken
// implementation might.
type breakBlocks struct{ h http.Handler }

func (b breakBlocks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, r)
	var resp map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &resp) == nil {
		if block, ok := resp["result"].(map[string]any); ok {
			if _, isBlock := block["sha3Uncles"]; isBlock {
				delete(block, "hash")
			}
		}
		out, _ := json.Marshal(resp)
		w.Write(out)
		return
	}
	w.Write(rec.Body.Bytes())
}

// TestConformanceCatchesBrokenServer shows the harness fails a server whose
// blocks lack their hash.
func TestConformanceCatchesBrokenServer(t *testing.T) {
	h, _, _, _ := newTestHandler(t)
	spec, err := rpctest.LoadSpec(rpctest.SpecDir())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rpctest.Run(context.Background(), rpctest.NewHandlerCaller(breakBlocks{h}, "/devnet"), spec, rpctest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, f := range rep.Failures() {
		failed[f.Method] = true
		if f.Method != "eth_getBlockByNumber" && f.Method != "eth_getBlockByHash" {
			t.Errorf("unexpected failure: %v", f)
		}
	}
	if !failed["eth_getBlockByNumber"] || !failed["eth_getBlockByHash"] {
		t.Errorf("harness passed blocks without a hash; failures: %v", rep.Failures())
	}
}

// TestGetLogsSkipsBlocksByBloom checks that a query reads the receipts only
// of blocks whose bloom may hold a match.
func TestGetLogsSkipsBlocksByBloom(t *testing.T) {
	h, chain, fx, _ := newTestHandler(t)
	before := chain.ReceiptReads()
	_, body := post(t, h, "/devnet", call("eth_getLogs", fmt.Sprintf(`[{"fromBlock":"0x0","toBlock":"latest","address":"%s"}]`, fx.Contract.Hex())))
	if n := strings.Count(body, `"logIndex"`); n != 2 {
		t.Fatalf("want the 2 logs of the contract, got %s", body)
	}
	// blocks 2 and 3 hold the contract's logs; 0, 1, 4 and 5 are skipped
	if reads := chain.ReceiptReads() - before; reads != 2 {
		t.Errorf("read receipts of %d blocks, want 2", reads)
	}
	before = chain.ReceiptReads()
	_, body = post(t, h, "/devnet", call("eth_getLogs", `[{"fromBlock":"0x0","toBlock":"latest","address":"0x00000000000000000000000000000000000000aa"}]`))
	if body != `{"jsonrpc":"2.0","id":1,"result":[]}` {
		t.Errorf("no logs expected: %q", body)
	}
	if reads := chain.ReceiptReads() - before; reads != 0 {
		t.Errorf("read receipts of %d blocks for an address in no bloom", reads)
	}
}

// TestGetLogsIncludesSystemLogs: logs of no transaction (a child's
// CrossMsgApplied) are found by eth_getLogs after the block's tx logs.
func TestGetLogsIncludesSystemLogs(t *testing.T) {
	h, chain, fx, _ := newTestHandler(t)
	b, err := chain.BlockByNumber(2) // holds one of the contract's logs
	if err != nil || b == nil {
		t.Fatal(err)
	}
	topic := common.HexToHash("0x5157")
	sys := &gethtypes.Log{Address: common.HexToAddress("0xa5e0000000000000000000000000000000000001"), Topics: []common.Hash{topic},
		BlockNumber: 2, BlockHash: b.Hash(), TxHash: types.SystemTxHash(b.Hash()), TxIndex: uint(len(b.Txs)), Index: 1}
	chain.SetSystemLogs(b.Hash(), []*gethtypes.Log{sys})
	_, body := post(t, h, "/devnet", call("eth_getLogs", fmt.Sprintf(`[{"blockHash":"%s"}]`, b.Hash().Hex())))
	var resp struct {
		Result []struct {
			Address         common.Address `json:"address"`
			Topics          []common.Hash  `json:"topics"`
			TransactionHash common.Hash    `json:"transactionHash"`
			LogIndex        hexutil.Uint   `json:"logIndex"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Result) != 2 || resp.Result[0].Address != fx.Contract || resp.Result[1].Topics[0] != topic ||
		resp.Result[1].TransactionHash != types.SystemTxHash(b.Hash()) || resp.Result[1].LogIndex != 1 {
		t.Fatalf("want the contract's log then the system log, got %s", body)
	}
}
