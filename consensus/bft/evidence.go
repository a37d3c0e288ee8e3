package bft

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// maxPendingEvidence bounds the equivocations an engine keeps for inclusion;
// maxBlockEvidence bounds what one block may carry (each costs two
// signature checks to verify).
const (
	maxPendingEvidence = 64
	maxBlockEvidence   = 16
)

// Evidence is a double vote: two validly signed votes of one validator for
// the same height, round and step but different blocks.
type Evidence struct{ A, B Vote }

// evidenceKey identifies an equivocation regardless of which vote is A.
type evidenceKey struct {
	Validator uint32
	Height    uint64
	Round     uint32
	Type      VoteType
}

func (ev Evidence) key() evidenceKey {
	return evidenceKey{ev.A.Validator, ev.A.Height, ev.A.Round, ev.A.Type}
}

// newEvidence orders the votes by block hash so both nodes that see the
// same double vote encode the same evidence.
func newEvidence(a, b Vote) Evidence {
	if bytes.Compare(a.BlockHash[:], b.BlockHash[:]) > 0 {
		a, b = b, a
	}
	return Evidence{A: a, B: b}
}

// VerifyEvidence checks that ev proves a validator of vs signed two
// different votes for one (height, round, step) of subnet.
func VerifyEvidence(vs *consensus.ValidatorSet, subnet types.SubnetID, ev Evidence) error {
	a, b := ev.A, ev.B
	if a.Height != b.Height || a.Round != b.Round || a.Type != b.Type || a.Validator != b.Validator {
		return fmt.Errorf("%w: votes differ in height, round, step or validator", ErrInvalidEvidence)
	}
	if a.BlockHash == b.BlockHash {
		return fmt.Errorf("%w: both votes are for the same block", ErrInvalidEvidence)
	}
	if a.Type != Prevote && a.Type != Precommit {
		return fmt.Errorf("%w: vote type %d", ErrInvalidEvidence, a.Type)
	}
	for _, v := range []*Vote{&a, &b} {
		if err := checkSigned(vs, subnet, v); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidEvidence, err)
		}
	}
	return nil
}

// CheckDoubleVote checks, without signatures, that a and b are two votes
// for the same height, round and step (prevote or precommit) but different
// blocks: the shape of an equivocation. It says which of these fails.
func CheckDoubleVote(a, b Vote) error {
	switch {
	case a.Type != Prevote && a.Type != Precommit:
		return fmt.Errorf("%w: vote type %d is neither prevote nor precommit", ErrInvalidEvidence, a.Type)
	case a.Type != b.Type:
		return fmt.Errorf("%w: votes of different types (%s and %s)", ErrInvalidEvidence, a.Type, b.Type)
	case a.Height != b.Height:
		return fmt.Errorf("%w: votes for different heights (%d and %d)", ErrInvalidEvidence, a.Height, b.Height)
	case a.Round != b.Round:
		return fmt.Errorf("%w: votes for different rounds (%d and %d) of height %d", ErrInvalidEvidence, a.Round, b.Round, a.Height)
	case a.BlockHash == b.BlockHash:
		return fmt.Errorf("%w: both votes are for the same block %s", ErrInvalidEvidence, a.BlockHash)
	}
	return nil
}

// VerifyDoubleVote checks that a and b prove the holder of the BLS public
// key pub equivocated in subnet: CheckDoubleVote holds and both signatures
// are pub's over the votes' sign bytes (whose domain binds subnet). Unlike
// VerifyEvidence it needs no validator set, only the key: a parent chain
// knows its child's validators by key, not the child's set at every height.
// The votes' Validator indexes are not signed and are ignored.
func VerifyDoubleVote(pub []byte, subnet types.SubnetID, a, b Vote) error {
	if err := CheckDoubleVote(a, b); err != nil {
		return err
	}
	for i, v := range []*Vote{&a, &b} {
		if !crypto.VerifyBLS(pub, v.signBytes(subnet), v.Signature) {
			return fmt.Errorf("%w: %w: vote %c is not signed by BLS key %x for %s", ErrInvalidEvidence, ErrBadSignature, 'A'+i, pub, subnet)
		}
	}
	return nil
}

// EncodeEvidence is the RLP encoding of ev, as blocks carry it.
func EncodeEvidence(ev Evidence) []byte {
	enc, err := rlp.EncodeToBytes(&ev)
	if err != nil {
		panic("bft: evidence not encodable: " + err.Error())
	}
	return enc
}

// DecodeEvidence parses EncodeEvidence's output.
func DecodeEvidence(data []byte) (Evidence, error) {
	var ev Evidence
	if err := rlp.DecodeBytes(data, &ev); err != nil {
		return Evidence{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return ev, nil
}

// evidencePool holds equivocations seen and not yet in a final block, in the
// order they were seen.
type evidencePool struct {
	list []Evidence
	seen map[evidenceKey]bool // in list or already included
}

func (p *evidencePool) add(ev Evidence) {
	if p.seen == nil {
		p.seen = map[evidenceKey]bool{}
	}
	k := ev.key()
	if p.seen[k] || len(p.list) >= maxPendingEvidence {
		return
	}
	p.seen[k] = true
	p.list = append(p.list, ev)
}

// included drops evidence a final block carried.
func (p *evidencePool) included(encoded [][]byte) {
	for _, enc := range encoded {
		ev, err := DecodeEvidence(enc)
		if err != nil {
			continue
		}
		k := ev.key()
		if p.seen == nil {
			p.seen = map[evidenceKey]bool{}
		}
		p.seen[k] = true
		for i := range p.list {
			if p.list[i].key() == k {
				p.list = append(p.list[:i:i], p.list[i+1:]...)
				break
			}
		}
	}
}

func (p *evidencePool) encoded() [][]byte {
	var out [][]byte
	for i, ev := range p.list {
		if i == maxBlockEvidence {
			break
		}
		out = append(out, EncodeEvidence(ev))
	}
	return out
}

// checkBlockEvidence verifies every piece of evidence a proposed block
// carries and that the header commits to it.
func checkBlockEvidence(vs *consensus.ValidatorSet, subnet types.SubnetID, b *types.Block) error {
	if types.EvidenceHash(b.Evidence) != b.Header.EvidenceHash {
		return fmt.Errorf("%w: header evidence hash does not match the block's evidence", ErrInvalidEvidence)
	}
	if len(b.Evidence) > maxBlockEvidence {
		return fmt.Errorf("%w: %d pieces, at most %d", ErrInvalidEvidence, len(b.Evidence), maxBlockEvidence)
	}
	seen := map[evidenceKey]bool{}
	for i, enc := range b.Evidence {
		ev, err := DecodeEvidence(enc)
		if err != nil {
			return fmt.Errorf("%w: piece %d: %w", ErrInvalidEvidence, i, err)
		}
		if seen[ev.key()] {
			return fmt.Errorf("%w: piece %d repeats an equivocation", ErrInvalidEvidence, i)
		}
		seen[ev.key()] = true
		if err := VerifyEvidence(vs, subnet, ev); err != nil {
			return fmt.Errorf("piece %d: %w", i, err)
		}
	}
	return nil
}
