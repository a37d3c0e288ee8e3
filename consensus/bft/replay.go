package bft

import (
	"errors"
	"fmt"
)

// replay restores what this node signed at the current height before a
// restart: its votes and proposals (never to be signed differently), the
// proposal it locked on, its round and step. It re-broadcasts its own
// entries, since peers may have missed them while it was down. Entries for
// later heights are kept until the engine gets there (restoreAhead): a
// validator whose data directory was wiped restarts at genesis with its
// WAL intact (the node keeps it beside its keys), syncs, and must not sign
// differently what it signed at those heights before.
func (e *Engine) replay(entries [][]byte) error {
	r := e.restore(entries, true)
	if r.lockRound >= 0 {
		e.lockedRound, e.lockedHash = r.lockRound, r.lockHash
		e.validRound, e.validHash = r.lockRound, r.lockHash
	}
	e.began = true
	e.startRound(r.round)
	e.step = r.st
	for _, enc := range r.own {
		e.broadcast(enc)
	}
	e.progress()
	if len(r.errs) > 0 {
		return fmt.Errorf("bft: replay: %w", errors.Join(r.errs...))
	}
	return nil
}

// maxAhead bounds the own entries kept for later heights (a few per round
// of the heights a node was at when it last stopped).
const maxAhead = 4096

// restored is what restore found of this node's own entries.
type restored struct {
	errs      []error
	round     uint32
	st        step
	lockRound int32
	lockHash  [32]byte
	own       [][]byte
}

// restore takes in this node's own entries for the current height (votes
// counted and remembered as signed, proposals stored) and, with keepAhead,
// keeps those of later heights for restoreAhead.
func (e *Engine) restore(entries [][]byte, keepAhead bool) restored {
	r := restored{lockRound: -1, lockHash: e.lockedHash}
	haveOwn := false
	advance := func(rr uint32, s step) {
		if !haveOwn || rr > r.round {
			r.round, r.st, haveOwn = rr, s, true
		} else if rr == r.round && s > r.st {
			r.st = s
		}
	}
	keep := func(h uint64, enc []byte) {
		if keepAhead && h > e.height && e.nAhead < maxAhead {
			if e.ahead == nil {
				e.ahead = map[uint64][][]byte{}
			}
			e.ahead[h] = append(e.ahead[h], enc)
			e.nAhead++
		}
	}
	for i, enc := range entries {
		m, err := DecodeMessage(enc)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("entry %d: %w", i, err))
			continue
		}
		switch m := m.(type) {
		case *Vote:
			if m.Height != e.height {
				keep(m.Height, enc)
				continue
			}
			if int(m.Validator) != e.self {
				r.errs = append(r.errs, fmt.Errorf("entry %d: %w: validator %d", i, ErrReplayForeignVote, m.Validator))
				continue
			}
			if e.signed[signKey{m.Round, m.Type}] != nil {
				continue
			}
			e.addVote(m, enc)
			r.own = append(r.own, enc)
			s := stepPrevote
			if m.Type == Precommit {
				s = stepPrecommit
				if m.BlockHash != ([32]byte{}) && int32(m.Round) > r.lockRound {
					r.lockRound, r.lockHash = int32(m.Round), m.BlockHash
				}
			}
			advance(m.Round, s)
		case *Proposal:
			if m.Height != e.height {
				keep(m.Height, enc)
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
				r.own = append(r.own, enc)
				advance(m.Round, stepPropose)
			}
		}
	}
	return r
}

// restoreAhead, on entering a height, takes in what an earlier run of this
// node signed there (kept by replay), so it signs nothing different, and
// forgets what was kept for heights now behind.
func (e *Engine) restoreAhead() {
	if len(e.ahead) == 0 {
		return
	}
	entries := e.ahead[e.height]
	for h, list := range e.ahead {
		if h <= e.height {
			e.nAhead -= len(list)
			delete(e.ahead, h)
		}
	}
	if len(entries) == 0 {
		return
	}
	r := e.restore(entries, false)
	if r.lockRound >= 0 {
		e.lockedRound, e.lockedHash = r.lockRound, r.lockHash
		e.validRound, e.validHash = r.lockRound, r.lockHash
	}
	for _, enc := range r.own {
		e.broadcast(enc) // peers may still need what it signed then
	}
}
