package bft

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

const testSubnet types.SubnetID = "/bft"

var testTimeouts = Timeouts{Propose: 10, Prevote: 5, Precommit: 5, Delta: 2}

// testKey is validator key i of the shared test keys.
func testKey(_ testing.TB, i int) *crypto.BLSSecretKey { return testkeys.BLS(i) }

func testKeys(_ testing.TB, n int) []*crypto.BLSSecretKey { return testkeys.BLSKeys(n) }

func testSet(t testing.TB, keys []*crypto.BLSSecretKey, powers ...uint64) *consensus.ValidatorSet {
	vals := make([]consensus.Validator, len(keys))
	for i, k := range keys {
		p := uint64(10)
		if i < len(powers) {
			p = powers[i]
		}
		pub := k.PublicKey()
		vals[i] = consensus.Validator{Address: common.BytesToAddress([]byte{byte(i + 1)}), BLSPublicKey: pub.Bytes(), Power: p}
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func testConfig(vs *consensus.ValidatorSet, key *crypto.BLSSecretKey) Config {
	return Config{Subnet: testSubnet, Validators: vs, Key: key, Timeouts: testTimeouts, BlockTime: 3}
}

// testBlock is a block at height on parent; salt makes different blocks.
func testBlock(height uint64, parent common.Hash, salt byte) *types.Block {
	return &types.Block{Header: &types.Header{
		SubnetID: testSubnet, Height: height, ParentHash: parent, TimeMs: height*1000 + uint64(salt),
	}}
}

func signedVote(key *crypto.BLSSecretKey, idx int, t VoteType, height uint64, round uint32, block common.Hash) []byte {
	v := &Vote{Type: t, Height: height, Round: round, BlockHash: block, Validator: uint32(idx)}
	SignVote(key, testSubnet, v)
	enc, err := EncodeMessage(v)
	if err != nil {
		panic(err)
	}
	return enc
}

func signedProposal(key *crypto.BLSSecretKey, idx int, round uint32, pol int32, b *types.Block) []byte {
	p := &Proposal{Height: b.Height(), Round: round, POLRound: pol, Block: b, Validator: uint32(idx)}
	SignProposal(key, testSubnet, p)
	enc, err := EncodeMessage(p)
	if err != nil {
		panic(err)
	}
	return enc
}

// traceReady appends a byte-exact record of rd to w.
func traceReady(w *bytes.Buffer, rd consensus.Ready) {
	var finals, verify [][]byte
	for _, f := range rd.Final {
		c, _ := types.EncodeCommit(f.Commit)
		finals = append(finals, f.Block.Hash().Bytes(), c)
	}
	for _, b := range rd.Verify {
		verify = append(verify, b.Hash().Bytes())
	}
	var sends [][]byte
	for _, s := range rd.Send {
		sends = append(sends, append([]byte(s.To+"|"), s.Payload...))
	}
	var build []any
	if rd.Build != nil {
		build = []any{rd.Build.Height, rd.Build.Parent, rd.Build.Evidence}
	}
	enc, err := rlp.EncodeToBytes([]any{rd.Persist, sends, finals, build, verify, rd.SyncTo})
	if err != nil {
		panic(err)
	}
	w.Write(enc)
}

func describe(m any) string {
	switch m := m.(type) {
	case *Vote:
		return fmt.Sprintf("%s h%d r%d v%d %x", m.Type, m.Height, m.Round, m.Validator, m.BlockHash[:4])
	case *Proposal:
		return fmt.Sprintf("proposal h%d r%d pol%d v%d %x", m.Height, m.Round, m.POLRound, m.Validator, m.Block.Hash().Bytes()[:4])
	}
	return fmt.Sprintf("%T", m)
}
