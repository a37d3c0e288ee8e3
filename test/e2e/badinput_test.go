package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
)

type rpcReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func post(t *testing.T, url string, body []byte) (int, rpcReply, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r rpcReply
	_ = json.Unmarshal(raw, &r)
	return resp.StatusCode, r, string(raw)
}

func call(method string, params ...any) []byte {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	return b
}

// TestBadInputGetsClearErrors: every kind of bad input gets a JSON-RPC error
// that says what was wrong, and the node keeps serving afterwards.
func TestBadInputGetsClearErrors(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	d := startDevnet(t, home, "--engine", "solo", "--port", strconv.Itoa(freePort(t)), "--block-time", "200ms")
	url := d.m.Subnets[0].RPC[0]
	chainID := new(big.Int).SetUint64(d.m.Subnets[0].ChainID)
	key, _ := d.m.Accounts[1].Key()
	to := common.HexToAddress("0x1")
	signed := func(cid *big.Int, nonce uint64, data []byte, gas uint64) hexutil.Bytes {
		tx, err := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(cid), &gethtypes.DynamicFeeTx{
			ChainID: cid, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: gas, To: &to, Data: data,
		})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tx.MarshalBinary()
		return raw
	}
	// A transaction with nonce 0 included first, so nonce 0 is then "too low".
	_, r, raw := post(t, url, call("eth_sendRawTransaction", signed(chainID, 0, nil, 21000)))
	if r.Error != nil {
		t.Fatalf("valid transaction rejected: %s", raw)
	}
	waitFor(t, "the first transaction to be included", 30e9, func() bool {
		_, r, _ := post(t, url, call("eth_getTransactionCount", d.m.Accounts[1].Address, "latest"))
		return string(r.Result) == `"0x1"`
	})
	// A signature with r = 0 recovers to no key at all. (Flipping a random bit
	// would usually recover to some other, unfunded, address instead.)
	var badSig hexutil.Bytes
	{
		var tx gethtypes.Transaction
		if err := tx.UnmarshalBinary(signed(chainID, 1, nil, 21000)); err != nil {
			t.Fatal(err)
		}
		v, _, s := tx.RawSignatureValues()
		sig := make([]byte, 65)
		s.FillBytes(sig[32:64])
		sig[64] = byte(v.Uint64())
		forged, err := tx.WithSignature(gethtypes.LatestSignerForChainID(chainID), sig)
		if err != nil {
			t.Fatal(err)
		}
		badSig, _ = forged.MarshalBinary()
	}

	cases := []struct {
		name string
		body []byte
		want string // substring of the error message
	}{
		{"malformed RLP", call("eth_sendRawTransaction", "0xdeadbeef"), "rlp"},
		{"wrong chain ID", call("eth_sendRawTransaction", signed(big.NewInt(1), 1, nil, 21000)), "chain id"},
		{"bad signature", call("eth_sendRawTransaction", badSig), "sender"},
		{"nonce too low", call("eth_sendRawTransaction", signed(chainID, 0, nil, 21000)), "nonce too low"},
		{"nonce too high", call("eth_sendRawTransaction", signed(chainID, 1_000_000, nil, 21000)), "nonce too high"},
		{"transaction over 128 KiB", call("eth_sendRawTransaction", signed(chainID, 1, make([]byte, 130*1024), 29_000_000)), "oversized"},
		{"unknown method", call("eth_doesNotExist"), "does not exist"},
		{"invalid block tag", call("eth_getBalance", d.m.Accounts[0].Address, "yesterday"), "block"},
		{"malformed JSON", []byte(`{"jsonrpc":"2.0","id":1,"method":`), "parse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, r, raw := post(t, url, c.body)
			if r.Error == nil {
				t.Fatalf("no error; reply %s", raw)
			}
			if !strings.Contains(strings.ToLower(r.Error.Message), c.want) {
				t.Fatalf("error %q does not say %q", r.Error.Message, c.want)
			}
		})
	}
	t.Run("body over the limit", func(t *testing.T) {
		big := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":["%s"]}`, strings.Repeat("a", 6<<20))
		status, _, raw := post(t, url, []byte(big))
		if status != http.StatusRequestEntityTooLarge && !strings.Contains(strings.ToLower(raw), "too large") {
			t.Fatalf("status %d, body %.200s: want 413 or a 'too large' error", status, raw)
		}
	})
	// Still serving, and still making blocks.
	_, r, raw = post(t, url, call("eth_blockNumber"))
	if r.Error != nil || len(r.Result) == 0 {
		t.Fatalf("node stopped serving after bad input: %s", raw)
	}
	var n hexutil.Uint64
	_ = json.Unmarshal(r.Result, &n)
	waitFor(t, "a new block after the bad input", 30e9, func() bool {
		_, r, _ := post(t, url, call("eth_blockNumber"))
		var m hexutil.Uint64
		_ = json.Unmarshal(r.Result, &m)
		return m > n
	})
}
