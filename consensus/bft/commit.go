package bft

import (
	"fmt"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// VerifyCommit checks that c certifies c.BlockHash at c.Height: the signers
// in the bitmap are validators of vs holding more than two thirds of its
// power, and c.Signature aggregates their precommits for (subnet, height,
// round, block). One pairing check, whatever the number of signers.
func VerifyCommit(vs *consensus.ValidatorSet, subnet types.SubnetID, c *types.Commit) error {
	if c == nil {
		return fmt.Errorf("%w: none", ErrInvalidCommit)
	}
	if c.BlockHash == ([32]byte{}) {
		return fmt.Errorf("%w: certifies the nil block", ErrInvalidCommit)
	}
	if len(c.Signers) > (vs.Len()+7)/8 {
		return fmt.Errorf("%w: bitmap of %d bytes for %d validators", ErrInvalidCommit, len(c.Signers), vs.Len())
	}
	for i := vs.Len(); i < len(c.Signers)*8; i++ {
		if c.HasSigner(i) {
			return fmt.Errorf("%w: bit %d set beyond the %d validators", ErrInvalidCommit, i, vs.Len())
		}
	}
	var (
		pubs  [][]byte
		power uint64
	)
	for i := 0; i < vs.Len(); i++ {
		if c.HasSigner(i) {
			v := vs.At(i)
			pubs = append(pubs, v.BLSPublicKey)
			power += v.Power
		}
	}
	if !vs.HasQuorum(power) {
		return fmt.Errorf("%w: %d of %d (need %d)", ErrNoQuorum, power, vs.TotalPower(), vs.Quorum())
	}
	msg := VoteSignBytes(subnet, Precommit, c.Height, c.Round, c.BlockHash)
	if !crypto.VerifyAggregate(pubs, msg, c.Signature) {
		return fmt.Errorf("%w: %w: aggregate does not match the signers' precommits", ErrInvalidCommit, ErrBadSignature)
	}
	return nil
}

// makeCommit aggregates the precommits for block in votes (indexed by
// validator, nil where absent) into a certificate.
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
	agg, err := crypto.AggregateSignatures(sigs)
	if err != nil {
		return nil, err
	}
	c.Height, c.Round, c.Signature = height, round, agg
	return &c, nil
}
