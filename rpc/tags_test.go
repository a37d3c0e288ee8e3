package rpc

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// TestBlockTagsFollowFinality: "latest" is the head, "safe" and "finalized"
// the blocks the backend names, in block reads and in log ranges; on a chain
// that finalizes at once all three are the head.
func TestBlockTagsFollowFinality(t *testing.T) {
	h, chain, _, _ := newTestHandler(t)
	head := chain.Head().Height
	if head < 3 {
		t.Fatalf("fixture chain has %d blocks, the test needs 3", head)
	}
	number := func(tag string) uint64 {
		t.Helper()
		_, body := post(t, h, "/devnet", call("eth_getBlockByNumber", `["`+tag+`",false]`))
		var resp struct {
			Result struct {
				Number hexutil.Uint64 `json:"number"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatalf("%s: %v in %s", tag, err, body)
		}
		return uint64(resp.Result.Number)
	}
	logs := func(from, to string) int {
		t.Helper()
		_, body := post(t, h, "/devnet", call("eth_getLogs", `[{"fromBlock":"`+from+`","toBlock":"`+to+`"}]`))
		var resp struct {
			Result []json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatalf("logs %s..%s: %v in %s", from, to, err, body)
		}
		return len(resp.Result)
	}
	for _, tag := range []string{"latest", "safe", "finalized"} {
		if n := number(tag); n != head {
			t.Fatalf("instant finality: %q is block %d, want the head %d", tag, n, head)
		}
	}
	all := logs("earliest", "latest")
	if all == 0 {
		t.Fatal("fixture chain has no logs")
	}
	if n := logs("earliest", "finalized"); n != all {
		t.Fatalf("instant finality: %d logs up to finalized, %d up to latest", n, all)
	}

	chain.SetFinality(1, int(head)) // safe one below the head, final at genesis
	if n := number("latest"); n != head {
		t.Fatalf("latest is %d, want the head %d", n, head)
	}
	if n := number("safe"); n != head-1 {
		t.Fatalf("safe is %d, want %d", n, head-1)
	}
	if n := number("finalized"); n != 0 {
		t.Fatalf("finalized is %d, want genesis", n)
	}
	if n := logs("earliest", "finalized"); n != 0 {
		t.Fatalf("%d logs up to the final genesis block, want none", n)
	}
	if n := logs("earliest", "latest"); n != all {
		t.Fatalf("%d logs up to latest, want %d", n, all)
	}
}
