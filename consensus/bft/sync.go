package bft

import (
	"github.com/ethereum/go-ethereum/common"
)

// Bounds on what is kept for heights above the current one.
const (
	maxFutureHeights = 8   // heights above height+1 tallied for SyncTo
	maxServed        = 256 // peers remembered for catch-up rate limiting
)

// buffered is a verified message for height+1, applied when that height starts.
type buffered struct {
	msg any
	enc []byte
}

type precommitKey struct {
	round uint32
	block common.Hash
}

type roundValidator struct {
	round     uint32
	validator uint32
}

// tally counts distinct validators seen at one height.
type tally struct {
	senders map[uint32]bool
	power   uint64
}

func (t *tally) add(validator uint32, power uint64) {
	if !t.senders[validator] {
		t.senders[validator] = true
		t.power += power
	}
}

// syncState is what the engine keeps about heights above the one it decides,
// to use them when it gets there or to ask for block sync when the network
// is ahead, and what it serves to peers one height behind.
type syncState struct {
	nextHeight uint64
	next       []buffered
	nextLimit  int
	nextSeen   tally
	nextCommit map[precommitKey]uint64
	nextVoted  map[roundValidator]bool

	future    map[uint64]*tally
	requested uint64 // highest SyncTo emitted

	last      [][]byte          // proposal and precommits of the last decided height
	decidedAt uint64            // tick the last height was decided
	served    map[string]uint64 // peer -> tick it was last sent last
}

// enter moves the window to height h and returns what was buffered for h.
func (s *syncState) enter(h uint64) []buffered {
	var out []buffered
	if s.nextHeight == h {
		out = s.next
	}
	s.nextHeight = h + 1
	s.next = nil
	s.nextSeen = tally{senders: map[uint32]bool{}}
	s.nextCommit = map[precommitKey]uint64{}
	s.nextVoted = map[roundValidator]bool{}
	if s.future == nil {
		s.future = map[uint64]*tally{}
	}
	for fh := range s.future {
		if fh <= h+1 {
			delete(s.future, fh)
		}
	}
	return out
}

// remember keeps what a peer needs to decide the height just decided.
func (s *syncState) remember(msgs [][]byte, now uint64) {
	s.last, s.decidedAt = msgs, now
	s.served = map[string]uint64{}
}

// futureTally returns the tally for height h, making room for it by
// dropping the lowest tallied height, or nil when h is lower than all kept.
func (s *syncState) futureTally(h uint64) *tally {
	if t := s.future[h]; t != nil {
		return t
	}
	if len(s.future) >= maxFutureHeights {
		lowest := h
		for fh := range s.future {
			lowest = min(lowest, fh)
		}
		if lowest == h {
			return nil
		}
		delete(s.future, lowest)
	}
	t := &tally{senders: map[uint32]bool{}}
	s.future[h] = t
	return t
}
