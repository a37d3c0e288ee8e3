package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

// harness runs calls on a memState, crediting msg.value to the gateway
// first as the EVM does.
type harness struct {
	t  *testing.T
	g  *Gateway
	st *memState
}

func newHarness(t *testing.T) *harness {
	g, err := New("/devnet", Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, g: g, st: newMemState()}
}

func (h *harness) call(from common.Address, value int64, method string, args ...any) ([]byte, error) {
	h.t.Helper()
	v := big.NewInt(value)
	h.st.balances[from] = new(big.Int).Add(h.st.Balance(from), v) // minted for the test
	if err := h.st.Transfer(from, Address, v); err != nil {
		h.t.Fatal(err)
	}
	ret, err := h.g.Run(h.st, Call{Caller: from, Value: v, Input: mustPack(h.t, h.g, method, args...)})
	if err != nil {
		h.st.balances[Address] = new(big.Int).Sub(h.st.Balance(Address), v) // the EVM's rollback
		h.st.balances[from] = new(big.Int).Add(h.st.Balance(from), v)
	}
	return ret, err
}

func (h *harness) ok(from common.Address, value int64, method string, args ...any) []byte {
	h.t.Helper()
	ret, err := h.call(from, value, method, args...)
	if err != nil {
		reason, _ := abi.UnpackRevert(ret)
		h.t.Fatalf("%s: %v (%s)", method, err, reason)
	}
	return ret
}

func (h *harness) fails(want string, from common.Address, value int64, method string, args ...any) {
	h.t.Helper()
	ret, err := h.call(from, value, method, args...)
	if !errors.Is(err, ErrReverted) {
		h.t.Fatalf("%s succeeded, want revert %q", method, want)
	}
	if reason, _ := abi.UnpackRevert(ret); !strings.Contains(reason, want) {
		h.t.Fatalf("%s reverted with %q, want %q", method, reason, want)
	}
}

func bftParams(minVals uint32, minColl int64) ABIParams {
	return ABIParams{Engine: uint8(EngineBFT), MinValidators: minVals, MinCollateral: big.NewInt(minColl), BlockTimeMs: 500, CheckpointPeriod: 10, GasLimit: 30_000_000}
}

// blsKey is validator key seed of the shared test keys.
func blsKey(_ testing.TB, seed byte) *crypto.BLSSecretKey { return testkeys.BLS(int(seed)) }

func join(h *harness, who common.Address, k *crypto.BLSSecretKey, value int64) {
	h.t.Helper()
	h.ok(who, value, "join", "/devnet/games", k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
}

func TestRegistryLifecycleInMemory(t *testing.T) {
	h := newHarness(t)
	creator, a, b, c := common.Address{0xc}, common.Address{0xa}, common.Address{0xb}, common.Address{0xd}
	h.ok(creator, 0, "createSubnet", "games", bftParams(2, 30))
	h.ok(creator, 5, "fund", "/devnet/games", common.Address{0xf}) // before activation: genesis
	join(h, a, blsKey(t, 1), 15)                                   // each seat brings at least 30/2
	h.ok(a, 5, "stake", "/devnet/games")
	sn, err := ReadSubnet(h.st, "/devnet", "/devnet/games")
	if err != nil {
		t.Fatal(err)
	}
	if sn.Status != StatusRegistered || sn.TotalCollateral.Int64() != 20 { // 1 seat of 2
		t.Fatalf("status %s with 1 seat and %s collateral", sn.Status, sn.TotalCollateral)
	}
	join(h, b, blsKey(t, 2), 15)
	sn, _ = ReadSubnet(h.st, "/devnet", "/devnet/games")
	if sn.Status != StatusActive || sn.ConfigNumber != 1 || sn.GenesisNonce != 1 || sn.ActivatedAt != 1 {
		t.Fatalf("after the second join: %+v", sn)
	}
	k3 := blsKey(t, 3)
	h.fails("needs at least 15 wei of collateral", c, 7, "join", "/devnet/games", k3.PublicKey().Bytes(), k3.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	join(h, c, k3, 15) // config 2
	h.ok(creator, 9, "fund", "/devnet/games", common.Address{0xf})
	h.ok(a, 0, "leave", "/devnet/games") // config 3
	// Active: a is out of the set, its collateral waits for a checkpoint
	// showing the child applied config 3 (checkpoint_test.go pays it).
	if got := h.st.Balance(a); got.Sign() != 0 {
		t.Fatalf("a got %s back before the child applied its leave", got)
	}
	if rs, err := ReadPendingReleases(h.st, "/devnet", "/devnet/games"); err != nil || len(rs) != 1 || rs[0].Owner != a || rs[0].Amount.Int64() != 20 || rs[0].Config != 3 {
		t.Fatalf("pending releases %+v, %v; want a's 20 for config 3", rs, err)
	}
	msgs, err := ReadTopDown(h.st, "/devnet", "/devnet/games", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, m := range msgs {
		if m.Nonce != uint64(i+1) {
			t.Fatalf("message %d has nonce %d", i, m.Nonce)
		}
		switch m.Kind {
		case KindConfig:
			kinds = append(kinds, fmt.Sprintf("config%d/%d", m.Config.Number, m.Config.Op))
		default:
			kinds = append(kinds, fmt.Sprintf("fund%s#%d", m.Msg.Value, m.Msg.SrcNonce))
		}
	}
	if got, want := strings.Join(kinds, " "), "fund5#1 config2/0 fund9#2 config3/2"; got != want {
		t.Fatalf("queue %q, want %q", got, want)
	}
	g, err := ReadChildGenesis(h.st, "/devnet", "/devnet/games")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Validators) != 2 || g.Validators[0].Collateral.Int64() != 20 || g.Validators[1].Collateral.Int64() != 15 || g.Supply.Int64() != 5 || g.FirstTopDownNonce != 2 || len(g.Funds) != 1 {
		t.Fatalf("genesis %+v", g)
	}
	if g.Funds[0].ID != MsgID("/devnet", 1) {
		t.Fatal("genesis fund has the wrong ID")
	}
}

func TestBlobShrinkClears(t *testing.T) {
	st := newMemState()
	s := slotOf("test")
	writeBlob(st, s, bytes.Repeat([]byte{7}, 100))
	writeBlob(st, s, []byte{1, 2, 3})
	if got := readBlob(st, s); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("read %x", got)
	}
	if len(st.slots) != 2 { // length + one chunk; the 3 old chunks' tails are gone
		t.Fatalf("%d slots left after shrinking, want 2", len(st.slots))
	}
	clearBlob(st, s)
	if len(st.slots) != 0 {
		t.Fatalf("%d slots left after clearing", len(st.slots))
	}
}

func TestChainIDFor(t *testing.T) {
	seen := map[uint64]types.SubnetID{}
	for _, id := range []types.SubnetID{"/devnet/games", "/devnet/games/chess", "/devnet/alpha", "/devnet/beta", "/other/games", "/devnet/alpha/one"} {
		c := ChainIDFor(id)
		if c != ChainIDFor(id) {
			t.Fatal("not deterministic")
		}
		if c < 1<<32 || c >= 1<<53 {
			t.Fatalf("%s: chain ID %d out of [2^32, 2^53)", id, c)
		}
		if other, ok := seen[c]; ok {
			t.Fatalf("%s and %s share chain ID %d", id, other, c)
		}
		seen[c] = id
	}
	// Pinned: a change of the derivation changes every subnet's chain ID.
	if got := ChainIDFor("/devnet/games"); got != pinnedGamesChainID {
		t.Fatalf("ChainIDFor(/devnet/games) = %d, pinned %d", got, pinnedGamesChainID)
	}
}

const pinnedGamesChainID = 6374738019203654
