package bft

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Errors Step and the stateless checks return. The driver ignores
// ErrOldHeight and ErrFutureHeight (normal gossip races) and may score peers
// on the others.
var (
	ErrMalformed         = consensus.ErrMalformed
	ErrBadBody           = consensus.ErrBadBody
	ErrNotValidator      = errors.New("bft: sender is not in the validator set")
	ErrBadSignature      = errors.New("bft: bad signature")
	ErrWrongProposer     = errors.New("bft: proposal from a validator that is not the round's proposer")
	ErrOldHeight         = consensus.ErrOldHeight
	ErrFutureHeight      = consensus.ErrFutureHeight
	ErrFutureRound       = errors.New("bft: message for a round too far ahead")
	ErrConflict          = errors.New("bft: conflicting proposal for a round that already has one")
	ErrUnexpectedBlock   = errors.New("bft: built block does not answer a pending build request")
	ErrNoQuorum          = errors.New("bft: signers hold no more than two thirds of the power")
	ErrInvalidEvidence   = errors.New("bft: invalid evidence")
	ErrInvalidCommit     = errors.New("bft: invalid commit certificate")
	ErrInvalidConfig     = errors.New("bft: invalid config")
	ErrUnknownMessage    = errors.New("bft: unknown input")
	ErrReplayAfterStart  = errors.New("bft: replay after the engine started; replay must be the first input")
	ErrReplayForeignVote = errors.New("bft: replayed entry was not signed by this node")
)

// VoteType is the step a vote is cast in.
type VoteType uint8

// The two vote steps of Tendermint.
const (
	Prevote   VoteType = 1
	Precommit VoteType = 2
)

func (t VoteType) String() string {
	switch t {
	case Prevote:
		return "prevote"
	case Precommit:
		return "precommit"
	}
	return fmt.Sprintf("votetype(%d)", uint8(t))
}

// Vote is a signed prevote or precommit. A zero BlockHash is a vote for nil.
type Vote struct {
	Type      VoteType
	Height    uint64
	Round     uint32
	BlockHash common.Hash // zero: nil vote
	Validator uint32      // index in the validator set
	Signature []byte
}

// Proposal is a signed block proposal for (Height, Round). POLRound is the
// round of the proof-of-lock the proposer re-proposes Block from, or -1.
type Proposal struct {
	Height    uint64
	Round     uint32
	POLRound  int32
	Block     *types.Block
	Validator uint32
	Signature []byte
}

// Signing domains: a signature for one purpose never verifies for another.
const (
	voteDomain     = "aspen/bft/vote/v1"
	proposalDomain = "aspen/bft/proposal/v1"
)

// Message kinds, the first byte of an encoded message.
const (
	kindProposal byte = 1
	kindVote     byte = 2
)

// VoteSignBytes is what a validator signs for a vote: the domain, subnet,
// height, round, step and block hash, RLP-encoded.
func VoteSignBytes(subnet types.SubnetID, t VoteType, height uint64, round uint32, block common.Hash) []byte {
	enc, err := rlp.EncodeToBytes([]any{voteDomain, string(subnet), uint8(t), height, round, block})
	if err != nil {
		panic("bft: vote sign bytes not encodable: " + err.Error())
	}
	return enc
}

// ProposalSignBytes is what a proposer signs: the domain, subnet, height,
// round, POL round (+1, so -1 encodes as 0) and block hash.
func ProposalSignBytes(subnet types.SubnetID, height uint64, round uint32, polRound int32, block common.Hash) []byte {
	enc, err := rlp.EncodeToBytes([]any{proposalDomain, string(subnet), height, round, uint64(int64(polRound) + 1), block})
	if err != nil {
		panic("bft: proposal sign bytes not encodable: " + err.Error())
	}
	return enc
}

func (v *Vote) signBytes(subnet types.SubnetID) []byte {
	return VoteSignBytes(subnet, v.Type, v.Height, v.Round, v.BlockHash)
}

func (p *Proposal) signBytes(subnet types.SubnetID) []byte {
	return ProposalSignBytes(subnet, p.Height, p.Round, p.POLRound, p.Block.Hash())
}

// SignVote sets v.Signature.
func SignVote(key *crypto.BLSSecretKey, subnet types.SubnetID, v *Vote) {
	v.Signature = key.Sign(v.signBytes(subnet))
}

// SignProposal sets p.Signature over (domain, subnet, height, round, POL
// round, block hash).
func SignProposal(key *crypto.BLSSecretKey, subnet types.SubnetID, p *Proposal) {
	p.Signature = key.Sign(p.signBytes(subnet))
}

// proposalWire is Proposal as RLP can carry it (no signed integers).
type proposalWire struct {
	Height    uint64
	Round     uint32
	POLRound  uint32 // POLRound + 1
	Block     *types.Block
	Validator uint32
	Signature []byte
}

// EncodeMessage encodes a *Proposal or *Vote as one kind byte and RLP.
func EncodeMessage(m any) ([]byte, error) {
	var (
		kind byte
		body any
	)
	switch m := m.(type) {
	case *Proposal:
		if m.Block == nil || m.Block.Header == nil || m.POLRound < -1 {
			return nil, fmt.Errorf("%w: proposal without a block or with POL round %d", ErrMalformed, m.POLRound)
		}
		kind, body = kindProposal, &proposalWire{m.Height, m.Round, uint32(m.POLRound + 1), m.Block, m.Validator, m.Signature}
	case *Vote:
		kind, body = kindVote, m
	default:
		return nil, fmt.Errorf("%w: cannot encode %T", ErrMalformed, m)
	}
	enc, err := rlp.EncodeToBytes(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return append([]byte{kind}, enc...), nil
}

// DecodeMessage parses an encoded message into a *Proposal or *Vote and
// checks its fields are in range. It does not check signatures.
func DecodeMessage(data []byte) (any, error) {
	if len(data) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(data))
	}
	switch data[0] {
	case kindProposal:
		var w proposalWire
		if err := rlp.DecodeBytes(data[1:], &w); err != nil {
			return nil, fmt.Errorf("%w: proposal: %v", ErrMalformed, err)
		}
		if w.Block == nil || w.Block.Header == nil {
			return nil, fmt.Errorf("%w: proposal without a block", ErrMalformed)
		}
		pol := int64(w.POLRound) - 1
		if pol >= int64(w.Round) {
			return nil, fmt.Errorf("%w: POL round %d not below round %d", ErrMalformed, pol, w.Round)
		}
		if w.Block.Header.Height != w.Height {
			return nil, fmt.Errorf("%w: proposal for height %d carries block %d", ErrMalformed, w.Height, w.Block.Header.Height)
		}
		return &Proposal{w.Height, w.Round, int32(pol), w.Block, w.Validator, w.Signature}, nil
	case kindVote:
		v := new(Vote)
		if err := rlp.DecodeBytes(data[1:], v); err != nil {
			return nil, fmt.Errorf("%w: vote: %v", ErrMalformed, err)
		}
		if v.Type != Prevote && v.Type != Precommit {
			return nil, fmt.Errorf("%w: vote type %d", ErrMalformed, v.Type)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%w: kind %d", ErrMalformed, data[0])
}

// CheckMessage decodes data and checks, without any engine state, that a
// proposal's body matches its header (evidence only; see CheckGossip), the
// sender is a validator of vs and the signature is its. Gossip validators
// use it to drop junk before relaying.
func CheckMessage(vs *consensus.ValidatorSet, subnet types.SubnetID, data []byte) error {
	_, err := CheckGossip(vs, subnet, data, nil)
	return err
}

// CheckMessageHeight is CheckMessage that also returns the height the
// message is for (0 if it does not decode): a gossip validator only knows
// the set of its own next height, and a set change makes other heights'
// messages unverifiable rather than bad.
func CheckMessageHeight(vs *consensus.ValidatorSet, subnet types.SubnetID, data []byte) (uint64, error) {
	return CheckGossip(vs, subnet, data, nil)
}

// CheckGossip is CheckMessageHeight with the application's body check (see
// Config.CheckBody; nil checks the evidence only). The body is checked
// first: it is cheaper than the signature and, unlike the signature, its
// failure proves the relay wrong whatever the height (ErrBadBody), since
// the proposer signed only the header.
func CheckGossip(vs *consensus.ValidatorSet, subnet types.SubnetID, data []byte, body func(*types.Block) error) (uint64, error) {
	m, err := DecodeMessage(data)
	if err != nil {
		return 0, err
	}
	return MessageHeight(m), CheckDecoded(vs, subnet, m, body)
}

// MessageHeight is the height a decoded *Proposal or *Vote is for (0 for
// anything else).
func MessageHeight(m any) uint64 {
	switch m := m.(type) {
	case *Proposal:
		return m.Height
	case *Vote:
		return m.Height
	}
	return 0
}

// CheckDecoded is CheckGossip on a message DecodeMessage returned, for a
// caller that looks at the height before it pays for the signature check.
func CheckDecoded(vs *consensus.ValidatorSet, subnet types.SubnetID, m any, body func(*types.Block) error) error {
	if p, ok := m.(*Proposal); ok {
		if err := CheckBody(p.Block, body); err != nil {
			return err
		}
	}
	return checkSigned(vs, subnet, m, nil)
}

// CheckBody reports whether b's body is the one its header commits to: the
// evidence (EvidenceHash, and at most maxBlockEvidence pieces) and whatever
// app checks (the transactions against TxRoot). A proposer signs only the
// header, so a relay can swap the body of an honest proposal; without this
// check the node would judge the swapped block, find it invalid, and hold
// the honest proposal's hash invalid for the height. It is Kind.CheckBody.
func CheckBody(b *types.Block, app func(*types.Block) error) error {
	return types.CheckBody(b, evidenceLimit, app)
}

// evidenceLimit is the part of CheckBody that is bft's own.
func evidenceLimit(b *types.Block) error {
	if len(b.Evidence) > maxBlockEvidence {
		return fmt.Errorf("%d pieces of evidence, at most %d", len(b.Evidence), maxBlockEvidence)
	}
	return nil
}

// checkSigned checks the sender and signature of a decoded message, the
// signature through sigs (nil: crypto.VerifyBLS).
func checkSigned(vs *consensus.ValidatorSet, subnet types.SubnetID, m any, sigs consensus.SigVerifier) error {
	var (
		idx      uint32
		msg, sig []byte
	)
	switch m := m.(type) {
	case *Proposal:
		idx, sig = m.Validator, m.Signature
		if int64(idx) < int64(vs.Len()) {
			msg = m.signBytes(subnet)
		}
	case *Vote:
		idx, sig = m.Validator, m.Signature
		msg = m.signBytes(subnet)
	default:
		return fmt.Errorf("%w: %T", ErrMalformed, m)
	}
	if int64(idx) >= int64(vs.Len()) {
		return fmt.Errorf("%w: index %d, set has %d", ErrNotValidator, idx, vs.Len())
	}
	if !verifyBLS(sigs, vs.At(int(idx)).BLSPublicKey, msg, sig) {
		return fmt.Errorf("%w: from validator %d", ErrBadSignature, idx)
	}
	return nil
}

// verifyBLS is sigs.VerifyBLS, or crypto.VerifyBLS without sigs.
func verifyBLS(sigs consensus.SigVerifier, pub, msg, sig []byte) bool {
	if sigs == nil {
		return crypto.VerifyBLS(pub, msg, sig)
	}
	return sigs.VerifyBLS(pub, msg, sig)
}
