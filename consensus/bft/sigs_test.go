package bft

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
)

// TestEngineSharesVerifiedSignatures: an engine that checks through the
// cache its node's gossip gate fills (Config.Sigs) pays nothing for a vote
// the gate verified, and still refuses every vote the gate did not verify,
// however close to one it did: another signature over the same vote (a
// forged "verified" mark), the verified signature over another vote, a
// signature by another validator's key. Its decisions are those of an engine
// without the cache.
func TestEngineSharesVerifiedSignatures(t *testing.T) {
	keys := testKeys(t, 4)
	vs := testSet(t, keys)
	sigs := crypto.NewSigCache(64)
	cfg := testConfig(vs, keys[0])
	cfg.Sigs = sigs
	e, err := New(cfg, 0, testGenesis)
	if err != nil {
		t.Fatal(err)
	}
	block := common.Hash{7}
	genuine := signedVote(keys[1], 1, Prevote, 1, 0, block)
	// The gate's check, through the same cache.
	g, err := Kind.DecodeGossip(testSubnet, genuine)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(vs, sigs); err != nil {
		t.Fatal(err)
	}
	if sigs.Checked() != 1 {
		t.Fatalf("the gate made %d full checks, want 1", sigs.Checked())
	}

	reSigned := mustDecodeVote(t, genuine)
	reSigned.Signature = mustDecodeVote(t, signedVote(keys[2], 1, Prevote, 1, 0, block)).Signature
	otherBlock := mustDecodeVote(t, signedVote(keys[1], 1, Prevote, 1, 0, common.Hash{8}))
	otherBlock.Signature = mustDecodeVote(t, genuine).Signature
	for name, enc := range map[string][]byte{
		"the genuine vote, signed by another key":   mustEncode(t, reSigned),
		"the genuine signature over another block":  mustEncode(t, otherBlock),
		"another validator's key, the genuine seat": signedVote(keys[3], 1, Precommit, 1, 0, block),
	} {
		before := sigs.Checked()
		if err := e.Step(consensus.PeerMessage{From: "peer", Payload: enc}); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: Step = %v, want %v", name, err, ErrBadSignature)
		}
		if sigs.Checked() != before+1 {
			t.Errorf("%s: the engine made %d full checks, want 1", name, sigs.Checked()-before)
		}
	}
	before := sigs.Checked()
	if err := e.Step(consensus.PeerMessage{From: "peer", Payload: genuine}); err != nil {
		t.Fatalf("the verified vote: %v", err)
	}
	if sigs.Checked() != before {
		t.Errorf("the engine checked a verified vote again (%d full checks)", sigs.Checked()-before)
	}
	if got := e.rounds[0].prevotes.power[block]; got != vs.At(1).Power {
		t.Errorf("prevote power for the block %d, want the sender's %d: the verified vote was not counted", got, vs.At(1).Power)
	}
}

func mustDecodeVote(t *testing.T, enc []byte) *Vote {
	t.Helper()
	m, err := DecodeMessage(enc)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := m.(*Vote)
	if !ok {
		t.Fatalf("decoded %T, want a vote", m)
	}
	return v
}

func mustEncode(t *testing.T, m any) []byte {
	t.Helper()
	enc, err := EncodeMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}
