package light

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// evmExec is the EVM's ProvenCall, as cmd/aspen wires it.
func evmExec(ctx context.Context, chain CallChain, header *types.Header, accounts map[common.Address]CallAccount, args execution.CallArgs) (*execution.CallResult, CallTouched, error) {
	in := make(map[common.Address]evm.ProvenAccount, len(accounts))
	for addr, a := range accounts {
		in[addr] = evm.ProvenAccount(a)
	}
	res, touched, err := evm.ProvenCall(ctx, evm.CallConfig{Subnet: chain.Subnet, ChainID: new(big.Int).SetUint64(chain.ChainID)}, header, in, args)
	return res, CallTouched(touched), err
}

// TestCallProvesWhatItReads: viewer reads holder's slot 0 through a call.
// Only from and to are known at first; the holder's account and then its
// slot are proven in later rounds, and only the last run's answer, on
// proven state alone, is returned.
func TestCallProvesWhatItReads(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, nil)
	c := openClient(t, f, srv.URL, "", Limits{})
	to := viewer
	out, err := c.Call(context.Background(), evmExec, childID, execution.CallArgs{From: user, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	if out.Result.Err != nil || common.BytesToHash(out.Result.ReturnData) != userWord {
		t.Fatalf("call returned %x (%v), want %s", out.Result.ReturnData, out.Result.Err, userWord)
	}
	// Round 1 reads holder (and the proposer, paid the fee), round 2
	// holder's slot, round 3 nothing new.
	if out.Rounds != 3 || out.Accounts != 4 || out.Slots != 1 {
		t.Fatalf("%d rounds, %d accounts, %d slots; want 3, 4 (user, viewer, holder, proposer), 1", out.Rounds, out.Accounts, out.Slots)
	}
	if out.Anchor.StateRoot != f.cp.StateRoot || out.Sizes.State == 0 {
		t.Fatalf("anchored at %s with %d state bytes, want the checkpoint's root %s", out.Anchor.StateRoot, out.Sizes.State, f.cp.StateRoot)
	}

	// Through the proxy, as a wallet asks: refused without an executor.
	proxy := NewProxy(c)
	if got := proxyCall(t, proxy, `{"to":"`+viewer.Hex()+`"}`); got.Error == nil || !bytes.Contains(got.Error, []byte("-32601")) {
		t.Fatalf("proxy eth_call without an executor: %+v", got)
	}
	proxy.Exec = evmExec
	if got := proxyCall(t, proxy, `{"to":"`+viewer.Hex()+`"}`); got.Error != nil || got.Result != hexutil.Encode(userWord[:]) {
		t.Fatalf("proxy eth_call: %s %s", got.Result, got.Error)
	}
	// A revert keeps its code and data: the gateway has no child "nope".
	abi, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := abi.Pack("subnet", "nope")
	got := proxyCall(t, proxy, `{"to":"`+gateway.Address.Hex()+`","input":"`+hexutil.Encode(data)+`"}`)
	var perr struct {
		Code    int
		Message string
		Data    string
	}
	if err := json.Unmarshal(got.Error, &perr); err != nil || perr.Code != 3 || !strings.Contains(perr.Message, "execution reverted") || len(perr.Data) < 10 {
		t.Fatalf("a reverting call answered %s %s", got.Result, got.Error)
	}
	// A call that cannot run (value the sender lacks) is an error.
	if got := proxyCall(t, proxy, `{"to":"`+holder.Hex()+`","value":"0x1"}`); got.Error == nil {
		t.Fatalf("a call sending value the sender lacks answered %s", got.Result)
	}
}

type callReply struct {
	Result string          `json:"result"`
	Error  json.RawMessage `json:"error"`
}

func proxyCall(t *testing.T, p *Proxy, obj string) callReply {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[` + obj + `,"latest"]}`
	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest(http.MethodPost, string(childID), bytes.NewBufferString(body))
	p.ServeHTTP(rec, req)
	var out callReply
	if err := json.Unmarshal(rec.buf.Bytes(), &out); err != nil {
		t.Fatalf("%s: %v", rec.buf.String(), err)
	}
	return out
}

type recorder struct {
	header http.Header
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(int)             {}

// TestCallLies: a forged slot or code fails the call instead of answering.
func TestCallLies(t *testing.T) {
	to := viewer
	for name, lie := range map[string]lie{
		"slot value": func(m string, a any) any {
			if p, ok := a.(*rawAccountProof); ok && m == "eth_getProof" && p.Address == holder && len(p.StorageProof) > 0 {
				f2 := newStateTrie()
				f2.setContract(holder, new(big.Int), holderCode, map[common.Hash]common.Hash{{}: {7}})
				return f2.prove(holder, []common.Hash{{}})
			}
			return nil
		},
		"code": func(m string, a any) any {
			if m == "eth_getCode" {
				return hexutil.Bytes(common.FromHex("0x60076000526020600060f3"))
			}
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			c := openClient(t, f, f.server(t, lie).URL, "", Limits{})
			_, err := c.Call(context.Background(), evmExec, childID, execution.CallArgs{From: user, To: &to})
			if !errors.Is(err, ErrStateProof) {
				t.Fatalf("got %v, want %v", err, ErrStateProof)
			}
		})
	}
}

// TestCallRounds: an executor that reads a new account on every run is cut
// off at the round cap.
func TestCallRounds(t *testing.T) {
	f := newFixture(t)
	c := openClient(t, f, f.server(t, nil).URL, "", Limits{})
	runs := 0
	greedy := func(_ context.Context, _ CallChain, _ *types.Header, accounts map[common.Address]CallAccount, _ execution.CallArgs) (*execution.CallResult, CallTouched, error) {
		runs++
		return &execution.CallResult{}, CallTouched{Accounts: []common.Address{common.BigToAddress(big.NewInt(int64(1000 + runs)))}}, nil
	}
	to := viewer
	if _, err := c.Call(context.Background(), greedy, childID, execution.CallArgs{From: user, To: &to}); !errors.Is(err, ErrCallTooLarge) || runs != maxCallRounds {
		t.Fatalf("got %v after %d runs, want %v after %d", err, runs, ErrCallTooLarge, maxCallRounds)
	}
}
