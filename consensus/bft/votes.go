package bft

import (
	"github.com/ethereum/go-ethereum/common"
)

// voteSet is the votes of one (height, round, step), at most one per
// validator: the first one seen counts, a different second one is evidence.
type voteSet struct {
	votes []*Vote // by validator index
	power map[common.Hash]uint64
	total uint64
}

func newVoteSet(n int) voteSet {
	return voteSet{votes: make([]*Vote, n), power: map[common.Hash]uint64{}}
}

// add counts v with the sender's power. It returns the vote already counted
// for the sender if that one is for a different block.
func (s *voteSet) add(v *Vote, power uint64) (conflict *Vote) {
	if prev := s.votes[v.Validator]; prev != nil {
		if prev.BlockHash != v.BlockHash {
			return prev
		}
		return nil
	}
	s.votes[v.Validator] = v
	s.power[v.BlockHash] += power
	s.total += power
	return nil
}

// has reports whether the sender already has a vote for block counted.
func (s *voteSet) has(validator uint32, block common.Hash) bool {
	prev := s.votes[validator]
	return prev != nil && prev.BlockHash == block
}

// for_ returns the votes for block, indexed by validator, nil elsewhere.
func (s *voteSet) for_(block common.Hash) []*Vote {
	out := make([]*Vote, len(s.votes))
	for i, v := range s.votes {
		if v != nil && v.BlockHash == block {
			out[i] = v
		}
	}
	return out
}

// roundInfo is everything seen for one round of the current height.
type roundInfo struct {
	proposal    *Proposal
	proposalEnc []byte      // as received or signed, for persisting a lock and for catch-up
	hash        common.Hash // of proposal.Block

	prevotes, precommits voteSet

	senders     []bool // validators that sent any message in this round
	senderPower uint64

	// "for the first time" guards of Algorithm 1.
	prevoteTimeout   bool // line 34
	precommitTimeout bool // line 47
	polka            bool // line 36
}

func newRoundInfo(n int) *roundInfo {
	return &roundInfo{prevotes: newVoteSet(n), precommits: newVoteSet(n), senders: make([]bool, n)}
}

func (r *roundInfo) set(t VoteType) *voteSet {
	if t == Prevote {
		return &r.prevotes
	}
	return &r.precommits
}

// noteSender records that validator sent something in this round, for the
// round skip rule (line 55).
func (r *roundInfo) noteSender(validator uint32, power uint64) {
	if !r.senders[validator] {
		r.senders[validator] = true
		r.senderPower += power
	}
}

func (r *roundInfo) proposalHash() (common.Hash, bool) {
	if r.proposal == nil {
		return common.Hash{}, false
	}
	return r.hash, true
}
