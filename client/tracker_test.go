package client

import (
	"context"
	"errors"
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// fakeLogs answers FindLog from a map of (chain, event) to a log.
type fakeLogs map[string]*gethtypes.Log

func (f fakeLogs) FindLog(_ context.Context, chain types.SubnetID, event string, _ common.Hash) (*gethtypes.Log, error) {
	return f[string(chain)+" "+event], nil
}

func packEvent(t *testing.T, name string, args ...any) []byte {
	t.Helper()
	parsed, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	data, err := parsed.Events[name].Inputs.NonIndexed().Pack(args...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestTrackerFollowsPath: the tracker finds a message on its source, works
// out its path through the lowest common ancestor, and reports every hop,
// a failed delivery as "failed".
func TestTrackerFollowsPath(t *testing.T) {
	id := common.Hash{0x1d}
	sent := packEvent(t, "CrossMsgSent", "/devnet/a/x", "/devnet/b", common.Address{2}, big.NewInt(5), uint64(1))
	logs := fakeLogs{
		"/devnet/a/x CrossMsgSent":    {Data: sent, BlockNumber: 3, TxHash: common.Hash{3}},
		"/devnet/a CrossMsgForwarded": {BlockNumber: 11},
		"/devnet CrossMsgForwarded":   {BlockNumber: 21},
		"/devnet/b CrossMsgApplied":   {Data: packEvent(t, "CrossMsgApplied", false, []byte{0xde}), BlockNumber: 31},
	}
	tr, err := NewTracker(logs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := tr.Find(ctx, "/devnet/a/x", id)
	if err != nil {
		t.Fatal(err)
	}
	if want := []types.SubnetID{"/devnet/a/x", "/devnet/a", "/devnet", "/devnet/b"}; r.Dst != "/devnet/b" || !reflect.DeepEqual(r.Path, want) {
		t.Fatalf("route %s via %v, want /devnet/b via %v", r.Dst, r.Path, want)
	}
	if r.Sent != (Hop{Chain: "/devnet/a/x", State: HopSent, Block: 3, Tx: common.Hash{3}}) {
		t.Fatalf("sent hop %+v", r.Sent)
	}
	var got []Hop
	for _, chain := range r.Path[1:] {
		h, err := tr.Wait(ctx, r, chain)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h)
	}
	want := []Hop{
		{Chain: "/devnet/a", State: HopForwarded, Block: 11},
		{Chain: "/devnet", State: HopForwarded, Block: 21},
		{Chain: "/devnet/b", State: HopFailed, Block: 31, Detail: "the call reverted (de); its value returns to the sender"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hops\n%+v\nwant\n%+v", got, want)
	}
}

// TestTrackerMissingAndWaiting: an unknown message is ErrMessageNotFound;
// a hop that has not happened when the context ends returns its error.
func TestTrackerMissingAndWaiting(t *testing.T) {
	tr, err := NewTracker(fakeLogs{
		"/devnet CrossMsgSent": {Data: packEvent(t, "CrossMsgSent", "/devnet", "/devnet/b", common.Address{2}, big.NewInt(5), uint64(1))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Find(context.Background(), "/devnet/b", common.Hash{1}); !errors.Is(err, ErrMessageNotFound) {
		t.Fatalf("Find of a message never sent: %v, want ErrMessageNotFound", err)
	}
	r, err := tr.Find(context.Background(), "/devnet", common.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tr.Wait(ctx, r, "/devnet/b"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait for a hop that never comes: %v, want context.Canceled", err)
	}
}
