package gateway

import (
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// fuzzBase is a root gateway with an Active child of three validators and a
// committed checkpoint, built once per process: every fuzz input runs on a
// copy of its state.
var fuzzBase struct {
	once  sync.Once
	c     *child
	state xSnap
	seeds [][]byte
}

func fuzzSetup(t *testing.T) *child {
	fuzzBase.once.Do(func() {
		h := newXH(t, "/devnet")
		c := h.newChild("games", 10, 10, 10)
		h.ok(common.Address{0xf0}, 7*gwei, "fund", string(c.id), common.Address{0xf1})
		c.commit(c.next())
		owner := c.join(10)
		k := blsKey(t, 0x77) // holds no seat yet
		cp := c.next()
		enc, agg, bm := c.sign(cp, "devnet")
		fuzzBase.seeds = [][]byte{
			mustPack(t, h.g, "subnetId"),
			mustPack(t, h.g, "children"),
			mustPack(t, h.g, "subnet", string(c.id)),
			mustPack(t, h.g, "createSubnet", "chess", bftParams(1, 1)),
			mustPack(t, h.g, "join", string(c.id), k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x"),
			mustPack(t, h.g, "stake", string(c.id)),
			mustPack(t, h.g, "leave", string(c.id)),
			mustPack(t, h.g, "kill", string(c.id)),
			mustPack(t, h.g, "fund", string(c.id), common.Address{0xf2}),
			mustPack(t, h.g, "release", common.Address{0xf3}),
			mustPack(t, h.g, "send", string(c.id), common.Address{0xf4}, []byte{1, 2}),
			mustPack(t, h.g, "send", "/devnet/nope", common.Address{0xf4}, []byte{}),
			mustPack(t, h.g, "submitCheckpoint", enc, agg, bm),
			mustPack(t, h.g, "submitEvidence", string(c.id), c.doubleVote(owner, 12)),
			mustPack(t, h.g, "crossMsgOrigin"),
		}
		fuzzBase.c, fuzzBase.state = c, h.st.snapshot()
	})
	if fuzzBase.c == nil {
		t.Fatal("fuzz setup failed in an earlier input")
	}
	fuzzBase.c.t = t
	// restore hands the snapshot's balance map and burned counter to the
	// state, which the call then changes: keep a fresh copy as the base.
	fuzzBase.c.st.restore(fuzzBase.state)
	fuzzBase.state = fuzzBase.c.st.snapshot()
	return fuzzBase.c
}

// FuzzGatewayRun sends arbitrary calldata, from one of a few callers with a
// small value, to the gateway of a chain with an Active child. Whatever the
// input: no panic, a failure is a revert (ErrReverted) with an
// Error(string) payload and leaves the state as it was, and a success keeps
// the gateway solvent (its balance is exactly what it owes: supply,
// collateral, pending releases). `make fuzz` runs it (tools/fuzz).
func FuzzGatewayRun(f *testing.F) {
	// Seeds are packed by the setup, which needs a *testing.T: a first
	// input builds it, the later ones are real calls (selector + args).
	f.Add(uint8(0), uint64(0), []byte{})
	for i := range 15 {
		f.Add(uint8(i), uint64(0), []byte{byte(i)})
	}
	for _, i := range []byte{4, 5, 8, 10} { // join, stake, fund, send: payable
		f.Add(uint8(i), uint64(3*gwei), []byte{i})
	}
	f.Fuzz(func(t *testing.T, who uint8, value uint64, input []byte) {
		c := fuzzSetup(t)
		// A one-byte input picks a seed call, so the seeds reach every
		// function; longer inputs are calldata as they are.
		if len(input) == 1 {
			input = fuzzBase.seeds[int(input[0])%len(fuzzBase.seeds)]
		}
		callers := []common.Address{{0xa0, 1}, {0xa0, 2}, {0xa0, 4}, {0xc0}, {0xee}}
		caller := callers[int(who)%len(callers)]
		before := c.st.snapshot()
		ret, err := c.st.run(caller, new(big.Int).SetUint64(value%(100*gwei)), input)
		if err != nil {
			if !errors.Is(err, ErrReverted) {
				t.Fatalf("error %v is not a revert", err)
			}
			if _, uerr := abi.UnpackRevert(ret); uerr != nil {
				t.Fatalf("revert payload %x is not Error(string): %v", ret, uerr)
			}
			c.unchanged(before)
			return
		}
		c.conserved()
	})
}
