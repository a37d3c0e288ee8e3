package gateway

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// TestPowSubnetConfirmations: a PoW child carries its finality depth to
// its genesis — createSubnet gives the default, createPowSubnet the
// caller's — and the depth is refused where it means nothing or nothing good.
func TestPowSubnetConfirmations(t *testing.T) {
	h := newHarness(t)
	creator := common.Address{0xc}
	pow := bftParams(1, 10)
	pow.Engine = uint8(EnginePoW)

	h.ok(creator, 0, "createSubnet", "wan", pow)
	h.ok(creator, 0, "createPowSubnet", "deep", pow, uint32(12))
	h.fails("confirmations 0 must be between 1 and 1000", creator, 0, "createPowSubnet", "zero", pow, uint32(0))
	h.fails("confirmations 1001 must be between 1 and 1000", creator, 0, "createPowSubnet", "far", pow, uint32(1001))
	h.fails("createPowSubnet makes PoW subnets", creator, 0, "createPowSubnet", "fast", bftParams(1, 10), uint32(6))
	h.ok(creator, 0, "createSubnet", "fast", bftParams(1, 10))

	for id, want := range map[string]uint32{"/devnet/wan": DefaultConfirmations, "/devnet/deep": 12, "/devnet/fast": 0} {
		sn, err := ReadSubnet(h.st, "/devnet", types.SubnetID(id))
		if err != nil {
			t.Fatal(err)
		}
		if sn.Params.Confirmations != want {
			t.Errorf("%s: stored confirmations %d, want %d", id, sn.Params.Confirmations, want)
		}
		ret := h.ok(creator, 0, "confirmations", id)
		out, err := h.g.ABI().Unpack("confirmations", ret)
		if err != nil || out[0].(uint32) != want {
			t.Errorf("%s: confirmations() = %v (%v), want %d", id, out, err, want)
		}
	}
	// The depth reaches the child's genesis once it is active.
	h.ok(creator, 0, "createPowSubnet", "games", pow, uint32(9))
	join(h, common.Address{0xb}, blsKey(t, 2), 10) // its one seat: active
	g, err := ReadChildGenesis(h.st, "/devnet", "/devnet/games")
	if err != nil {
		t.Fatal(err)
	}
	if g.Params.Engine != EnginePoW || g.Params.Confirmations != 9 {
		t.Fatalf("child genesis params %+v, want PoW with 9 confirmations", g.Params)
	}
}
