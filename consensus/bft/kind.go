package bft

import (
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Kind is the bft engine as a consensus.Kind: validators with BLS keys,
// instant finality, commit certificates, double votes as evidence.
var Kind = consensus.Kind{
	Name:          "bft",
	ValidatorKeys: true,
	New:           newFromKind,
	CheckMessage:  CheckMessageHeight,
	DecodeGossip:  decodeGossip,
	CheckBody:     CheckBody,
	VerifyCommit:  VerifyCommit,
	Evidence:      doubleVoteOffence,
	ReportEvidence: func(vs []consensus.Validator, blockEvidence []byte) ([]byte, error) {
		ev, err := DecodeEvidence(blockEvidence)
		if err != nil {
			return nil, err
		}
		if int(ev.A.Validator) >= len(vs) {
			return nil, fmt.Errorf("%w: seat %d of a set of %d", ErrInvalidEvidence, ev.A.Validator, len(vs))
		}
		return EncodeDoubleVote(DoubleVote{Key: vs[ev.A.Validator].BLSPublicKey, A: ev.A, B: ev.B}), nil
	},
}

// decodeGossip decodes a *Proposal or *Vote for a gossip validator; Verify
// is CheckDecoded without the body check, which the validator runs first
// through Kind.CheckBody, and with the signature checked through sigs.
func decodeGossip(subnet types.SubnetID, payload []byte) (consensus.Gossip, error) {
	m, err := DecodeMessage(payload)
	if err != nil {
		return consensus.Gossip{}, err
	}
	g := consensus.Gossip{
		Height: MessageHeight(m),
		Verify: func(vs *consensus.ValidatorSet, sigs consensus.SigVerifier) error {
			return checkSigned(vs, subnet, m, sigs)
		},
	}
	if p, ok := m.(*Proposal); ok {
		g.Block = p.Block
	}
	return g, nil
}

// newFromKind makes an engine from the common config. The root keeps a
// steady block time whatever the idle interval: it anchors the tree, and
// its children's parent references move only with its blocks.
func newFromKind(cfg consensus.Config) (consensus.Engine, error) {
	idle := cfg.Timing.IdleInterval
	if cfg.Subnet.IsRoot() {
		idle = 0
	}
	t := cfg.Timing
	return New(Config{
		Subnet:       cfg.Subnet,
		Validators:   cfg.Validators,
		Key:          cfg.BLSKey,
		Timeouts:     Timeouts{Propose: t.Propose, Prevote: t.Prevote, Precommit: t.Precommit, Delta: t.Delta},
		BlockTime:    t.BlockTime,
		IdleInterval: idle,
		CheckBody:    cfg.CheckBody,
		Sigs:         cfg.Sigs,
	}, cfg.Height, cfg.Head)
}

// DoubleVote is evidence for a parent's gateway: two votes of the child for
// the same height, round and step (prevote or precommit) but different
// blocks, both signed by Key over their sign bytes (VoteSignBytes, with the
// child's ID as domain). The votes' Validator indexes are not signed and are
// ignored: a parent knows its child's validators by key.
type DoubleVote struct {
	Key  []byte // 48-byte compressed BLS public key of the signer
	A, B Vote
}

// EncodeDoubleVote is d's RLP encoding, [key, voteA, voteB]: the payload of
// the gateway's engine evidence.
func EncodeDoubleVote(d DoubleVote) []byte {
	enc, err := rlp.EncodeToBytes(&d)
	if err != nil {
		panic("bft: double vote not encodable: " + err.Error())
	}
	return enc
}

// doubleVoteOffence decodes a DoubleVote and checks it but for its
// signatures, which the offence's Verify checks.
func doubleVoteOffence(subnet types.SubnetID, payload []byte) (consensus.Offence, error) {
	var d DoubleVote
	if err := rlp.DecodeBytes(payload, &d); err != nil {
		return consensus.Offence{}, fmt.Errorf("%w: malformed double vote (want RLP [key, voteA, voteB]): %v", ErrInvalidEvidence, err)
	}
	if len(d.Key) != crypto.BLSPublicKeySize {
		return consensus.Offence{}, fmt.Errorf("%w: the signer's BLS public key must be %d bytes (compressed G1), got %d", ErrInvalidEvidence, crypto.BLSPublicKeySize, len(d.Key))
	}
	if err := CheckDoubleVote(d.A, d.B); err != nil {
		return consensus.Offence{}, fmt.Errorf("not a double vote: %w", err)
	}
	return consensus.Offence{
		Key: d.Key, Height: d.A.Height,
		What:   fmt.Sprintf("double %s at height %d, round %d", d.A.Type, d.A.Height, d.A.Round),
		Verify: func() error { return VerifyDoubleVote(d.Key, subnet, d.A, d.B) },
	}, nil
}
