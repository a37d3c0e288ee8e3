package sim

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/types"
)

// BFT adapts the Tendermint engine, made and checked through bft.Kind as the
// node does: timeouts sized from the network's worst delay, commits checked
// with the kind's VerifyCommit, votes decoded for the double-signing check,
// and byzantine nodes that equivocate on every proposal and vote with
// validly signed conflicting messages.
func BFT() EngineFactory {
	return EngineFactory{
		Name: bft.Kind.Name,
		New: func(cfg NodeConfig) (consensus.Engine, error) {
			d := cfg.MaxDelay + 1
			return bft.Kind.New(consensus.Config{
				Subnet: cfg.Subnet, Validators: cfg.Validators, BLSKey: cfg.Key, Height: cfg.Height, Head: cfg.Head,
				Timing: consensus.Timing{
					Propose: 4 * d, Prevote: 2 * d, Precommit: 2 * d, Delta: d,
					// Heights at the pace of a few network delays, so fault
					// windows span a few heights, not dozens of BLS-heavy ones.
					BlockTime: 2 * d,
				},
			})
		},
		VerifyCommit: bft.Kind.VerifyCommit,
		DecodeVote: func(payload []byte) (Vote, bool) {
			m, err := bft.DecodeMessage(payload)
			if err != nil {
				return Vote{}, false
			}
			v, ok := m.(*bft.Vote)
			if !ok {
				return Vote{}, false
			}
			return Vote{Type: uint8(v.Type), Height: v.Height, Round: v.Round, BlockHash: v.BlockHash, Validator: int(v.Validator)}, true
		},
		Corrupt:  corruptBFT,
		Describe: describeBFT,
		Accused: func(e consensus.Engine) []int {
			holder, ok := e.(interface{ Evidence() []bft.Evidence })
			if !ok {
				return nil
			}
			var who []int
			for _, ev := range holder.Evidence() {
				who = append(who, int(ev.A.Validator))
			}
			return who
		},
		BlockEvidence: func(vs *consensus.ValidatorSet, subnet types.SubnetID, data []byte) (int, error) {
			ev, err := bft.DecodeEvidence(data)
			if err != nil {
				return 0, err
			}
			if err := bft.VerifyEvidence(vs, subnet, ev); err != nil {
				return 0, err
			}
			return int(ev.A.Validator), nil
		},
	}
}

// corruptBFT turns a byzantine node's own proposal into two proposals of
// conflicting blocks, and its own vote into two votes for different blocks,
// each validly signed with the node's key.
func corruptBFT(b *Byzantine, payload []byte) (Equivocation, bool) {
	m, err := bft.DecodeMessage(payload)
	if err != nil {
		return Equivocation{}, false
	}
	switch m := m.(type) {
	case *bft.Proposal:
		if int(m.Validator) != b.Index() {
			return Equivocation{}, false
		}
		alt := *m
		alt.Block = b.Fork(m.Block)
		bft.SignProposal(b.Key(), b.Subnet(), &alt)
		enc, err := bft.EncodeMessage(&alt)
		if err != nil {
			return Equivocation{}, false
		}
		return Equivocation{Height: m.Height, Round: m.Round, A: payload, B: enc}, true
	case *bft.Vote:
		if int(m.Validator) != b.Index() {
			return Equivocation{}, false
		}
		alt := *m
		alt.BlockHash = otherHash(b, m.Height, m.BlockHash)
		bft.SignVote(b.Key(), b.Subnet(), &alt)
		enc, err := bft.EncodeMessage(&alt)
		if err != nil {
			return Equivocation{}, false
		}
		return Equivocation{Height: m.Height, Round: m.Round, A: payload, B: enc}, true
	}
	return Equivocation{}, false
}

// otherHash picks what the second vote is for: the node's own conflicting
// block at that height when it made one, else a block nobody has.
func otherHash(b *Byzantine, height uint64, not common.Hash) common.Hash {
	forks := b.Forks(height)
	for i := len(forks) - 1; i >= 0; i-- {
		if forks[i] != not {
			return forks[i]
		}
	}
	var r [8]byte
	binary.BigEndian.PutUint64(r[:], b.Rand())
	return gethcrypto.Keccak256Hash(not[:], r[:])
}

func describeBFT(payload []byte) string {
	m, err := bft.DecodeMessage(payload)
	if err != nil {
		return "undecodable: " + err.Error()
	}
	switch m := m.(type) {
	case *bft.Vote:
		return fmt.Sprintf("%s h%d r%d %x by %d", m.Type, m.Height, m.Round, m.BlockHash[:4], m.Validator)
	case *bft.Proposal:
		h := m.Block.Hash()
		return fmt.Sprintf("proposal h%d r%d pol %d %x by %d", m.Height, m.Round, m.POLRound, h[:4], m.Validator)
	}
	return fmt.Sprintf("%T", m)
}
