package node

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// TestGetAddressTxs: aspen_getAddressTxs pages through what an address sent
// and received, newest first, over the node's RPC, and refuses bad input
// with a reason.
func TestGetAddressTxs(t *testing.T) {
	n := newTestNode(t, 50*time.Millisecond)
	ctx := context.Background()
	c, err := ethclient.Dial(n.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	from := gethcrypto.PubkeyToAddress(n.user.PublicKey)
	a, b := common.HexToAddress("0xa1"), common.HexToAddress("0xb2")
	var sent []common.Hash
	for i, to := range []common.Address{a, b, a} {
		tx, _ := gethtypes.SignNewTx(n.user, gethtypes.LatestSignerForChainID(n.chainID), &gethtypes.DynamicFeeTx{
			ChainID: n.chainID, Nonce: uint64(i), GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 21000, To: &to, Value: big.NewInt(1),
		})
		if err := c.SendTransaction(ctx, tx); err != nil {
			t.Fatal(err)
		}
		waitReceipt(t, c, tx.Hash()) // one at a time: each lands in a later block or later in one
		sent = append(sent, tx.Hash())
	}
	page := func(addr common.Address, cursor *string, limit uint64) AddressTxs {
		t.Helper()
		var out AddressTxs
		if err := c.Client().Call(&out, "aspen_getAddressTxs", "/testnet", addr, cursor, hexutil.Uint64(limit)); err != nil {
			t.Fatal(err)
		}
		return out
	}
	hashes := func(p AddressTxs) []common.Hash {
		var out []common.Hash
		for _, x := range p.Txs {
			out = append(out, x.Hash)
		}
		return out
	}
	first := page(from, nil, 2)
	if got := hashes(first); len(got) != 2 || got[0] != sent[2] || got[1] != sent[1] || first.Next == "" {
		t.Fatalf("sender's first page %v next %q, want the last two sent, newest first, and a next cursor", got, first.Next)
	}
	second := page(from, &first.Next, 2)
	if got := hashes(second); len(got) != 1 || got[0] != sent[0] || second.Next != "" {
		t.Fatalf("sender's second page %v next %q, want the first sent and no more", got, second.Next)
	}
	if got := hashes(page(a, nil, 10)); len(got) != 2 || got[0] != sent[2] || got[1] != sent[0] {
		t.Fatalf("recipient a's transactions %v, want %v", got, []common.Hash{sent[2], sent[0]})
	}
	r, err := c.TransactionReceipt(ctx, sent[1])
	if err != nil {
		t.Fatal(err)
	}
	if p := page(b, nil, 10); len(p.Txs) != 1 || uint64(p.Txs[0].BlockNumber) != r.BlockNumber.Uint64() || uint(p.Txs[0].Index) != r.TransactionIndex {
		t.Fatalf("recipient b's entry %+v, want block %v index %d", p.Txs, r.BlockNumber, r.TransactionIndex)
	}

	bad := "nope"
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"/testnet", from, nil, hexutil.Uint64(0)}, "limit 0"},
		{[]any{"/testnet", from, nil, hexutil.Uint64(101)}, "limit 101"},
		{[]any{"/testnet", from, &bad, hexutil.Uint64(5)}, `cursor "nope"`},
		{[]any{"/elsewhere", from, nil, hexutil.Uint64(5)}, "does not serve"},
	} {
		var out AddressTxs
		err := c.Client().Call(&out, "aspen_getAddressTxs", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("aspen_getAddressTxs%v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}
