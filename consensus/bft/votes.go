package bft

import (
	"github.com/ethereum/go-ethereum/common"
)

// maxEquivocations bounds the extra votes one validator may have counted in
// one vote set.
const maxEquivocations = 3

// voteSet is the votes of one (height, round, step). As in Algorithm 1 a
// rule counts the senders of one exact message, so an equivocator's votes
// for two blocks count for each block (a few at most), but toward "+2/3 of
// anything" it counts once.
type voteSet struct {
	votes []*Vote            // the first vote of each validator
	extra map[uint32][]*Vote // later votes of equivocators, for other blocks
	power map[common.Hash]uint64
	total uint64
}

func newVoteSet(n int) voteSet {
	return voteSet{votes: make([]*Vote, n), extra: map[uint32][]*Vote{}, power: map[common.Hash]uint64{}}
}

// add counts v with the sender's power. conflict is a vote of the sender
// for another block, if any; added reports whether v was new and counted.
func (s *voteSet) add(v *Vote, power uint64) (conflict *Vote, added bool) {
	prev := s.votes[v.Validator]
	if prev == nil {
		s.votes[v.Validator] = v
		s.power[v.BlockHash] += power
		s.total += power
		return nil, true
	}
	if s.has(v.Validator, v.BlockHash) {
		return nil, false
	}
	if len(s.extra[v.Validator]) >= maxEquivocations {
		return prev, false
	}
	s.extra[v.Validator] = append(s.extra[v.Validator], v)
	s.power[v.BlockHash] += power
	return prev, true
}

// has reports whether the sender already has a vote for block counted.
func (s *voteSet) has(validator uint32, block common.Hash) bool {
	if prev := s.votes[validator]; prev != nil && prev.BlockHash == block {
		return true
	}
	for _, v := range s.extra[validator] {
		if v.BlockHash == block {
			return true
		}
	}
	return false
}

// for_ returns the votes for block, indexed by validator, nil elsewhere.
func (s *voteSet) for_(block common.Hash) []*Vote {
	out := make([]*Vote, len(s.votes))
	for i, v := range s.votes {
		if v != nil && v.BlockHash == block {
			out[i] = v
		}
	}
	for i, extra := range s.extra {
		for _, v := range extra {
			if v.BlockHash == block {
				out[i] = v
			}
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
