package bft

import (
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// step is the step of the current round.
type step uint8

const (
	stepPropose step = iota
	stepPrevote
	stepPrecommit
)

// verdict is what the engine knows of a block's validity.
type verdict uint8

const (
	verdictPending verdict = iota
	verdictValid
	verdictInvalid
)

type blockInfo struct {
	block   *types.Block
	verdict verdict
}

type timerKind uint8

const (
	timerPropose timerKind = iota
	timerPrevote
	timerPrecommit
	timerStart // BlockTime after a commit: start round 0
	timerStall // no progress in a round: re-broadcast own messages
	timerIdle  // IdleInterval after a commit: start round 0 even without work
)

type timer struct {
	at     uint64
	kind   timerKind
	height uint64
	round  uint32
}

// signKey names a vote this node may sign once per height.
type signKey struct {
	round uint32
	typ   VoteType
}

func (e *Engine) roundInfo(r uint32) *roundInfo {
	ri := e.rounds[r]
	if ri == nil {
		ri = newRoundInfo(e.cfg.Validators.Len())
		e.rounds[r] = ri
	}
	return ri
}

func (e *Engine) power(validator uint32) uint64 {
	return e.cfg.Validators.At(int(validator)).Power
}

func (e *Engine) isProposer(r uint32) bool {
	return e.self >= 0 && e.cfg.Validators.Proposer(e.height, r) == e.self
}

func (e *Engine) schedule(kind timerKind, after uint64, round uint32) {
	e.timers = append(e.timers, timer{at: e.now + after, kind: kind, height: e.height, round: round})
}

func (e *Engine) timeout(base uint64, r uint32) uint64 {
	return base + uint64(r)*e.cfg.Timeouts.Delta
}

// startOrRest starts round 0 of a height whose BlockTime passed, unless the
// chain is idle (IdleInterval): no pending work and no peer has started it.
// Then it rests until PoolStatus reports work, a peer's message for the
// height arrives, or the idle timer fires.
func (e *Engine) startOrRest() {
	// The first block comes at once: a new chain shows it is alive.
	if e.cfg.IdleInterval > e.cfg.BlockTime && e.height > 1 && !e.work && len(e.rounds) == 0 {
		e.resting = true
		e.schedule(timerIdle, e.cfg.IdleInterval-e.cfg.BlockTime, 0)
		return
	}
	e.startRound(0)
}

// wake ends a rest and starts round 0.
func (e *Engine) wake() {
	e.resting = false
	e.startRound(0)
	e.progress()
}

// startRound is StartRound of Algorithm 1 (lines 11-21).
func (e *Engine) startRound(r uint32) {
	e.round, e.step, e.started, e.resting = r, stepPropose, true, false
	for _, next := range []uint32{r, r + 1} {
		if ri := e.rounds[next]; ri != nil && ri.proposal != nil {
			e.learnBlock(ri.proposal.Block, ri.hash)
		}
	}
	e.roundInfo(r)
	if e.isProposer(r) && e.ownProposals[r] == nil {
		if b := e.blocks[e.validHash]; e.validRound >= 0 && b != nil {
			e.propose(b.block, e.validRound)
		} else if !e.building {
			e.building = true
			e.ready.Build = &consensus.BuildRequest{Height: e.height, Parent: e.head, Evidence: e.evidence.encoded()}
		}
	}
	// Scheduled for the proposer too: a failed or slow build must not stall the round.
	t := e.cfg.Timeouts
	e.schedule(timerPropose, e.timeout(t.Propose, r), r)
	e.schedule(timerStall, e.stallAfter(r), r)
}

func (e *Engine) stallAfter(r uint32) uint64 {
	t := e.cfg.Timeouts
	return e.timeout(t.Propose, r) + e.timeout(t.Prevote, r) + e.timeout(t.Precommit, r)
}

// propose signs, persists, sends and counts a proposal of b in the current round.
func (e *Engine) propose(b *types.Block, polRound int32) {
	p := &Proposal{Height: e.height, Round: e.round, POLRound: polRound, Block: b, Validator: uint32(e.self)}
	SignProposal(e.cfg.Key, e.cfg.Subnet, p)
	enc, err := EncodeMessage(p)
	if err != nil {
		panic("bft: own proposal not encodable: " + err.Error())
	}
	e.ownProposals[e.round] = enc
	e.persist(enc)
	e.broadcast(enc)
	hash := b.Hash()
	if e.blocks[hash] == nil {
		e.blocks[hash] = &blockInfo{block: b, verdict: verdictValid} // we built it
	}
	e.storeProposal(p, enc, hash)
	e.sendPOL(e.round)
}

// sendPOL broadcasts the prevotes that justify our proposal of round r when
// it re-proposes a locked or valid block: peers that missed some of them
// (or saw an equivocator's other vote) could not accept it otherwise.
func (e *Engine) sendPOL(r uint32) {
	ri := e.rounds[r]
	if ri == nil || ri.proposal == nil || ri.proposal.POLRound < 0 {
		return
	}
	pol := e.rounds[uint32(ri.proposal.POLRound)]
	if pol == nil {
		return
	}
	for _, v := range pol.prevotes.for_(ri.hash) {
		if v != nil {
			enc, err := EncodeMessage(v)
			if err != nil {
				panic("bft: verified vote not encodable: " + err.Error())
			}
			e.broadcast(enc)
		}
	}
}

// vote signs, persists, sends and counts this node's vote, unless it already
// signed a vote of that (round, step): then it keeps that one, whatever
// block it was for, so a restarted node never equivocates.
func (e *Engine) vote(t VoteType, block common.Hash) {
	if e.self < 0 {
		return // a follower never votes
	}
	k := signKey{e.round, t}
	if e.signed[k] != nil {
		return
	}
	v := &Vote{Type: t, Height: e.height, Round: e.round, BlockHash: block, Validator: uint32(e.self)}
	SignVote(e.cfg.Key, e.cfg.Subnet, v)
	enc, err := EncodeMessage(v)
	if err != nil {
		panic("bft: own vote not encodable: " + err.Error())
	}
	e.signed[k] = enc
	e.persist(enc)
	e.broadcast(enc)
	e.addVote(v, enc)
}

// progress applies the upon-rules of Algorithm 1 until none fires.
func (e *Engine) progress() {
	for e.started {
		h := e.height
		fired := e.tryDecide() || e.tryRoundSkip() || e.tryProposal() || e.tryPolka() || e.tryNilPolka() || e.tryLateValid()
		if e.height != h {
			return // decided; the next height starts on its own
		}
		e.scheduleTimeouts()
		if !fired {
			return
		}
	}
}

// tryDecide is line 49: +2/3 precommits in any round for a valid block we
// have decide it.
func (e *Engine) tryDecide() bool {
	for _, r := range e.sortedRounds() {
		ri := e.rounds[r]
		if !e.cfg.Validators.HasQuorum(ri.precommits.total) {
			continue
		}
		for hash, p := range ri.precommits.power {
			if hash == (common.Hash{}) || !e.cfg.Validators.HasQuorum(p) {
				continue
			}
			b := e.blocks[hash]
			switch {
			case b == nil:
				// The network decided a block nobody showed us: fetch it.
				e.requestSync(e.height)
			case b.verdict == verdictValid:
				e.decide(r, b.block, hash)
				return true
			}
		}
	}
	return false
}

func (e *Engine) sortedRounds() []uint32 {
	rounds := make([]uint32, 0, len(e.rounds))
	for r := range e.rounds {
		rounds = append(rounds, r)
	}
	slices.Sort(rounds)
	return rounds
}

// tryRoundSkip is line 55: +1/3 of the power in a higher round moves us there.
func (e *Engine) tryRoundSkip() bool {
	best, found := e.round, false
	for r, ri := range e.rounds {
		if r > best && ri.senderPower >= e.cfg.Validators.OneThirdPlus() {
			best, found = r, true
		}
	}
	if found {
		e.startRound(best)
	}
	return found
}

// tryProposal is lines 22-33: prevote on the current round's proposal.
func (e *Engine) tryProposal() bool {
	ri := e.rounds[e.round]
	if e.step != stepPropose || ri == nil || ri.proposal == nil {
		return false
	}
	b := e.blocks[ri.hash]
	if b == nil || b.verdict == verdictPending {
		return false // wait for the Verdict
	}
	valid := b.verdict == verdictValid
	p := ri.proposal
	if p.POLRound < 0 {
		if valid && (e.lockedRound < 0 || e.lockedHash == ri.hash) {
			e.vote(Prevote, ri.hash)
		} else {
			e.vote(Prevote, common.Hash{})
		}
	} else {
		pol := e.rounds[uint32(p.POLRound)]
		if pol == nil || !e.cfg.Validators.HasQuorum(pol.prevotes.power[ri.hash]) {
			return false // the proof of lock has not reached us (yet)
		}
		if valid && (e.lockedRound <= p.POLRound || e.lockedHash == ri.hash) {
			e.vote(Prevote, ri.hash)
		} else {
			e.vote(Prevote, common.Hash{})
		}
	}
	e.step = stepPrevote
	return true
}

// tryPolka is line 36: +2/3 prevotes for the current round's valid proposal
// lock it (if still prevoting) and make it the valid value.
func (e *Engine) tryPolka() bool {
	ri := e.rounds[e.round]
	if e.step < stepPrevote || ri == nil || ri.polka || ri.proposal == nil {
		return false
	}
	b := e.blocks[ri.hash]
	if b == nil || b.verdict != verdictValid || !e.cfg.Validators.HasQuorum(ri.prevotes.power[ri.hash]) {
		return false
	}
	ri.polka = true
	if e.step == stepPrevote {
		e.lockedHash, e.lockedRound = ri.hash, int32(e.round)
		if ri.proposal.Validator != uint32(e.self) && e.self >= 0 {
			// A restarted node must remember its lock with the block itself,
			// to re-propose it and to vote by it.
			e.persist(ri.proposalEnc)
		}
		e.vote(Precommit, ri.hash)
		e.step = stepPrecommit
	}
	e.validHash, e.validRound = ri.hash, int32(e.round)
	return true
}

// tryLateValid raises the valid value to a polka of an earlier round of
// this height that reached us late (line 36 looks at the current round
// only). Proposing a value with a genuine proof of lock is always safe,
// since every receiver checks the proof and its own lock; it lets an honest
// proposer unblock validators locked on a value the others never saw.
func (e *Engine) tryLateValid() bool {
	for _, r := range e.sortedRounds() {
		if int32(r) <= e.validRound || r > e.round {
			continue
		}
		ri := e.rounds[r]
		for hash, p := range ri.prevotes.power {
			if b := e.blocks[hash]; b != nil && b.verdict == verdictValid && e.cfg.Validators.HasQuorum(p) {
				e.validHash, e.validRound = hash, int32(r)
				return true
			}
		}
	}
	return false
}

// tryNilPolka is line 44: +2/3 prevotes for nil make us precommit nil.
func (e *Engine) tryNilPolka() bool {
	ri := e.rounds[e.round]
	if e.step != stepPrevote || ri == nil || !e.cfg.Validators.HasQuorum(ri.prevotes.power[common.Hash{}]) {
		return false
	}
	e.vote(Precommit, common.Hash{})
	e.step = stepPrecommit
	return true
}

// scheduleTimeouts is lines 34 and 47.
func (e *Engine) scheduleTimeouts() {
	ri := e.rounds[e.round]
	if ri == nil {
		return
	}
	t := e.cfg.Timeouts
	if e.step == stepPrevote && !ri.prevoteTimeout && e.cfg.Validators.HasQuorum(ri.prevotes.total) {
		ri.prevoteTimeout = true
		e.schedule(timerPrevote, e.timeout(t.Prevote, e.round), e.round)
	}
	if !ri.precommitTimeout && e.cfg.Validators.HasQuorum(ri.precommits.total) {
		ri.precommitTimeout = true
		e.schedule(timerPrecommit, e.timeout(t.Precommit, e.round), e.round)
	}
}

// fire handles a due timer (lines 57-65 and the engine's own timers).
func (e *Engine) fire(t timer) {
	if t.height != e.height {
		return
	}
	switch t.kind {
	case timerStart:
		if !e.started {
			e.startOrRest()
		}
	case timerIdle:
		if e.resting {
			e.wake()
		}
	case timerPropose:
		if t.round == e.round && e.step == stepPropose {
			e.vote(Prevote, common.Hash{})
			e.step = stepPrevote
		}
	case timerPrevote:
		if t.round == e.round && e.step == stepPrevote {
			e.vote(Precommit, common.Hash{})
			e.step = stepPrecommit
		}
	case timerPrecommit:
		if t.round == e.round {
			e.startRound(e.round + 1)
		}
	case timerStall:
		if t.round == e.round {
			e.rebroadcast()
			e.stalled()
			e.schedule(timerStall, e.stallAfter(e.round), e.round)
		}
	}
	e.progress()
}

// rebroadcast sends again what this node signed in the current round, for
// peers that lost it or restarted.
func (e *Engine) rebroadcast() {
	if enc := e.ownProposals[e.round]; enc != nil {
		e.sendPOL(e.round)
		e.broadcast(enc)
	}
	// Our proof of lock, so the others can make our valid value theirs
	// (tryLateValid) and a proposer can re-propose it.
	if e.validRound >= 0 {
		vr := e.rounds[uint32(e.validRound)]
		for _, v := range vr.prevotes.for_(e.validHash) {
			if v != nil {
				enc, err := EncodeMessage(v)
				if err != nil {
					panic("bft: verified vote not encodable: " + err.Error())
				}
				e.broadcast(enc)
			}
		}
		if vr.proposal != nil && vr.hash == e.validHash {
			e.broadcast(vr.proposalEnc)
		}
	}
	for _, t := range []VoteType{Prevote, Precommit} {
		if enc := e.signed[signKey{e.round, t}]; enc != nil {
			e.broadcast(enc)
		}
	}
}
