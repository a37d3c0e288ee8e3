package bft

import (
	"errors"
	"fmt"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// VerifyCommit checks that c certifies c.BlockHash at c.Height: the signers
// in the bitmap are validators of vs holding more than two thirds of its
// power, and c.Signature aggregates their precommits for (subnet, height,
// round, block). One pairing check, whatever the number of signers. The
// check is crypto.KeySet.Verify, the one certificate verifier checkpoints
// use too; the bitmap may stop at the last signer (makeCommit's), as
// certificates always could.
func VerifyCommit(vs *consensus.ValidatorSet, subnet types.SubnetID, c *types.Commit) error {
	if c == nil {
		return fmt.Errorf("%w: none", ErrInvalidCommit)
	}
	if c.BlockHash == ([32]byte{}) {
		return fmt.Errorf("%w: certifies the nil block", ErrInvalidCommit)
	}
	ks, err := vs.KeySet()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCommit, err)
	}
	bitmap := c.Signers
	if want := (vs.Len() + 7) / 8; len(bitmap) < want {
		bitmap = append(append(make([]byte, 0, want), bitmap...), make([]byte, want-len(bitmap))...)
	}
	msg := VoteSignBytes(subnet, Precommit, c.Height, c.Round, c.BlockHash)
	switch _, err := ks.Verify(bitmap, msg, c.Signature); {
	case err == nil:
		return nil
	case errors.Is(err, crypto.ErrNoQuorum):
		return fmt.Errorf("%w: %w", ErrNoQuorum, err)
	case errors.Is(err, crypto.ErrBadAggregate):
		return fmt.Errorf("%w: %w: %w", ErrInvalidCommit, ErrBadSignature, err)
	default:
		return fmt.Errorf("%w: %w", ErrInvalidCommit, err)
	}
}

// makeCommit aggregates the precommits for block in votes (indexed by
// validator, nil where absent) into a certificate. Every vote was verified
// (or signed here), so their signatures are not group-checked again.
func makeCommit(height uint64, round uint32, votes []*Vote) (*types.Commit, error) {
	var (
		c    types.Commit
		sigs [][]byte
	)
	for i, v := range votes {
		if v == nil {
			continue
		}
		if c.BlockHash == ([32]byte{}) {
			c.BlockHash = v.BlockHash
		}
		c.SetSigner(i)
		sigs = append(sigs, v.Signature)
	}
	agg, err := crypto.AggregateVerifiedSignatures(sigs)
	if err != nil {
		return nil, err
	}
	c.Height, c.Round, c.Signature = height, round, agg
	return &c, nil
}
