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
		if err := checkSigned(vs, subnet, v, nil); err != nil {
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

// KeyedEvidence is an equivocation with the equivocator's BLS public key.
// A vote's Validator index is not signed and names a seat only in the set of
// its height; the key is what a parent chain (which knows validators by key,
// see VerifyDoubleVote) needs to slash.
type KeyedEvidence struct {
	Key []byte
	Evidence
}

// pooled is a pending equivocation and its equivocator's key: seats move
// when the set changes, keys do not.
type pooled struct {
	ev  Evidence
	key string
}

// poolKey identifies an equivocation across set changes.
type poolKey struct {
	key    string
	height uint64
	round  uint32
	typ    VoteType
}

func (p pooled) id() poolKey { return poolKey{p.key, p.ev.A.Height, p.ev.A.Round, p.ev.A.Type} }

// evidencePool holds equivocations seen and not yet in a final block, in the
// order they were seen, each indexed by its validator's seat in the current
// set; and those a set change made unincludable, until the driver takes them.
type evidencePool struct {
	list     []pooled
	seen     map[poolKey]bool // in list, orphaned or already included
	orphaned []KeyedEvidence
}

// add keeps ev, an equivocation of the validator whose key is key.
func (p *evidencePool) add(ev Evidence, key []byte) {
	if p.seen == nil {
		p.seen = map[poolKey]bool{}
	}
	pe := pooled{ev, string(key)}
	if p.seen[pe.id()] || len(p.list) >= maxPendingEvidence {
		return
	}
	p.seen[pe.id()] = true
	p.list = append(p.list, pe)
}

// included drops evidence a final block decided by vs carried.
func (p *evidencePool) included(encoded [][]byte, vs *consensus.ValidatorSet) {
	if p.seen == nil {
		p.seen = map[poolKey]bool{}
	}
	for _, enc := range encoded {
		ev, err := DecodeEvidence(enc)
		if err != nil || int64(ev.A.Validator) >= int64(vs.Len()) {
			continue
		}
		id := pooled{ev, string(vs.At(int(ev.A.Validator)).BLSPublicKey)}.id()
		p.seen[id] = true
		for i := range p.list {
			if p.list[i].id() == id {
				p.list = append(p.list[:i:i], p.list[i+1:]...)
				break
			}
		}
	}
}

// rebind moves pending evidence to the seats its validators hold in vs, the
// new set: a block is checked against the set of its own height, so
// evidence indexed by an old seat would make every peer refuse the block
// that carries it, round after round. Evidence of a validator no longer in
// vs cannot be verified in a block any more; it is set aside for the parent.
func (p *evidencePool) rebind(vs *consensus.ValidatorSet) {
	seat := make(map[string]uint32, vs.Len())
	for i := 0; i < vs.Len(); i++ {
		seat[string(vs.At(i).BLSPublicKey)] = uint32(i)
	}
	kept := p.list[:0]
	for _, pe := range p.list {
		j, ok := seat[pe.key]
		if !ok {
			if len(p.orphaned) >= maxPendingEvidence {
				p.orphaned = p.orphaned[1:]
			}
			p.orphaned = append(p.orphaned, KeyedEvidence{Key: []byte(pe.key), Evidence: pe.ev})
			continue
		}
		pe.ev.A.Validator, pe.ev.B.Validator = j, j // not signed: the seat is ours to name
		kept = append(kept, pe)
	}
	clear(p.list[len(kept):])
	p.list = kept
}

func (p *evidencePool) encoded() [][]byte {
	var out [][]byte
	for i, pe := range p.list {
		if i == maxBlockEvidence {
			break
		}
		out = append(out, EncodeEvidence(pe.ev))
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
