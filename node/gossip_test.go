package node

import (
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

const gossipSubnet types.SubnetID = "/devnet/gossip"

func gossipKeys(t *testing.T, n int) []*crypto.BLSSecretKey {
	keys := make([]*crypto.BLSSecretKey, n)
	for i := range keys {
		b := make([]byte, 32)
		b[0], b[31] = 2, byte(i+1)
		k, err := crypto.BLSSecretKeyFromBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

func gossipSet(t *testing.T, keys []*crypto.BLSSecretKey) *consensus.ValidatorSet {
	vals := make([]types.Validator, len(keys))
	for i, k := range keys {
		pub := k.PublicKey()
		vals[i] = types.Validator{Address: common.BytesToAddress(pub[:20]), BLSPublicKey: pub[:], Power: 10}
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func gossipVote(t *testing.T, key *crypto.BLSSecretKey, idx int, height uint64) []byte {
	v := &bft.Vote{Type: bft.Prevote, Height: height, BlockHash: common.HexToHash("0x0b"), Validator: uint32(idx)}
	bft.SignVote(key, gossipSubnet, v)
	enc, err := bft.EncodeMessage(v)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// gateClock is a clock tests move by hand.
type gateClock struct{ t time.Time }

func (c *gateClock) now() time.Time { return c.t }

// gateAt is a consensus gate whose head is at height head and whose set is vs.
func gateAt(head *types.Header, vs *consensus.ValidatorSet, clock *gateClock) *consensusGate {
	return newConsensusGate(gossipSubnet, bft.Kind, func() *types.Header { return head }, func() *consensus.ValidatorSet { return vs }, clock.now, crypto.NewSigCache(maxSigsVerified))
}

// TestConsensusGateRejectsSwappedBody is issue 19, defect 1 at the gossip
// layer: a relay that swaps an honest proposal's transactions is rejected
// (and so penalised), the genuine proposal accepted. Before, the validator
// only checked the header's signature and relayed the swapped copy.
func TestConsensusGateRejectsSwappedBody(t *testing.T) {
	keys := gossipKeys(t, 4)
	vs := gossipSet(t, keys)
	g := gateAt(&types.Header{Height: 9}, vs, &gateClock{})
	userKey, _ := gethcrypto.GenerateKey()
	tx, err := gethtypes.SignNewTx(userKey, gethtypes.LatestSignerForChainID(big.NewInt(7)), &gethtypes.LegacyTx{Gas: 21000, GasPrice: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	b := &types.Block{Header: &types.Header{SubnetID: gossipSubnet, Height: 10, TxRoot: types.TxRoot(gethtypes.Transactions{tx})}, Txs: gethtypes.Transactions{tx}}
	proposer := vs.Proposer(10, 0)
	sign := func(b *types.Block) []byte {
		p := &bft.Proposal{Height: 10, POLRound: -1, Block: b, Validator: uint32(proposer)}
		bft.SignProposal(keys[proposer], gossipSubnet, p)
		enc, err := bft.EncodeMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	if v := g.judge("honest", sign(b)); v != p2p.Accept {
		t.Fatalf("genuine proposal: verdict %v, want accept", v)
	}
	for name, swapped := range map[string]*types.Block{
		"transactions stripped": {Header: b.Header},
		"evidence added":        {Header: b.Header, Txs: b.Txs, Evidence: [][]byte{{0xc0}}},
	} {
		if v := g.judge("relay", sign(swapped)); v != p2p.Reject {
			t.Errorf("%s: verdict %v, want reject", name, v)
		}
	}
}

// TestConsensusGatePenalisesWhatItCanProve is issue 19, defect 7: a bad
// signature for a height whose set the node knows is rejected (before, any
// height but the next was ignored after the full check, so its sender was
// never penalised); for a height whose set it cannot know, each origin gets
// a budget of ignored messages, then is rejected; history is ignored
// without a signature check.
func TestConsensusGatePenalisesWhatItCanProve(t *testing.T) {
	keys := gossipKeys(t, 4)
	vs := gossipSet(t, keys)
	clock := &gateClock{t: time.Unix(1_700_000_000, 0)}
	head := &types.Header{Height: 9}
	g := gateAt(head, vs, clock)
	forged := func(h uint64) []byte { return gossipVote(t, keys[0], 1, h) } // key 0 signs as validator 1
	for _, tc := range []struct {
		name   string
		data   []byte
		want   p2p.Verdict
		reason string
	}{
		{"good vote for the next height", gossipVote(t, keys[1], 1, 10), p2p.Accept, ""},
		{"good vote for the last final height", gossipVote(t, keys[1], 1, 9), p2p.Accept, "a lagging peer's catch-up"},
		{"vote for an older height", gossipVote(t, keys[1], 1, 8), p2p.Ignore, "history is nobody's business"},
		{"forged vote for the next height", forged(10), p2p.Reject, ""},
		{"forged vote for the last final height", forged(9), p2p.Reject, "the set is known there"},
		{"garbage", []byte{2, 0xc0}, p2p.Reject, ""},
	} {
		if v := g.judge("peer", tc.data); v != tc.want {
			t.Errorf("%s: verdict %v, want %v %s", tc.name, v, tc.want, tc.reason)
		}
	}
	// The height after next may be decided by a set we have not seen yet:
	// each origin may fail unjudgedBurst signature checks there, then its
	// messages for such heights are dropped unchecked, and never rejected.
	for i := 0; i < unjudgedBurst; i++ {
		if v := g.judge("spammer", forgedRound(t, keys[0], 11, uint32(i))); v != p2p.Ignore {
			t.Fatalf("unjudgeable message %d: verdict %v, want ignore", i, v)
		}
	}
	checks := len(g.mu.checked)
	for i := 0; i < 10; i++ {
		if v := g.judge("spammer", forgedRound(t, keys[0], 11, uint32(100+i))); v != p2p.Ignore {
			t.Fatalf("past the budget: verdict %v, want ignore", v)
		}
	}
	if n := len(g.mu.checked) - checks; n != 0 {
		t.Fatalf("%d signature checks past the budget, want 0", n)
	}
	if v := g.judge("other", forgedRound(t, keys[0], 11, 200)); v != p2p.Ignore || len(g.mu.checked) != checks+1 {
		t.Fatalf("another origin: verdict %v, checked %v: budgets are per origin", v, len(g.mu.checked) == checks+1)
	}
	if v := g.judge("spammer", gossipVote(t, keys[1], 1, 10)); v != p2p.Accept {
		t.Fatalf("a provable message from the spent origin: verdict %v, want accept", v)
	}
	clock.t = clock.t.Add(time.Duration(float64(time.Second) / unjudgedRate))
	g.judge("spammer", forgedRound(t, keys[0], 11, 300))
	if len(g.mu.checked) != checks+2 { // the other origin's and this one; the provable vote was cached
		t.Fatal("after a refill the origin's message was not checked")
	}
}

// forgedRound is a prevote key signs as validator 1.
func forgedRound(t *testing.T, key *crypto.BLSSecretKey, height uint64, round uint32) []byte {
	v := &bft.Vote{Type: bft.Prevote, Height: height, Round: round, BlockHash: common.HexToHash("0x0b"), Validator: 1}
	bft.SignVote(key, gossipSubnet, v)
	enc, err := bft.EncodeMessage(v)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestConsensusGateFollowsSetChange: the head that names the next set is
// believed at once (the runtime stores the head before it moves vals), and
// heights before the change are no longer provable with the new set.
func TestConsensusGateFollowsSetChange(t *testing.T) {
	keys := gossipKeys(t, 5)
	old, next := gossipSet(t, keys[:4]), gossipSet(t, keys[1:])
	head := &types.Header{Height: 9}
	cur := head
	g := newConsensusGate(gossipSubnet, bft.Kind, func() *types.Header { return cur }, func() *consensus.ValidatorSet { return old }, (&gateClock{}).now, crypto.NewSigCache(maxSigsVerified))
	newcomer := gossipVote(t, keys[4], 3, 10) // seat 3 of the new set
	if v := g.judge("peer", newcomer); v != p2p.Reject {
		t.Fatalf("before the change: verdict %v, want reject (seat 3 is key 3's)", v)
	}
	cur = &types.Header{Height: 9, NextValidators: next.All()}
	if v := g.judge("peer", gossipVote(t, keys[4], 3, 10)); v != p2p.Accept {
		t.Fatalf("head names the new set: verdict %v, want accept", v)
	}
	// Height 9 was decided by the old set: a message for it no longer
	// proves anything against the new one.
	if v := g.judge("peer", gossipVote(t, keys[0], 0, 9)); v != p2p.Ignore {
		t.Fatalf("old-set vote for the last final height: verdict %v, want ignore", v)
	}
}

// TestTxGate: a batch is relayed only when every transaction is signed for
// this chain; the decoded batch is handed over, senders cached.
func TestTxGate(t *testing.T) {
	signer := gethtypes.LatestSignerForChainID(big.NewInt(7))
	g := newTxGate(signer)
	key, _ := gethcrypto.GenerateKey()
	batch := func(chain int64) []byte {
		tx, err := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(big.NewInt(chain)), &gethtypes.DynamicFeeTx{ChainID: big.NewInt(chain), Gas: 21000, GasFeeCap: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tx.MarshalBinary()
		data, err := rlp.EncodeToBytes([][]byte{raw})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	good, foreign := batch(7), batch(8)
	if v := g.judge(foreign); v != p2p.Reject {
		t.Fatalf("another chain's transaction: verdict %v, want reject", v)
	}
	if v := g.judge([]byte{0xc0}); v != p2p.Reject {
		t.Fatalf("empty batch: verdict %v, want reject", v)
	}
	if v := g.judge(good); v != p2p.Accept {
		t.Fatalf("good batch: verdict %v, want accept", v)
	}
	txs, err := g.take(good)
	if err != nil || len(txs) != 1 {
		t.Fatalf("take: %d txs, %v", len(txs), err)
	}
	if from, err := gethtypes.Sender(signer, txs[0]); err != nil || from != gethcrypto.PubkeyToAddress(key.PublicKey) {
		t.Fatalf("sender %s, %v", from, err)
	}
}

// TestCheckpointGate: a signature message must name this subnet and a
// checkpoint height; an origin past its budget is ignored.
func TestCheckpointGate(t *testing.T) {
	clock := &gateClock{t: time.Unix(1_700_000_000, 0)}
	g := newCheckpointGate(gossipSubnet, 10, clock.now)
	sig := func(subnet string, h uint64) []byte {
		enc, err := types.EncodeCheckpointSignature(&types.CheckpointSignature{Subnet: subnet, Height: h, Signature: make([]byte, 96)})
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	for name, tc := range map[string]struct {
		data []byte
		want p2p.Verdict
	}{
		"good":           {sig(string(gossipSubnet), 20), p2p.Accept},
		"other subnet":   {sig("/devnet/other", 20), p2p.Reject},
		"not a multiple": {sig(string(gossipSubnet), 25), p2p.Reject},
		"height zero":    {sig(string(gossipSubnet), 0), p2p.Reject},
		"garbage":        {[]byte{1, 2, 3}, p2p.Reject},
	} {
		if v := g.judge("p"+name, tc.data); v != tc.want {
			t.Errorf("%s: verdict %v, want %v", name, v, tc.want)
		}
	}
	for i := 0; i < checkpointBurst; i++ {
		if v := g.judge("flood", sig(string(gossipSubnet), uint64(10*(i+1)))); v != p2p.Accept {
			t.Fatalf("message %d within the budget: %v", i, v)
		}
	}
	if v := g.judge("flood", sig(string(gossipSubnet), 1000)); v != p2p.Ignore {
		t.Fatalf("past the budget: verdict %v, want ignore", v)
	}
}

// TestSyncedBlockBodyMustMatchHeader: block sync verifies a certificate,
// which covers the header only; a served block whose transactions are not
// the header's is refused, the genuine one accepted.
func TestSyncedBlockBodyMustMatchHeader(t *testing.T) {
	keys := gossipKeys(t, 4)
	vs := gossipSet(t, keys)
	b, c := certifiedBlock(t, keys)
	rt := &syncer{id: gossipSubnet, kind: bft.Kind}
	if err := rt.verifyCertified(vs, nil, b, c); err != nil {
		t.Fatalf("genuine block: %v", err)
	}
	swapped := &types.Block{Header: b.Header}
	if err := rt.verifyCertified(vs, nil, swapped, c); !errors.Is(err, bft.ErrBadBody) {
		t.Fatalf("swapped body: %v, want bft.ErrBadBody", err)
	}
}

// BenchmarkConsensusGate: a vote seen for the first time costs a BLS check;
// a copy republished under a new gossip ID (past the transport's repeat
// window) costs a hash and a map lookup.
func BenchmarkConsensusGate(b *testing.B) {
	t := &testing.T{}
	keys := gossipKeys(t, 4)
	vs := gossipSet(t, keys)
	vote := gossipVote(t, keys[1], 1, 10)
	b.Run("first sight", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			g := gateAt(&types.Header{Height: 9}, vs, &gateClock{})
			if g.judge("p", vote) != p2p.Accept {
				b.Fatal("not accepted")
			}
		}
	})
	b.Run("republished copy", func(b *testing.B) {
		g := gateAt(&types.Header{Height: 9}, vs, &gateClock{})
		g.judge("p", vote)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if g.judge("p", vote) != p2p.Accept {
				b.Fatal("not accepted")
			}
		}
	})
}

// TestBudgetsSurviveManyNewOrigins: an origin that spent its budget stays
// spent however many new peer IDs show up at once; only buckets that have
// refilled (the same as none) are forgotten to make room. Starting the
// table over when it filled gave every spent origin a fresh budget.
func TestBudgetsSurviveManyNewOrigins(t *testing.T) {
	b := newBudgets(4, 1)
	now := time.Unix(1_700_000_000, 0)
	for b.take("liar", now) {
	}
	for i := 0; i < maxBudgets; i++ {
		b.take(fmt.Sprintf("sybil-%d", i), now)
	}
	if b.take("liar", now) {
		t.Fatal("the spent origin got a fresh budget after the table filled with new origins")
	}
	// Later, the new origins have refilled and are forgotten to make room,
	// and a newcomer gets its full burst.
	later := now.Add(10 * time.Second)
	for i := 0; i < 4; i++ {
		if !b.take("newcomer", later) {
			t.Fatalf("newcomer refused its token %d after idle origins refilled", i+1)
		}
	}
}

// certifiedBlock makes block 3 of gossipSubnet with one signed transaction
// and a commit certificate of the first three keys' precommits.
func certifiedBlock(t *testing.T, keys []*crypto.BLSSecretKey) (*types.Block, *types.Commit) {
	t.Helper()
	userKey, _ := gethcrypto.GenerateKey()
	tx, err := gethtypes.SignNewTx(userKey, gethtypes.LatestSignerForChainID(big.NewInt(7)), &gethtypes.LegacyTx{Gas: 21000, GasPrice: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	txs := gethtypes.Transactions{tx}
	b := &types.Block{Header: &types.Header{SubnetID: gossipSubnet, Height: 3, TxRoot: types.TxRoot(txs)}, Txs: txs}
	c := &types.Commit{Height: 3, BlockHash: b.Hash()}
	var sigs [][]byte
	for i, k := range keys[:3] {
		c.SetSigner(i)
		sigs = append(sigs, k.Sign(bft.VoteSignBytes(gossipSubnet, bft.Precommit, 3, 0, b.Hash())))
	}
	if c.Signature, err = crypto.AggregateSignatures(sigs); err != nil {
		t.Fatal(err)
	}
	return b, c
}

// TestConsensusGateRefusesBlocksFromTheFuture: engines have no clock, so
// the gate is what keeps a block stamped far ahead (a miner pulling its
// difficulty down, a proposer skewing the EVM's TIMESTAMP) off the network;
// a block within the allowed drift passes.
func TestConsensusGateRefusesBlocksFromTheFuture(t *testing.T) {
	keys := gossipKeys(t, 4)
	vs := gossipSet(t, keys)
	clock := &gateClock{t: time.UnixMilli(1_800_000_000_000)}
	g := gateAt(&types.Header{Height: 9}, vs, clock)
	proposer := vs.Proposer(10, 0)
	propose := func(timeMs uint64) []byte {
		b := &types.Block{Header: &types.Header{SubnetID: gossipSubnet, Height: 10, TimeMs: timeMs, TxRoot: types.TxRoot(nil)}}
		p := &bft.Proposal{Height: 10, POLRound: -1, Block: b, Validator: uint32(proposer)}
		bft.SignProposal(keys[proposer], gossipSubnet, p)
		enc, err := bft.EncodeMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	now := uint64(clock.t.UnixMilli())
	if v := g.judge("near", propose(now+uint64(maxBlockFuture.Milliseconds())-1)); v != p2p.Accept {
		t.Fatalf("block within the drift: verdict %v, want accept", v)
	}
	if v := g.judge("far", propose(now+uint64(maxBlockFuture.Milliseconds())+1000)); v != p2p.Reject {
		t.Fatalf("block %s ahead: verdict %v, want reject", maxBlockFuture+time.Second, v)
	}
}

// countingSigs counts the signature checks asked of a cache.
type countingSigs struct {
	*crypto.SigCache
	calls int
}

func (c *countingSigs) VerifyBLS(pub, msg, sig []byte) bool {
	c.calls++
	return c.SigCache.VerifyBLS(pub, msg, sig)
}

// TestGossipPathVerifiesEachSignatureOnce: a vote that arrives by gossip is
// verified in full once, by the gate; the engine, which shares the gate's
// cache (as runtime.open wires them), asks the cache and pays nothing. A
// vote that did not pass the gate is still verified by the engine and
// refused when its signature is bad.
func TestGossipPathVerifiesEachSignatureOnce(t *testing.T) {
	keys := gossipKeys(t, 4)
	vs := gossipSet(t, keys)
	head := &types.Header{Height: 9}
	sigs := &countingSigs{SigCache: crypto.NewSigCache(maxSigsVerified)}
	g := newConsensusGate(gossipSubnet, bft.Kind, func() *types.Header { return head }, func() *consensus.ValidatorSet { return vs }, (&gateClock{}).now, sigs)
	eng, err := bft.Kind.New(consensus.Config{Subnet: gossipSubnet, Validators: vs, Height: head.Height, Head: head.Hash(),
		Timing: consensus.Timing{BlockTime: 1, Propose: 10, Prevote: 5, Precommit: 5, Delta: 1}, Sigs: sigs})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		vote := gossipVote(t, keys[i], i, 10)
		if v := g.judge("peer", vote); v != p2p.Accept {
			t.Fatalf("vote %d: verdict %v, want accept", i, v)
		}
		if v := g.judge("peer", vote); v != p2p.Accept { // a copy past the transport's repeat cache
			t.Fatalf("vote %d again: verdict %v, want accept", i, v)
		}
		if err := eng.Step(consensus.PeerMessage{From: "peer", Payload: vote}); err != nil {
			t.Fatalf("vote %d: engine: %v", i, err)
		}
	}
	if sigs.Checked() != 3 {
		t.Errorf("%d full signature checks for 3 gossiped votes, want 3", sigs.Checked())
	}
	if sigs.calls != 6 {
		t.Errorf("%d checks asked of the cache, want 6 (the gate's and the engine's for each vote)", sigs.calls)
	}
	// Key 1 signing for seat 0, handed to the engine without the gate.
	forged := gossipVote(t, keys[1], 0, 10)
	before := sigs.Checked()
	if err := eng.Step(consensus.PeerMessage{From: "peer", Payload: forged}); !errors.Is(err, bft.ErrBadSignature) {
		t.Fatalf("a vote that skipped the gate with a bad signature: engine says %v, want a refusal", err)
	}
	if sigs.Checked() != before+1 {
		t.Errorf("the engine made %d full checks of a vote the gate never saw, want 1", sigs.Checked()-before)
	}
}
