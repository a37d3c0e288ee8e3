package bft

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// onPeer handles an encoded message from a peer. Cheap checks (decoding,
// height, round, sender, duplicates, proposer) come before the signature
// check, which costs about a millisecond.
func (e *Engine) onPeer(from string, data []byte) error {
	m, err := DecodeMessage(data)
	if err != nil {
		return err
	}
	var (
		height uint64
		round  uint32
		idx    uint32
	)
	switch m := m.(type) {
	case *Vote:
		height, round, idx = m.Height, m.Round, m.Validator
	case *Proposal:
		height, round, idx = m.Height, m.Round, m.Validator
		// First, before the duplicate check: a copy with a swapped body
		// must never stand for the proposal's hash, and is refused whatever
		// copy came first.
		if err := CheckBody(m.Block, e.cfg.CheckBody); err != nil {
			return err
		}
	}
	if int64(idx) >= int64(e.cfg.Validators.Len()) {
		return fmt.Errorf("%w: index %d, set has %d", ErrNotValidator, idx, e.cfg.Validators.Len())
	}
	switch {
	case height < e.height:
		if height+1 == e.height {
			e.serveCatchUp(from)
		}
		return fmt.Errorf("%w: %d, deciding %d", ErrOldHeight, height, e.height)
	case height == e.height+1:
		return e.bufferNext(m, data, round, idx)
	case height > e.height+1:
		return e.futureHeight(m, data, height, idx)
	}
	if round > e.round+maxRoundsAhead {
		return fmt.Errorf("%w: round %d, at %d", ErrFutureRound, round, e.round)
	}
	if ri := e.rounds[round]; ri != nil {
		switch m := m.(type) {
		case *Vote:
			if ri.set(m.Type).has(idx, m.BlockHash) {
				return nil // a duplicate: already verified and counted
			}
		case *Proposal:
			if ri.proposal != nil && ri.proposal.POLRound == m.POLRound && ri.hash == m.Block.Hash() {
				return nil
			}
		}
	}
	if p, ok := m.(*Proposal); ok && int(p.Validator) != e.cfg.Validators.Proposer(p.Height, p.Round) {
		return fmt.Errorf("%w: validator %d at height %d round %d", ErrWrongProposer, p.Validator, p.Height, p.Round)
	}
	if err := e.verify(m, data); err != nil {
		return err
	}
	return e.apply(m, data)
}

// apply feeds a verified message of the current height to the round state.
func (e *Engine) apply(m any, enc []byte) error {
	switch m := m.(type) {
	case *Vote:
		if !e.addVote(m, enc) {
			return nil
		}
	case *Proposal:
		if int(m.Validator) != e.cfg.Validators.Proposer(m.Height, m.Round) {
			return fmt.Errorf("%w: validator %d at height %d round %d", ErrWrongProposer, m.Validator, m.Height, m.Round)
		}
		ri := e.roundInfo(m.Round)
		hash := m.Block.Hash()
		if ri.proposal != nil {
			if ri.hash == hash && ri.proposal.POLRound == m.POLRound {
				return nil
			}
			if ri.hash != hash && e.cfg.Validators.HasQuorum(ri.prevotes.power[hash]) {
				// An equivocating proposer's other block, which +2/3
				// prevoted: we need it to follow their proof of lock.
				e.learnBlock(m.Block, hash)
				e.progress()
			}
			return fmt.Errorf("%w: height %d round %d", ErrConflict, m.Height, m.Round)
		}
		e.storeProposal(m, enc, hash)
		if m.Round <= e.round+1 {
			// Later rounds' blocks are verified when we get there, so a
			// byzantine proposer cannot queue a thousand executions.
			e.learnBlock(m.Block, hash)
		}
		if int(m.Validator) == e.self && e.ownProposals[m.Round] == nil {
			e.ownProposals[m.Round] = enc
		}
	}
	e.progress()
	return nil
}

// addVote counts a verified vote of the current height without running the
// rules; it reports whether the vote was new.
func (e *Engine) addVote(v *Vote, enc []byte) bool {
	ri := e.roundInfo(v.Round)
	conflict, added := ri.set(v.Type).add(v, e.power(v.Validator))
	if conflict != nil {
		e.evidence.add(newEvidence(*conflict, *v), e.cfg.Validators.At(int(v.Validator)).BLSPublicKey)
	}
	if !added {
		return false
	}
	ri.noteSender(v.Validator, e.power(v.Validator))
	if int(v.Validator) == e.self && e.signed[signKey{v.Round, v.Type}] == nil {
		// Our own vote from before a restart that lost its WAL: never sign another.
		e.signed[signKey{v.Round, v.Type}] = enc
	}
	return true
}

func (e *Engine) storeProposal(p *Proposal, enc []byte, hash common.Hash) {
	ri := e.roundInfo(p.Round)
	ri.proposal, ri.proposalEnc, ri.hash = p, enc, hash
	ri.noteSender(p.Validator, e.power(p.Validator))
}

// learnBlock records a proposed block and asks the driver to verify it,
// unless it is plainly invalid: wrong parent or bad evidence.
func (e *Engine) learnBlock(b *types.Block, hash common.Hash) {
	if e.blocks[hash] != nil {
		return
	}
	bi := &blockInfo{block: b, verdict: verdictPending}
	e.blocks[hash] = bi
	if b.Header.Height != e.height || b.Header.ParentHash != e.head || checkBlockEvidence(e.cfg.Validators, e.cfg.Subnet, b) != nil {
		bi.verdict = verdictInvalid
		return
	}
	e.ready.Verify = append(e.ready.Verify, b)
}

// bufferNext keeps a verified message for the next height and asks for
// block sync once +2/3 precommitted a block there.
func (e *Engine) bufferNext(m any, enc []byte, round, idx uint32) error {
	if e.seen(enc) {
		return nil
	}
	if err := e.verify(m, enc); err != nil {
		return err
	}
	s := &e.sync
	power := e.power(idx)
	s.nextSeen.add(idx, power)
	if v, ok := m.(*Vote); ok && v.Type == Precommit && v.BlockHash != (common.Hash{}) && !s.nextVoted[roundValidator{round, idx}] {
		s.nextVoted[roundValidator{round, idx}] = true
		k := precommitKey{round, v.BlockHash}
		s.nextCommit[k] += power
		if e.cfg.Validators.HasQuorum(s.nextCommit[k]) {
			e.requestSync(e.height + 1)
		}
	}
	if len(s.next) < 64+8*e.cfg.Validators.Len() {
		s.next = append(s.next, buffered{m, enc})
	}
	return nil
}

// futureHeight tallies validators seen above height+1: +1/3 of the power
// there means an honest validator finalized height-1, so we are behind.
func (e *Engine) futureHeight(m any, enc []byte, height uint64, idx uint32) error {
	err := fmt.Errorf("%w: %d, deciding %d", ErrFutureHeight, height, e.height)
	t := e.sync.futureTally(height)
	if t == nil || t.senders[idx] {
		return err
	}
	if verr := e.verify(m, enc); verr != nil {
		return verr
	}
	t.add(idx, e.power(idx))
	if t.power >= e.cfg.Validators.OneThirdPlus() {
		e.requestSync(height - 1)
	}
	return err
}

// serveCatchUp sends a peer one height behind the proposal and precommits
// that decided its height, at most once per propose timeout. Votes that
// arrive just after the decision are the normal stragglers of a round, not
// a node in trouble, so the first propose timeout after it serves nobody.
func (e *Engine) serveCatchUp(from string) {
	s := &e.sync
	if from == "" || len(s.last) == 0 || e.now < s.decidedAt+e.cfg.Timeouts.Propose {
		return
	}
	if at, ok := s.served[from]; ok && e.now < at+e.cfg.Timeouts.Propose {
		return
	}
	if len(s.served) >= maxServed {
		s.served = map[string]uint64{}
	}
	s.served[from] = e.now
	for _, enc := range s.last {
		e.ready.Send = append(e.ready.Send, consensus.Outbound{To: from, Payload: enc})
	}
}

// stalled runs when a round made no progress for a while: if +1/3 of the
// power is already at the next height, we missed this height's decision.
func (e *Engine) stalled() {
	target := e.sync.requested
	if e.sync.nextSeen.power >= e.cfg.Validators.OneThirdPlus() {
		target = max(target, e.height)
	}
	if target >= e.height {
		e.sync.requested = target
		e.ready.SyncTo = max(e.ready.SyncTo, target)
	}
}
