package gateway

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/consensus/pow"
	aspencrypto "github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// powMinDifficulty keeps the tests' mining to a few hashes a block; the
// rules are the pow engine's own.
const powMinDifficulty = 16

// powRules is the PowVerifier a node builds, with the real pow header rules
// at a small minimum difficulty and a genesis hash the test chose.
type powRules struct{ genesis common.Hash }

func (v *powRules) ChildGenesisHash(*ChildGenesis) (common.Hash, error) { return v.genesis, nil }

func (v *powRules) CheckHeader(_ types.SubnetID, p Params, parent, h *types.Header) error {
	return pow.CheckHeader(parent, h, uint64(p.BlockTimeMs), powMinDifficulty)
}

// powChild is a PoW child as its parent sees it through segments: a header
// chain mined for real, and the child gateway's counters and up accumulator
// in a real state trie whose root the checkpoint blocks carry.
type powChild struct {
	*xh
	id      types.SubnetID
	conf    uint64
	period  uint64
	headers []*types.Header
	ups     []CrossMsg // the child's up queue
	applied uint64     // top-down nonce applied
	config  uint64
	seats   *child // its validators, whose signatures mean nothing here
}

const powBlockMs = 1000

// newPowChild makes /devnet/wan, a PoW child with period 4 and 3
// confirmations, active with one seat and 1000 wei circulating.
func newPowChild(t *testing.T) *powChild {
	genesis := &types.Header{SubnetID: "/devnet/wan", TimeMs: 1_000_000, GasLimit: 30_000_000}
	g, err := New("/devnet", Options{Pow: &powRules{genesis: genesis.Hash()}})
	if err != nil {
		t.Fatal(err)
	}
	h := &xh{t: t, g: g, st: newXState(g), seed: 1}
	h.st.timeSec = 2_000_000 // far past every header
	p := bftParams(1, 1)
	p.Engine, p.CheckpointPeriod, p.BlockTimeMs = uint8(EnginePoW), 4, powBlockMs
	h.ok(common.Address{0xc0}, 0, "createPowSubnet", "wan", p, uint32(3))
	h.ok(common.Address{0xf1}, 1000, "fund", "/devnet/wan", common.Address{0xf1})
	c := &child{xh: h, id: "/devnet/wan", keys: map[common.Address]*aspencrypto.BLSSecretKey{}}
	c.join(10)
	return &powChild{xh: h, id: c.id, conf: 3, period: 4, headers: []*types.Header{genesis}, config: 1, seats: c}
}

// storage is the child gateway's storage the proofs come from.
func (c *powChild) storage() map[common.Hash]common.Hash {
	s := map[common.Hash]common.Hash{
		upNonceSlot():   u64Word(uint64(len(c.ups))),
		AppliedSlot():   u64Word(c.applied),
		ownConfigSlot(): u64Word(c.config),
		{0x99}:          {0x01}, // something else of the gateway
	}
	var acc common.Hash
	for i := range c.ups {
		acc = NextUpAcc(acc, &c.ups[i])
		s[upAccSlot(uint64(i+1))] = acc
	}
	return s
}

// tries builds the state trie (the gateway account and another) from storage.
func tries(t testing.TB, storage map[common.Hash]common.Hash) (accounts, store *trie.Trie) {
	store = trie.NewEmpty(nil)
	for k, v := range storage {
		enc, _ := rlp.EncodeToBytes(common.TrimLeftZeroes(v[:]))
		if err := store.Update(crypto.Keccak256(k[:]), enc); err != nil {
			t.Fatal(err)
		}
	}
	accounts = trie.NewEmpty(nil)
	put := func(a common.Address, root common.Hash) {
		enc, _ := rlp.EncodeToBytes(&gethtypes.StateAccount{Nonce: 1, Balance: uint256.NewInt(5), Root: root, CodeHash: gethtypes.EmptyCodeHash[:]})
		if err := accounts.Update(crypto.Keccak256(a[:]), enc); err != nil {
			t.Fatal(err)
		}
	}
	put(Address, store.Hash())
	for i := byte(1); i < 20; i++ {
		put(common.Address{i}, gethtypes.EmptyRootHash)
	}
	return accounts, store
}

type nodeList [][]byte

func (n *nodeList) Put(_, v []byte) error { *n = append(*n, common.CopyBytes(v)); return nil }
func (n *nodeList) Delete([]byte) error   { return nil }

// proof proves slots of storage, as the relayer sends it.
func proveStorage(t testing.TB, storage map[common.Hash]common.Hash, slots []common.Hash) (common.Hash, []byte) {
	accounts, store := tries(t, storage)
	var nodes nodeList
	if err := accounts.Prove(crypto.Keccak256(Address[:]), &nodes); err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if err := store.Prove(crypto.Keccak256(s[:]), &nodes); err != nil {
			t.Fatal(err)
		}
	}
	enc, err := EncodePowProof(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return accounts.Hash(), enc
}

// mine extends the chain by n blocks at the block time; block root carries
// the child's state root as it is now.
func (c *powChild) mine(n int) {
	root, _ := proveStorage(c.t, c.storage(), nil)
	for range n {
		parent := c.headers[len(c.headers)-1]
		h := &types.Header{SubnetID: c.id, Height: parent.Height + 1, ParentHash: parent.Hash(), TimeMs: parent.TimeMs + powBlockMs,
			StateRoot: root, GasLimit: parent.GasLimit}
		h.Difficulty = pow.NextDifficulty(parent, h.TimeMs, powBlockMs, powMinDifficulty)
		sealFor(h, true)
		c.headers = append(c.headers, h)
	}
}

// sealFor finds a nonce that meets (good) or misses (!good) h's difficulty.
func sealFor(h *types.Header, good bool) {
	for n := uint64(0); ; n++ {
		h.Seal = pow.Nonce(n)
		if (pow.CheckWork(h) == nil) == good {
			return
		}
	}
}

// next is the next checkpoint, its segment and proof, with the child's
// messages after the parent's upApplied (at most max).
func (c *powChild) next(max int) (*types.Checkpoint, []*types.Header, []byte) {
	last, prev, _ := LastCheckpoint(c.st, "/devnet", c.id)
	height := last + c.period
	for uint64(len(c.headers)) <= height+c.conf {
		c.mine(1)
	}
	applied := UpApplied(c.st, "/devnet", c.id)
	msgs := c.ups[applied:min(uint64(len(c.ups)), applied+uint64(max))]
	cp := &types.Checkpoint{Subnet: string(c.id), Height: height, BlockHash: c.headers[height].Hash(), StateRoot: c.headers[height].StateRoot,
		Prev: prev, Config: c.config, AppliedConfig: c.config, DownApplied: c.applied, Messages: append([]CrossMsg{}, msgs...)}
	_, proof := proveStorage(c.t, c.storage(), PowProofSlots(applied, len(msgs)))
	return cp, append([]*types.Header{}, c.headers[last:height+c.conf+1]...), proof
}

func (c *powChild) input(cp *types.Checkpoint, hs []*types.Header, proof []byte) []byte {
	c.t.Helper()
	enc, err := types.EncodeCheckpoint(cp)
	if err != nil {
		c.t.Fatal(err)
	}
	hsEnc, err := rlp.EncodeToBytes(hs)
	if err != nil {
		c.t.Fatal(err)
	}
	return mustPack(c.t, c.g, "submitPowCheckpoint", enc, hsEnc, proof)
}

func (c *powChild) submit(cp *types.Checkpoint, hs []*types.Header, proof []byte) (string, error) {
	c.t.Helper()
	ret, err := c.st.run(common.Address{0xee}, new(big.Int), c.input(cp, hs, proof))
	reason, _ := abi.UnpackRevert(ret)
	return reason, err
}

func (c *powChild) commit(cp *types.Checkpoint, hs []*types.Header, proof []byte) {
	c.t.Helper()
	if reason, err := c.submit(cp, hs, proof); err != nil {
		c.t.Fatalf("checkpoint at %d: %v (%s)", cp.Height, err, reason)
	}
	if h, hash, _ := LastCheckpoint(c.st, "/devnet", c.id); h != cp.Height || hash != cp.Hash() {
		c.t.Fatalf("checkpoint at %d not committed: last is %d %s", cp.Height, h, hash)
	}
}

func (c *powChild) refuses(want string, cp *types.Checkpoint, hs []*types.Header, proof []byte) {
	c.t.Helper()
	before := c.st.snapshot()
	reason, err := c.submit(cp, hs, proof)
	if err == nil || !strings.Contains(reason, want) {
		c.t.Fatalf("submission: err %v, reason %q; want a revert with %q", err, reason, want)
	}
	c.unchanged(before)
}

func (c *powChild) send(value int64) {
	n := uint64(len(c.ups) + 1)
	c.ups = append(c.ups, upMsg(string(c.id), n, "/devnet", common.Address{0xd0, byte(n)}, value))
}

// TestPowCheckpointCommits: a segment of real work from the child's genesis
// commits the first checkpoint with its messages; the next one must start
// at that checkpoint's block; a repeat is a cheap no-op; submitCheckpoint
// refuses a PoW child.
func TestPowCheckpointCommits(t *testing.T) {
	c := newPowChild(t)
	c.send(100)
	c.send(200)
	cp, hs, proof := c.next(10)
	if cp.Height != 4 || len(hs) != 8 || hs[0].Height != 0 {
		t.Fatalf("first segment: checkpoint %d, %d headers from %d", cp.Height, len(hs), hs[0].Height)
	}
	_, agg, bm := c.seats.sign(cp, "devnet")
	enc, _ := types.EncodeCheckpoint(cp)
	c.fails("use submitPowCheckpoint", common.Address{0xee}, 0, "submitCheckpoint", enc, agg, bm)

	gas := c.g.RequiredGas(c.st, Call{Input: c.input(cp, hs, proof)})
	events := len(c.st.events)
	c.commit(cp, hs, proof)
	if got := c.eventNames(events); got != "CrossMsgApplied CrossMsgApplied CheckpointCommitted" {
		t.Fatalf("events %q", got)
	}
	if got := c.st.Balance(common.Address{0xd0, 2}); got.Int64() != 200 {
		t.Fatalf("message 2 paid %s", got)
	}
	if UpApplied(c.st, "/devnet", c.id) != 2 || c.sn().CirculatingSupply.Int64() != 700 {
		t.Fatalf("upApplied %d, circulating %s", UpApplied(c.st, "/devnet", c.id), c.sn().CirculatingSupply)
	}
	t.Logf("first segment: %d headers (%d bytes), proof %d bytes, %d gas", len(hs), len(mustRLP(hs)), len(proof), gas)

	// A racing submitter: nothing happens, cheaply.
	again := c.g.RequiredGas(c.st, Call{Input: c.input(cp, hs, proof)})
	before := c.st.snapshot()
	if reason, err := c.submit(cp, hs, proof); err != nil {
		t.Fatalf("resubmission: %v (%s)", err, reason)
	}
	c.unchanged(before)
	if again > 60_000 {
		t.Fatalf("a resubmission costs %d gas", again)
	}

	// The next segment starts at block 4, the committed checkpoint's.
	c.send(50)
	cp2, hs2, proof2 := c.next(10)
	if hs2[0].Height != 4 || len(hs2) != 8 || cp2.Prev != cp.Hash() {
		t.Fatalf("second segment from %d, %d headers, prev %s", hs2[0].Height, len(hs2), cp2.Prev)
	}
	c.refuses("must start at block 4", cp2, c.headers[3:11], proof2)
	gas2 := c.g.RequiredGas(c.st, Call{Input: c.input(cp2, hs2, proof2)})
	c.commit(cp2, hs2, proof2)
	t.Logf("next segment: %d headers (%d bytes), proof %d bytes, %d gas", len(hs2), len(mustRLP(hs2)), len(proof2), gas2)
	if c.st.Balance(common.Address{0xd0, 3}).Int64() != 50 {
		t.Fatal("message 3 not paid")
	}
	// Carry-over: of two waiting messages the checkpoint may carry one.
	c.send(1)
	c.send(2)
	cp3, hs3, proof3 := c.next(1)
	c.commit(cp3, hs3, proof3)
	cp4, hs4, proof4 := c.next(10)
	if len(cp4.Messages) != 1 {
		t.Fatal("the rest is not waiting")
	}
	c.commit(cp4, hs4, proof4)
	if UpApplied(c.st, "/devnet", c.id) != 5 {
		t.Fatalf("upApplied %d", UpApplied(c.st, "/devnet", c.id))
	}
}

// TestPowCheckpointRefusals: each way a segment or proof can fall short
// reverts with its reason and changes nothing.
func TestPowCheckpointRefusals(t *testing.T) {
	c := newPowChild(t)
	c.send(100)
	cp, hs, proof := c.next(10)
	clone := func() []*types.Header {
		out := make([]*types.Header, len(hs))
		for i, h := range hs {
			out[i] = h.Copy()
		}
		return out
	}
	top := len(hs) - 1

	// Too little work: the top header's nonce misses its difficulty, or it
	// claims less difficulty than retargeting gives.
	low := clone()
	sealFor(low[top], false)
	c.refuses("nonce does not meet the difficulty", cp, low, proof)
	easy := clone()
	easy[top].Difficulty = 1
	sealFor(easy[top], true)
	c.refuses("difficulty is not the one retargeting gives", cp, easy, proof)
	// A broken link: a header left out in the middle.
	gap := append(clone()[:3], clone()[4:]...)
	gap = append(gap, hs[top]) // as many headers as asked for
	c.refuses("does not follow header", cp, gap, proof)
	// Short of the confirmations: the top header missing.
	c.refuses("7 headers; want the 8 from block 0", cp, clone()[:top], proof)
	// Stamped in the future of this chain's clock.
	c.st.timeSec = hs[top].TimeMs/1000 - 16
	c.refuses("past this block's time", cp, hs, proof)
	c.st.timeSec = 2_000_000
	// A forged genesis: the same chain shape from another block 0.
	forged := &powChild{xh: c.xh, id: c.id, conf: 3, period: 4, headers: []*types.Header{{SubnetID: c.id, TimeMs: 1_000_001, GasLimit: 30_000_000}},
		ups: c.ups, applied: c.applied, config: c.config}
	fcp, fhs, fproof := forged.next(10)
	c.refuses("must start at block 0", fcp, fhs, fproof)
	// A tampered message: another value, within the firewall.
	bad := *cp
	bad.Messages = []CrossMsg{cp.Messages[0]}
	bad.Messages[0].Value = big.NewInt(99)
	c.refuses("are not the child's", &bad, hs, proof)
	// No message while one waits.
	empty := *cp
	empty.Messages = nil
	_, emptyProof := proveStorage(t, c.storage(), PowProofSlots(0, 0))
	c.refuses("carries no message", &empty, hs, emptyProof)
	// A state root that is not the block's, and a proof of another state.
	wrongRoot := *cp
	wrongRoot.StateRoot = common.Hash{0x5a}
	c.refuses("state root", &wrongRoot, hs, proof)
	other := c.storage()
	other[AppliedSlot()] = u64Word(7)
	_, otherProof := proveStorage(t, other, PowProofSlots(0, 1))
	c.refuses("invalid state proof", cp, hs, otherProof)
	claims := *cp
	claims.DownApplied = 1 // the parent queued one, the child applied none
	c.refuses("top-down message 1 was applied", &claims, hs, proof)
	c.refuses("invalid state proof", cp, hs, []byte{0xc1, 0x80})
	// A BFT child's checkpoints are signed, not proven.
	bft := &child{xh: c.xh, id: "/devnet/games", keys: map[common.Address]*aspencrypto.BLSSecretKey{}}
	c.ok(common.Address{0xc0}, 0, "createSubnet", "games", bftParams(1, 1))
	bft.join(10)
	bcp := *cp
	bcp.Subnet, bcp.Messages = "/devnet/games", nil
	c.refuses("is not a PoW subnet", &bcp, hs, proof)

	c.commit(cp, hs, proof) // the good one still goes through
}

// TestPowCheckpointFirewall: work proves the child's chain, not that its
// messages are backed: a checkpoint paying out more than circulates in the
// child is rejected whole, as a signed one is.
func TestPowCheckpointFirewall(t *testing.T) {
	c := newPowChild(t)
	c.send(600)
	c.send(600) // 1200 > the 1000 wei circulating
	cp, hs, proof := c.next(10)
	events := len(c.st.events)
	if reason, err := c.submit(cp, hs, proof); err != nil {
		t.Fatalf("%v (%s)", err, reason)
	}
	if got := c.eventNames(events); got != "CheckpointRejected" {
		t.Fatalf("events %q", got)
	}
	if h, _, _ := LastCheckpoint(c.st, "/devnet", c.id); h != 0 || c.sn().CirculatingSupply.Int64() != 1000 {
		t.Fatalf("rejected checkpoint changed the record: last %d, circulating %s", h, c.sn().CirculatingSupply)
	}
	if c.st.Balance(common.Address{0xd0, 1}).Sign() != 0 {
		t.Fatal("a message of the rejected checkpoint was paid")
	}
	// Its first message alone fits.
	cp1, hs1, proof1 := c.next(1)
	c.commit(cp1, hs1, proof1)
}

func (c *powChild) sn() *Subnet {
	c.t.Helper()
	sn, err := ReadSubnet(c.st, "/devnet", c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	return sn
}
