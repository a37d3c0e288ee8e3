package bft

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// certificate signs precommits for block by signers and aggregates them.
func certificate(t testing.TB, keys []*crypto.BLSSecretKey, height uint64, round uint32, block common.Hash, signers []int) *types.Commit {
	votes := make([]*Vote, len(keys))
	for _, i := range signers {
		v := &Vote{Type: Precommit, Height: height, Round: round, BlockHash: block, Validator: uint32(i)}
		SignVote(keys[i], testSubnet, v)
		votes[i] = v
	}
	c, err := makeCommit(height, round, votes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyCommit(t *testing.T) {
	keys := testKeys(t, 4)
	vs := testSet(t, keys)
	block := common.HexToHash("0xb10c")
	good := certificate(t, keys, 5, 1, block, []int{0, 1, 3})
	if err := VerifyCommit(vs, testSubnet, good); err != nil {
		t.Fatalf("real certificate rejected: %v", err)
	}
	other := certificate(t, keys, 5, 1, common.HexToHash("0xbad"), []int{0, 1, 3})
	for _, tc := range []struct {
		name   string
		subnet types.SubnetID
		mutate func(c *types.Commit)
		want   error
	}{
		{"forged signature", testSubnet, func(c *types.Commit) { c.Signature = other.Signature }, ErrBadSignature},
		{"truncated signature", testSubnet, func(c *types.Commit) { c.Signature = c.Signature[:95] }, ErrBadSignature},
		{"no signature", testSubnet, func(c *types.Commit) { c.Signature = nil }, ErrBadSignature},
		{"signer dropped from bitmap", testSubnet, func(c *types.Commit) { c.Signers = []byte{0b1001} }, ErrNoQuorum},
		{"signer swapped in bitmap", testSubnet, func(c *types.Commit) { c.Signers = []byte{0b0111} }, ErrBadSignature},
		{"bit beyond the set", testSubnet, func(c *types.Commit) { c.Signers = []byte{0b11011} }, ErrInvalidCommit},
		{"long bitmap", testSubnet, func(c *types.Commit) { c.Signers = []byte{0b1011, 0} }, ErrInvalidCommit},
		{"wrong height", testSubnet, func(c *types.Commit) { c.Height++ }, ErrBadSignature},
		{"wrong round", testSubnet, func(c *types.Commit) { c.Round++ }, ErrBadSignature},
		{"wrong block", testSubnet, func(c *types.Commit) { c.BlockHash = common.HexToHash("0xbad") }, ErrBadSignature},
		{"nil block", testSubnet, func(c *types.Commit) { c.BlockHash = common.Hash{} }, ErrInvalidCommit},
		{"wrong subnet", "/other", func(*types.Commit) {}, ErrBadSignature},
	} {
		c := *good
		c.Signers = append([]byte(nil), good.Signers...)
		tc.mutate(&c)
		if err := VerifyCommit(vs, tc.subnet, &c); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Two of four, honestly aggregated, is not a quorum.
	if err := VerifyCommit(vs, testSubnet, certificate(t, keys, 5, 1, block, []int{0, 1})); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("half the power: %v", err)
	}
	// Stake matters, not heads: one validator with most of the power suffices.
	weighted := testSet(t, keys, 100, 1, 1, 1)
	if err := VerifyCommit(weighted, testSubnet, certificate(t, keys, 5, 1, block, []int{0})); err != nil {
		t.Fatalf("a 97%% validator alone: %v", err)
	}
	if err := VerifyCommit(weighted, testSubnet, certificate(t, keys, 5, 1, block, []int{1, 2, 3})); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("three 1%% validators: %v", err)
	}
}

func TestCheckMessage(t *testing.T) {
	keys := testKeys(t, 4)
	vs := testSet(t, keys)
	b := testBlock(1, testGenesis, 1)
	p := vs.Proposer(1, 0)
	for _, tc := range []struct {
		name    string
		payload []byte
		want    error
	}{
		{"vote", signedVote(keys[2], 2, Precommit, 1, 0, b.Hash()), nil},
		{"proposal", signedProposal(keys[p], p, 0, -1, b), nil},
		{"non-validator", signedVote(testKey(t, 7), 4, Prevote, 1, 0, nilHash), ErrNotValidator},
		{"another's key", signedVote(keys[1], 2, Prevote, 1, 0, nilHash), ErrBadSignature},
		{"proposal by another's key", signedProposal(keys[(p+1)%4], p, 0, -1, b), ErrBadSignature},
		{"garbage", []byte{2, 0xc0}, ErrMalformed},
	} {
		if err := CheckMessage(vs, testSubnet, tc.payload); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Signatures are bound to the subnet.
	if err := CheckMessage(vs, "/elsewhere", signedVote(keys[2], 2, Prevote, 1, 0, nilHash)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("vote checked against another subnet: %v", err)
	}
}

func TestMessageRoundTrip(t *testing.T) {
	keys := testKeys(t, 4)
	b := testBlock(3, testGenesis, 1)
	for _, pol := range []int32{-1, 0, 1} {
		enc := signedProposal(keys[0], 0, 2, pol, b)
		m, err := DecodeMessage(enc)
		if err != nil {
			t.Fatal(err)
		}
		p := m.(*Proposal)
		if p.POLRound != pol || p.Round != 2 || p.Height != 3 || p.Block.Hash() != b.Hash() {
			t.Fatalf("round trip changed the proposal: %s", describe(p))
		}
	}
	enc := signedVote(keys[1], 1, Precommit, 3, 2, b.Hash())
	m, err := DecodeMessage(enc)
	if err != nil || fmt.Sprint(*m.(*Vote)) == "" || m.(*Vote).BlockHash != b.Hash() {
		t.Fatalf("vote round trip: %v", err)
	}
	if string(VoteSignBytes(testSubnet, Prevote, 1, 0, nilHash)) == string(VoteSignBytes(testSubnet, Precommit, 1, 0, nilHash)) {
		t.Fatal("prevote and precommit sign the same bytes")
	}
}

func BenchmarkVerifyCommit(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) {
			keys := testKeys(b, n)
			vs := testSet(b, keys)
			signers := make([]int, 0, n)
			for i := 0; i < n*2/3+1; i++ {
				signers = append(signers, i)
			}
			c := certificate(b, keys, 9, 0, common.HexToHash("0xb10c"), signers)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := VerifyCommit(vs, testSubnet, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
