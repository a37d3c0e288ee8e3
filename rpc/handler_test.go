package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/rpc/internal/memback"
	"github.com/aspen-chain/aspen/types"
)

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func post(t *testing.T, h http.Handler, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func call(method string, params string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":%s}`, method, params)
}

func TestRoutingSubnetsAndRoot(t *testing.T) {
	root, _ := memback.Populate("/devnet", 1337)
	games := memback.New("/devnet/games", 4242)
	cfg, _ := testConfig()
	h, err := NewHandler(map[types.SubnetID]Backend{"/devnet": root, "/devnet/games": games}, "/devnet", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, tc := range []struct{ path, want string }{
		{"/", `"0x539"`}, {"/devnet", `"0x539"`}, {"/devnet/", `"0x539"`}, {"/devnet/games", `"0x1092"`},
	} {
		code, body := post(t, h, tc.path, call("eth_chainId", "[]"))
		if code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want chain id %s", tc.path, code, body, tc.want)
		}
	}
	code, body := post(t, h, "/x", call("eth_chainId", "[]"))
	if code != http.StatusNotFound || !strings.Contains(body, `unknown subnet /x; this node serves: /devnet, /devnet/games`) || !strings.Contains(body, `"jsonrpc":"2.0"`) {
		t.Errorf("unknown path: %d %s", code, body)
	}

	// Subnets come and go at run time.
	chess := memback.New("/devnet/games/chess", 77)
	if err := h.AddSubnet("/devnet/games/chess", chess); err != nil {
		t.Fatal(err)
	}
	if err := h.AddSubnet("/devnet/games/chess", chess); !errors.Is(err, ErrSubnetExists) {
		t.Errorf("adding twice: %v", err)
	}
	if err := h.AddSubnet("Bad", chess); err == nil {
		t.Error("a malformed subnet ID was accepted")
	}
	if _, body := post(t, h, "/devnet/games/chess", call("net_version", "[]")); !strings.Contains(body, `"77"`) {
		t.Errorf("added subnet: %s", body)
	}
	if err := h.RemoveSubnet("/devnet/games"); err != nil {
		t.Fatal(err)
	}
	if err := h.RemoveSubnet("/devnet/games"); !errors.Is(err, ErrUnknownSubnet) {
		t.Errorf("removing twice: %v", err)
	}
	if code, body := post(t, h, "/devnet/games", call("eth_chainId", "[]")); code != 404 || !strings.Contains(body, "this node serves: /devnet, /devnet/games/chess") {
		t.Errorf("removed subnet: %d %s", code, body)
	}
}

// TestBadInput sends what a broken or hostile client sends: each request gets
// a JSON-RPC error naming the problem, and the server keeps serving.
func TestBadInput(t *testing.T) {
	chain, _ := memback.Populate(testSubnet, 1337)
	cfg, _ := testConfig()
	cfg.BodyLimit = 4096
	cfg.BatchItemLimit = 5
	h, err := NewHandler(map[types.SubnetID]Backend{testSubnet: chain}, testSubnet, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	batch := func(n int) string {
		calls := make([]string, n)
		for i := range calls {
			calls[i] = call("eth_chainId", "[]")
		}
		return "[" + strings.Join(calls, ",") + "]"
	}
	addr := `"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"`
	for _, tc := range []struct {
		name, body string
		status     int
		code       int
		msg        string
	}{
		{"malformed JSON", `{"jsonrpc":"2.0","id":1,"method":`, 200, -32700, "parse error"},
		{"unknown method", call("eth_foo", "[]"), 200, -32601, "the method eth_foo does not exist/is not available"},
		{"body over the limit", call("eth_chainId", `["`+strings.Repeat("a", 5000)+`"]`), 413, -32600, "request body too large: 5061 bytes, the limit is 4096"},
		{"batch over the limit", batch(6), 200, -32600, "batch too large: 6 calls, the limit is 5"},
		{"invalid block tag", call("eth_getBalance", "["+addr+`,"foo"]`), 200, -32602, `invalid argument 1: invalid block tag "foo": use latest, pending, safe, finalized, earliest, a hex number or a block hash`},
		{"number as block tag", call("eth_getBlockByNumber", `[12,false]`), 200, -32602, `invalid block tag 12`},
		{"bad address", call("eth_getBalance", `["0x12","latest"]`), 200, -32602, "invalid argument 0: hex string has length 2, want 40 for common.Address"},
		{"bool for hash", call("eth_getBlockByHash", `[true,false]`), 200, -32602, "invalid argument 0"},
		{"missing param", call("eth_getBlockByNumber", `[]`), 200, -32602, "missing value for required argument 0"},
		{"too many params", call("eth_chainId", `[1,2]`), 200, -32602, "too many arguments"},
		{"block object with both", call("eth_getBalance", "["+addr+`,{"blockNumber":"0x1","blockHash":"0x0000000000000000000000000000000000000000000000000000000000000000"}]`), 200, -32602, "give blockNumber or blockHash, not both"},
		{"bad storage key", call("eth_getStorageAt", "["+addr+`,"zz","latest"]`), 200, -32602, `invalid storage key "zz"`},
		{"bad raw tx", call("eth_sendRawTransaction", `["0x00"]`), 200, -32602, "invalid raw transaction"},
		{"too many topics", call("eth_getLogs", `[{"topics":[null,null,null,null,null]}]`), 200, -32602, "exceed max topics"},
		{"log range too wide", call("eth_getLogs", `[{"fromBlock":"0x0","toBlock":"0x100000"}]`), 200, -32005, "block range too large: 1048577 blocks, the limit is 10000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, h, "/devnet", tc.body)
			if status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, body)
			}
			var resp rpcResponse
			if strings.HasPrefix(body, "[") {
				var list []rpcResponse
				if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 1 {
					t.Fatalf("batch error response %s: %v", body, err)
				}
				resp = list[0]
			} else if err := json.Unmarshal([]byte(body), &resp); err != nil {
				t.Fatalf("response is not JSON-RPC: %s", body)
			}
			if resp.Error == nil || resp.Error.Code != tc.code || !strings.Contains(resp.Error.Message, tc.msg) {
				t.Errorf("got %s, want code %d and message containing %q", body, tc.code, tc.msg)
			}
			// and the server still answers
			if _, body := post(t, h, "/devnet", call("eth_blockNumber", "[]")); !strings.Contains(body, `"result":"0x5"`) {
				t.Errorf("after %s the server answered %s", tc.name, body)
			}
		})
	}
	// a body of unknown length is cut at the limit too
	req := httptest.NewRequest(http.MethodPost, "/devnet", io.MultiReader(strings.NewReader(call("eth_chainId", `["`+strings.Repeat("a", 5000)+`"]`))))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 413 || !strings.Contains(rec.Body.String(), "request body too large: more than the 4096-byte limit") {
		t.Errorf("chunked body over the limit: %d %s", rec.Code, rec.Body.String())
	}
	// a batch at the limit is served
	if _, body := post(t, h, "/devnet", batch(5)); strings.Count(body, `"0x539"`) != 5 {
		t.Errorf("batch of 5: %s", body)
	}
}

// slowChain blocks every call until its context ends.
type slowChain struct{ *memback.Chain }

func (s slowChain) Call(ctx context.Context, _ *types.Header, _ execution.CallArgs, _ map[common.Address]execution.Override) (*execution.CallResult, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestCallTimeoutAndGasCap(t *testing.T) {
	chain, fx := memback.Populate(testSubnet, 1337)
	cfg, _ := testConfig()
	cfg.CallTimeout = 10 * time.Millisecond
	h, err := NewHandler(map[types.SubnetID]Backend{testSubnet: slowChain{chain}}, testSubnet, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, body := post(t, h, "/devnet", call("eth_call", fmt.Sprintf(`[{"to":"%s"}]`, fx.Contract.Hex())))
	if !strings.Contains(body, "execution aborted (timeout = 10ms)") {
		t.Errorf("slow call: %s", body)
	}

	api := newSubnetAPI(chain, Config{GasCap: 1000}.withDefaults(), nil)
	gas := hexutil.Uint64(5000)
	ca, err := api.callArgs(txArgs{Gas: &gas})
	if err != nil || ca.Gas != 1000 {
		t.Errorf("gas over the cap: got %d, %v; want 1000", ca.Gas, err)
	}
	ca, _ = api.callArgs(txArgs{})
	if ca.Gas != 1000 {
		t.Errorf("no gas: got %d, want the cap 1000", ca.Gas)
	}
	if d := (Config{}).withDefaults(); d.GasCap != 50_000_000 || d.CallTimeout != 5*time.Second || d.BodyLimit != 5<<20 {
		t.Errorf("defaults: %+v", d)
	}
}

func TestClientVersion(t *testing.T) {
	h, _, _, _ := newTestHandler(t)
	_, body := post(t, h, "/devnet", call("web3_clientVersion", "[]"))
	var resp rpcResponse
	_ = json.Unmarshal([]byte(body), &resp)
	var v string
	_ = json.Unmarshal(resp.Result, &v)
	parts := strings.Split(v, "/")
	if len(parts) != 4 || parts[0] != "aspen" || parts[1] != "v0.1.0" || !strings.HasPrefix(parts[3], "go1.") || strings.Count(parts[3], ".") != 1 {
		t.Errorf("web3_clientVersion %q, want aspen/v0.1.0/<os>-<arch>/go1.NN", v)
	}
}
