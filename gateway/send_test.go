package gateway

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestSendDown: send to a subnet below this chain queues the message for the
// child on the path and locks its value; source nonces continue fund's.
func TestSendDown(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	alice, bob := common.Address{0xa1}, common.Address{0xb0}
	h.ok(alice, 3, "fund", string(c.id), bob) // source nonce 1
	events := len(h.st.events)
	out := h.ok(alice, 5, "send", "/devnet/games", bob, []byte{})
	if out[0] != [32]byte(MsgID("/devnet", 2)) {
		t.Fatalf("send returned %x, want the ID of source nonce 2", out[0])
	}
	ev := h.event(events, "CrossMsgSent")
	if ev["msgId"] != [32]byte(MsgID("/devnet", 2)) || ev["src"] != "/devnet" || ev["dst"] != "/devnet/games" || ev["from"] != alice ||
		ev["to"] != bob || ev["value"].(*big.Int).Int64() != 5 || ev["nonce"] != uint64(2) {
		t.Fatalf("CrossMsgSent %v", ev)
	}
	h.ok(alice, 0, "send", "/devnet/games/chess", bob, []byte{0xca, 0xfe}) // a call further down, no value
	ms, err := ReadTopDown(h.st, "/devnet", c.id, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(ms), "transfer:/devnet->/devnet/games:3 transfer:/devnet->/devnet/games:5 call:/devnet->/devnet/games/chess:0"; got != want {
		t.Fatalf("queue %q, want %q", got, want)
	}
	m := ms[2].Msg
	if m.ID != MsgID("/devnet", 3) || m.SrcNonce != 3 || m.From != alice || m.To != bob || string(m.Data) != "\xca\xfe" || ms[2].Kind != KindCall {
		t.Fatalf("queued call %+v", ms[2])
	}
	if c.circ() != 8 {
		t.Fatalf("supply %d, want 8", c.circ())
	}
	if UpNonce(h.st) != 0 {
		t.Fatal("a message down touched the up queue")
	}
	h.conserved()
}

// TestSendUpBurns: on a child, release and send to anywhere outside its
// subtree join its up queue; their value leaves this chain's supply.
func TestSendUpBurns(t *testing.T) {
	h := newXH(t, "/devnet/games")
	alice, bob := common.Address{0xa1}, common.Address{0xb0}
	h.st.balances[alice] = big.NewInt(100)
	if _, err := h.st.run(alice, big.NewInt(40), mustPack(t, h.g, "release", bob)); err != nil {
		t.Fatal(err)
	}
	h.ok(alice, 0, "send", "/devnet/other/x", bob, []byte{1, 2})
	h.ok(alice, 7, "send", "/devnet/other", bob, []byte{})
	if h.st.burned.Int64() != 47 || h.st.Balance(Address).Sign() != 0 || h.st.Balance(alice).Int64() != 53 {
		t.Fatalf("burned %s, gateway %s, alice %s", h.st.burned, h.st.Balance(Address), h.st.Balance(alice))
	}
	up, err := ReadUp(h.st, "/devnet/games", 1, 10)
	if err != nil || len(up) != 3 || UpNonce(h.st) != 3 {
		t.Fatalf("up queue %+v %v, nonce %d", up, err, UpNonce(h.st))
	}
	want := []CrossMsg{
		{ID: MsgID("/devnet/games", 1), SrcSubnet: "/devnet/games", SrcNonce: 1, From: alice, DstSubnet: "/devnet", To: bob, Value: big.NewInt(40), Data: []byte{}, Kind: KindTransfer},
		{ID: MsgID("/devnet/games", 2), SrcSubnet: "/devnet/games", SrcNonce: 2, From: alice, DstSubnet: "/devnet/other/x", To: bob, Value: big.NewInt(0), Data: []byte{1, 2}, Kind: KindCall},
		{ID: MsgID("/devnet/games", 3), SrcSubnet: "/devnet/games", SrcNonce: 3, From: alice, DstSubnet: "/devnet/other", To: bob, Value: big.NewInt(7), Data: []byte{}, Kind: KindTransfer},
	}
	for i := range want {
		if up[i].Leaf() != want[i].Leaf() {
			t.Fatalf("up entry %d %+v, want %+v", i+1, up[i], want[i])
		}
	}
	// What a checkpoint of this chain carries is accepted by the parent's checks.
	for i := range up {
		if err := checkUpMessage("/devnet", "/devnet/games", i, &up[i]); err != nil {
			t.Fatalf("the parent would refuse up entry %d: %v", i+1, err)
		}
	}
}

// TestSendRefusals: each bad send or release reverts saying what to do, and
// changes nothing.
func TestSendRefusals(t *testing.T) {
	h := newXH(t, "/devnet")
	h.newChild("games", 10)
	h.ok(common.Address{0xc0}, 0, "createSubnet", "idle", bftParams(2, 1))
	h.ok(common.Address{0xc0}, 0, "createSubnet", "dead", bftParams(2, 1))
	h.ok(common.Address{0xc0}, 0, "kill", "/devnet/dead")
	alice, bob := common.Address{0xa1}, common.Address{0xb0}
	tests := []struct {
		name  string
		value int64
		dst   string
		to    common.Address
		data  []byte
		want  string
	}{
		{"bare name", 1, "games", bob, nil, `gateway: send: destination: types: invalid subnet ID: "games" must start with /`},
		{"bad name", 1, "/devnet/Games", bob, nil, "may hold only a-z, 0-9 and -"},
		{"other network", 1, "/testnet/games", bob, nil, "/testnet/games is in network /testnet, this chain in /devnet"},
		{"this chain", 1, "/devnet", bob, nil, "the destination is this chain (/devnet); call 0x"},
		{"nothing", 0, "/devnet/games", bob, nil, "carries neither value nor call data; send a value, or give data for a call"},
		{"zero address", 1, "/devnet/games", common.Address{}, nil, "to the zero address on /devnet/games would lose the message"},
		{"the gateway", 1, "/devnet/games", Address, nil, "the gateway cannot receive cross-messages"},
		{"huge call", 0, "/devnet/games", bob, make([]byte, MaxCrossMsgData+1), "call data of 16385 bytes is over the limit of 16384"},
		{"unknown child", 1, "/devnet/nope/x", bob, nil, "/devnet/nope/x does not exist (no child /devnet/nope of /devnet)"},
		{"killed child", 1, "/devnet/dead", bob, nil, "/devnet/dead was killed; it cannot receive messages"},
		{"call into a Registered child", 0, "/devnet/idle", bob, []byte{1}, "/devnet/idle is not active yet"},
		{"below a Registered child", 1, "/devnet/idle/x", bob, nil, "/devnet/idle is not active yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			h.fails(tt.want, alice, tt.value, "send", tt.dst, tt.to, tt.data)
		})
	}
	h.t = t
	h.fails("gateway: fund /devnet/games: the gateway cannot receive cross-messages", alice, 1, "fund", "/devnet/games", Address)
	h.fails("gateway: release: /devnet is a root chain and has no parent; use fund or send", alice, 1, "release", bob)

	child := newXH(t, "/devnet/games")
	child.fails("gateway: release needs a value greater than 0", alice, 0, "release", bob)
	child.fails("release to the zero address on /devnet", alice, 1, "release", common.Address{})
	child.fails("gateway: send: the destination is this chain", alice, 1, "send", "/devnet/games", bob, []byte{})
}

// TestSendGas: the price of send covers storing the message where it goes,
// and grows with its call data.
func TestSendGas(t *testing.T) {
	h := newXH(t, "/devnet")
	h.newChild("games", 10)
	price := func(dst string, data []byte) uint64 {
		return h.g.RequiredGas(h.st, Call{Value: big.NewInt(1), Input: mustPack(t, h.g, "send", dst, common.Address{1}, data)})
	}
	small, large := price("/devnet/games", nil), price("/devnet/games", make([]byte, 4096))
	if small < gasBase+gasWrite*(downRecordSlots(CrossMsg{SrcSubnet: "/devnet", DstSubnet: "/devnet/games", Value: big.NewInt(1)})+3) {
		t.Fatalf("send priced %d, less than its writes", small)
	}
	if large-small < gasWrite*4096/32 {
		t.Fatalf("4 KiB of call data add %d gas, less than storing them", large-small)
	}
	// The bound holds for the largest message of each kind.
	for _, m := range []CrossMsg{
		{SrcSubnet: strings.Repeat("/abcdefghijklmnopqrstuvwxyz012345", 8), DstSubnet: strings.Repeat("/abcdefghijklmnopqrstuvwxyz012345", 8),
			Value: new(big.Int).Lsh(big.NewInt(1), 255), Data: make([]byte, MaxCrossMsgData), Kind: KindCall, SrcNonce: 1<<64 - 1},
		{SrcSubnet: "/a", DstSubnet: "/a/b", Value: big.NewInt(0), Kind: KindRefund},
	} {
		stored := encodeTopDown(TopDownMsg{Nonce: 1<<64 - 1, Height: 1<<64 - 1, Kind: m.Kind, Msg: m})
		if blobSlots(len(stored)) > downRecordSlots(m) {
			t.Fatalf("a stored message takes %d slots, priced %d", blobSlots(len(stored)), downRecordSlots(m))
		}
		if blobSlots(len(encodeCrossMsg(m))) > upRecordSlots(m) {
			t.Fatal("an up message takes more slots than priced")
		}
	}
}
