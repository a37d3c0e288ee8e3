package gateway

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
)

// TestSetPrivacy: the creator, while Registered, sets 0 or 1; the child's
// genesis carries it; nobody changes it after activation.
func TestSetPrivacy(t *testing.T) {
	h := newXH(t, "/devnet")
	h.ok(common.Address{0xc0}, 0, "createSubnet", "bank", bftParams(1, 1))
	id := "/devnet/bank"
	if got := h.ok(common.Address{0xc0}, 0, "privacyOf", id)[0].(uint8); got != 0 {
		t.Fatalf("default privacy %d, want 0 (public)", got)
	}
	h.fails("only the creator", common.Address{0xc1}, 0, "setPrivacy", id, uint8(1))
	h.fails("privacy mode 2 is unknown", common.Address{0xc0}, 0, "setPrivacy", id, uint8(2))
	h.ok(common.Address{0xc0}, 0, "setPrivacy", id, uint8(1))
	if got := h.ok(common.Address{0xc0}, 0, "privacyOf", id)[0].(uint8); got != 1 {
		t.Fatalf("privacy %d after setPrivacy(1)", got)
	}
	c := &child{xh: h, id: "/devnet/bank", keys: map[common.Address]*crypto.BLSSecretKey{}}
	c.join(10)
	h.fails("fixed at activation", common.Address{0xc0}, 0, "setPrivacy", id, uint8(0))
	cg, err := ReadChildGenesis(h.st, "/devnet", "/devnet/bank")
	if err != nil {
		t.Fatal(err)
	}
	if cg.Privacy != PrivacyPrivate {
		t.Fatalf("child genesis privacy %s, want private", cg.Privacy)
	}
	h.ok(common.Address{0xc0}, 0, "createSubnet", "games", bftParams(1, 1))
	if ReadPrivacy(h.st, "games") != PrivacyPublic {
		t.Fatal("a new subnet is not public by default")
	}
}
