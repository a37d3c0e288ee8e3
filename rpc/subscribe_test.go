package rpc

import (
	"context"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/rpc/internal/memback"
)

// failAfter bounds a wait for a notification; it only fails a hung test.
const failAfter = 10 * time.Second

func dialWS(t *testing.T) (*gethrpc.Client, *memback.Chain, memback.Fixture, *Handler) {
	t.Helper()
	h, chain, fx, _ := newTestHandler(t)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := gethrpc.DialWebsocket(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/devnet", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, chain, fx, h
}

func storeTx(t *testing.T, chain *memback.Chain, to common.Address, nonce uint64, slot int64, v byte) *gethtypes.Transaction {
	t.Helper()
	tx := gethtypes.MustSignNewTx(memback.Keys()[0], chain.Signer(), &gethtypes.DynamicFeeTx{
		ChainID: chain.ChainID(), Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(3e9), Gas: 60000, To: &to, Data: memback.StoreData(slot, v),
	})
	if err := chain.SendTx(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestSubscribeNewHeads(t *testing.T) {
	c, chain, _, _ := dialWS(t)
	ch := make(chan map[string]any, 4)
	sub, err := c.EthSubscribe(context.Background(), ch, "newHeads")
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(6); want <= 7; want++ {
		b := chain.Mine()
		select {
		case head := <-ch:
			if head["number"] != hexutil.EncodeUint64(want) || head["hash"] != b.Hash().Hex() || head["parentHash"] != b.Header.ParentHash.Hex() {
				t.Errorf("head %d: %v", want, head)
			}
			if _, ok := head["transactions"]; ok {
				t.Errorf("newHeads carries a header, not a block: %v", head)
			}
		case err := <-sub.Err():
			t.Fatal(err)
		case <-time.After(failAfter):
			t.Fatalf("no head %d", want)
		}
	}
	sub.Unsubscribe()
}

func TestSubscribeLogsWithFilter(t *testing.T) {
	c, chain, fx, _ := dialWS(t)
	ch := make(chan gethtypes.Log, 8)
	slot9 := common.BigToHash(big.NewInt(9))
	sub, err := c.EthSubscribe(context.Background(), ch, "logs", map[string]any{
		"address": fx.Contract, "topics": []any{memback.StoredTopic, slot9},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	storeTx(t, chain, fx.Contract, 3, 10, 0x01) // another slot: filtered out
	tx2 := storeTx(t, chain, fx.Contract, 4, 9, 0x02)
	b1 := chain.Mine()
	tx3 := storeTx(t, chain, fx.Contract, 5, 9, 0x03)
	b2 := chain.Mine()
	for _, want := range []struct {
		tx    common.Hash
		hash  common.Hash
		index uint
		val   byte
	}{{tx2.Hash(), b1.Hash(), 1, 0x02}, {tx3.Hash(), b2.Hash(), 0, 0x03}} {
		select {
		case l := <-ch:
			if l.TxHash != want.tx || l.BlockHash != want.hash || l.Index != want.index || l.Topics[1] != slot9 || l.Data[31] != want.val {
				t.Errorf("log %+v, want tx %s block %s index %d", l, want.tx, want.hash, want.index)
			}
			if l.BlockTimestamp == 0 {
				t.Errorf("log has no blockTimestamp: %+v", l)
			}
		case err := <-sub.Err():
			t.Fatal(err)
		case <-time.After(failAfter):
			t.Fatal("no log")
		}
	}
}

// TestSubscribeLogsRemoved: logs the backend sends again with Removed set
// (blocks a rewind dropped) reach a matching subscription marked removed,
// in order with the logs that follow; the filter still applies to them.
func TestSubscribeLogsRemoved(t *testing.T) {
	c, chain, fx, _ := dialWS(t)
	ch := make(chan gethtypes.Log, 8)
	sub, err := c.EthSubscribe(context.Background(), ch, "logs", map[string]any{"address": fx.Contract})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	gone := common.Hash{0xd0}
	chain.SendLogs([]*gethtypes.Log{
		{Address: common.Address{0x01}, BlockHash: gone, BlockTimestamp: 1, Removed: true}, // filtered out
		{Address: fx.Contract, Topics: []common.Hash{memback.StoredTopic}, BlockHash: gone, BlockNumber: 6, BlockTimestamp: 1, Removed: true},
	})
	tx := storeTx(t, chain, fx.Contract, 3, 9, 0x01)
	b := chain.Mine()
	for _, want := range []struct {
		block   common.Hash
		removed bool
	}{{gone, true}, {b.Hash(), false}} {
		select {
		case l := <-ch:
			if l.BlockHash != want.block || l.Removed != want.removed || l.Address != fx.Contract {
				t.Fatalf("log of block %s removed %v, want block %s removed %v", l.BlockHash, l.Removed, want.block, want.removed)
			}
			if !want.removed && l.TxHash != tx.Hash() {
				t.Fatalf("log of tx %s, want %s", l.TxHash, tx.Hash())
			}
		case err := <-sub.Err():
			t.Fatal(err)
		case <-time.After(failAfter):
			t.Fatal("no log")
		}
	}
}

func TestSubscribePendingTransactions(t *testing.T) {
	c, chain, fx, _ := dialWS(t)
	hashes := make(chan common.Hash, 4)
	subHashes, err := c.EthSubscribe(context.Background(), hashes, "newPendingTransactions")
	if err != nil {
		t.Fatal(err)
	}
	defer subHashes.Unsubscribe()
	full := make(chan map[string]any, 4)
	subFull, err := c.EthSubscribe(context.Background(), full, "newPendingTransactions", true)
	if err != nil {
		t.Fatal(err)
	}
	defer subFull.Unsubscribe()
	tx := storeTx(t, chain, fx.Contract, 3, 1, 0x01)
	select {
	case h := <-hashes:
		if h != tx.Hash() {
			t.Errorf("hash %s, want %s", h, tx.Hash())
		}
	case <-time.After(failAfter):
		t.Fatal("no pending hash")
	}
	select {
	case obj := <-full:
		if obj["hash"] != tx.Hash().Hex() || obj["from"] != strings.ToLower("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf") || obj["blockHash"] != nil {
			t.Errorf("full pending tx %v", obj)
		}
	case <-time.After(failAfter):
		t.Fatal("no pending tx")
	}
}

func TestRemoveSubnetEndsSubscriptions(t *testing.T) {
	c, _, _, h := dialWS(t)
	ch := make(chan map[string]any)
	sub, err := c.EthSubscribe(context.Background(), ch, "newHeads")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.RemoveSubnet(testSubnet); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Err():
	case <-time.After(failAfter):
		t.Fatal("subscription outlived its subnet")
	}
}

func TestSubscriptionsNeedWebSocket(t *testing.T) {
	h, _, _, _ := newTestHandler(t)
	_, body := post(t, h, "/devnet", call("eth_subscribe", `["newHeads"]`))
	if !strings.Contains(body, "notifications not supported") {
		t.Errorf("eth_subscribe over HTTP: %s", body)
	}
}
