package bft

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// Fuzz targets for what peers send a bft node: consensus messages
// (proposals and votes), equivocation evidence inside blocks and commit
// certificates from block sync. Properties: canonical decoding (what decodes
// re-encodes to the input) and errors that wrap the package's sentinels, so
// the driver can score the sender. `make fuzz` runs them (tools/fuzz).

// isBFTError reports whether err wraps one of the errors a peer's bytes may
// legitimately cause (a tampered body is types.ErrBadBody).
func isBFTError(err error) bool {
	for _, s := range []error{ErrMalformed, ErrNotValidator, ErrBadSignature, ErrWrongProposer, ErrInvalidEvidence, ErrInvalidCommit, ErrNoQuorum, types.ErrBadBody} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func FuzzDecodeMessage(f *testing.F) {
	keys := testKeys(f, 4)
	vs := testSet(f, keys)
	block := testBlock(5, common.Hash{1}, 0)
	block.Evidence = [][]byte{{1, 2}}
	block.Header.EvidenceHash = types.EvidenceHash(block.Evidence)
	f.Add(signedVote(keys[0], 0, Prevote, 5, 0, block.Hash()))
	f.Add(signedVote(keys[1], 1, Precommit, 5, 2, common.Hash{}))
	f.Add(signedProposal(keys[0], 0, 0, -1, block))
	tampered := *block
	tampered.Evidence = [][]byte{{3}}
	f.Add(signedProposal(keys[0], 0, 0, -1, &tampered)) // body no longer matches the signed header
	f.Add(signedProposal(keys[2], 2, 3, 1, testBlock(6, common.Hash{2}, 1)))
	f.Add([]byte{kindVote, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		enc, err := EncodeMessage(m)
		if err != nil {
			t.Fatalf("decoded %T does not encode: %v", m, err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("%x decodes but re-encodes as %x", data, enc)
		}
		if err := CheckMessage(vs, testSubnet, data); err != nil && !isBFTError(err) {
			t.Fatalf("check error %v wraps no bft sentinel", err)
		}
	})
}

func FuzzDecodeEvidence(f *testing.F) {
	keys := testKeys(f, 4)
	vs := testSet(f, keys)
	vote := func(k int, block byte) Vote {
		v := Vote{Type: Prevote, Height: 7, Round: 1, BlockHash: common.Hash{block}, Validator: uint32(k)}
		SignVote(keys[k], testSubnet, &v)
		return v
	}
	f.Add(EncodeEvidence(Evidence{A: vote(1, 1), B: vote(1, 2)}))
	f.Add(EncodeEvidence(Evidence{A: vote(2, 1), B: vote(3, 2)}))
	f.Add(EncodeEvidence(Evidence{A: vote(0, 1), B: vote(0, 1)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := DecodeEvidence(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if enc := EncodeEvidence(ev); !bytes.Equal(enc, data) {
			t.Fatalf("%x decodes but re-encodes as %x", data, enc)
		}
		if err := VerifyEvidence(vs, testSubnet, ev); err != nil && !errors.Is(err, ErrInvalidEvidence) {
			t.Fatalf("verify error %v does not wrap ErrInvalidEvidence", err)
		}
	})
}

func FuzzVerifyCommit(f *testing.F) {
	keys := testKeys(f, 4)
	vs := testSet(f, keys)
	for _, signers := range [][]int{{0, 1, 2}, {0, 1, 2, 3}, {0}} {
		enc, err := types.EncodeCommit(certificate(f, keys, 9, 0, common.Hash{9}, signers))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := types.DecodeCommit(data)
		if err != nil {
			return
		}
		if err := VerifyCommit(vs, testSubnet, c); err != nil && !errors.Is(err, ErrInvalidCommit) && !errors.Is(err, ErrNoQuorum) {
			t.Fatalf("verify error %v wraps neither ErrInvalidCommit nor ErrNoQuorum", err)
		}
	})
}
