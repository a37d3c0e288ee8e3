package bft

import (
	"errors"
	"fmt"
)

// replay restores what this node signed at the current height before a
// restart: its votes and proposals (never to be signed differently), the
// proposal it locked on, its round and step. It re-broadcasts its own
// entries, since peers may have missed them while it was down.
func (e *Engine) replay(entries [][]byte) error {
	var (
		errs      []error
		round     uint32
		st        step
		haveOwn   bool
		lockRound = int32(-1)
		lockHash  = e.lockedHash
		own       [][]byte
	)
	advance := func(r uint32, s step) {
		if !haveOwn || r > round {
			round, st, haveOwn = r, s, true
		} else if r == round && s > st {
			st = s
		}
	}
	for i, enc := range entries {
		m, err := DecodeMessage(enc)
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i, err))
			continue
		}
		switch m := m.(type) {
		case *Vote:
			if m.Height != e.height {
				continue
			}
			if int(m.Validator) != e.self {
				errs = append(errs, fmt.Errorf("entry %d: %w: validator %d", i, ErrReplayForeignVote, m.Validator))
				continue
			}
			if e.signed[signKey{m.Round, m.Type}] != nil {
				continue
			}
			e.addVote(m, enc)
			own = append(own, enc)
			s := stepPrevote
			if m.Type == Precommit {
				s = stepPrecommit
				if m.BlockHash != ([32]byte{}) && int32(m.Round) > lockRound {
					lockRound, lockHash = int32(m.Round), m.BlockHash
				}
			}
			advance(m.Round, s)
		case *Proposal:
			if m.Height != e.height {
				continue
			}
			hash := m.Block.Hash()
			if e.blocks[hash] == nil {
				// We proposed it or locked on it, so we found it valid.
				e.blocks[hash] = &blockInfo{block: m.Block, verdict: verdictValid}
			}
			if ri := e.roundInfo(m.Round); ri.proposal == nil {
				e.storeProposal(m, enc, hash)
			}
			if int(m.Validator) == e.self && e.ownProposals[m.Round] == nil {
				e.ownProposals[m.Round] = enc
				own = append(own, enc)
				advance(m.Round, stepPropose)
			}
		}
	}
	if lockRound >= 0 {
		e.lockedRound, e.lockedHash = lockRound, lockHash
		e.validRound, e.validHash = lockRound, lockHash
	}
	e.began = true
	e.startRound(round)
	e.step = st
	for _, enc := range own {
		e.broadcast(enc)
	}
	e.progress()
	if len(errs) > 0 {
		return fmt.Errorf("bft: replay: %w", errors.Join(errs...))
	}
	return nil
}
