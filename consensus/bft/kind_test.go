package bft

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestKindEvidenceRoundTrip: evidence a block carries, turned by
// ReportEvidence into the parent's payload, decodes through Kind.Evidence
// to the equivocator's key and height, and verifies only for its subnet.
func TestKindEvidenceRoundTrip(t *testing.T) {
	keys := testKeys(t, 4)
	vs := testSet(t, keys)
	a := Vote{Type: Prevote, Height: 7, Round: 1, BlockHash: common.Hash{1}, Validator: 2}
	b := Vote{Type: Prevote, Height: 7, Round: 1, BlockHash: common.Hash{2}, Validator: 2}
	SignVote(keys[2], testSubnet, &a)
	SignVote(keys[2], testSubnet, &b)
	payload, err := Kind.ReportEvidence(vs.All(), EncodeEvidence(newEvidence(a, b)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := Kind.Evidence(testSubnet, payload)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(off.Key, vs.At(2).BLSPublicKey) || off.Height != 7 || off.What != "double prevote at height 7, round 1" {
		t.Fatalf("offence %x at %d: %q", off.Key, off.Height, off.What)
	}
	if err := off.Verify(); err != nil {
		t.Fatal(err)
	}
	other, err := Kind.Evidence("/elsewhere", payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Verify(); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("evidence verified for another subnet: %v", err)
	}
	if _, err := Kind.ReportEvidence(vs.All()[:2], EncodeEvidence(newEvidence(a, b))); err == nil {
		t.Fatal("evidence naming seat 2 of a set of 2 was reported")
	}
	if _, err := Kind.Evidence(testSubnet, []byte{0xde, 0xad}); !errors.Is(err, ErrInvalidEvidence) {
		t.Fatalf("garbage evidence: %v", err)
	}
}
