package optimistic

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// ErrConflict: the truth at a height was learned already, with another hash.
var ErrConflict = errors.New("optimistic: a different block hash was learned for this height already")

// Learn records that the final block of subnet at height has hash (learned
// through the checkpoint path, which the caller has checked): every claim
// at that height is decided, true for hash and false for any other, and so
// is every claim made there later. Learning the same twice is a no-op.
func (s *Store) Learn(subnet types.SubnetID, height uint64, hash common.Hash) ([]Event, error) {
	l := learnedSlot(string(subnet), height)
	if getU64(s.st, l) == 1 {
		if s.st.GetState(plus(l, 1)) != hash {
			return nil, fmt.Errorf("%w: %s@%d", ErrConflict, subnet, height)
		}
		return nil, nil
	}
	setU64(s.st, l, 1)
	s.st.SetState(plus(l, 1), hash)
	at := atHeightSlot(string(subnet), height)
	var evs []Event
	for i, n := uint64(0), getU64(s.st, at); i < n; i++ {
		key := s.st.GetState(plus(at, 1+i))
		c := s.readClaim(key)
		evs = append(evs, s.decide(c, c.Hash == hash, EvClaimDecided)...)
	}
	return evs, nil
}

// Resolve decides one claim. The first verdict stands; later ones, and
// verdicts on claims nothing here depends on, do nothing.
func (s *Store) Resolve(c Claim, verdict bool) []Event {
	if !s.registered(c.Key()) {
		return nil
	}
	return s.decide(c, verdict, EvClaimDecided)
}

// decide records the verdict on a registered claim and queues its
// application to the claim's dependents.
func (s *Store) decide(c Claim, verdict bool, kind EventKind) []Event {
	key := c.Key()
	if claimStatus(getU64(s.st, claimSlot(key, cStatus))) != statusOpen {
		return nil
	}
	st := statusFalse
	if verdict {
		st = statusTrue
	}
	setU64(s.st, claimSlot(key, cStatus), uint64(st))
	tail := getU64(s.st, metaSlot(mWorkTail)) + 1
	s.st.SetState(workSlot(tail), key)
	setU64(s.st, metaSlot(mWorkTail), tail)
	return []Event{{Kind: kind, Claim: c, Verdict: verdict}}
}

// Backlog is the number of claims whose verdict is still to reach their
// dependents.
func (s *Store) Backlog() uint64 {
	return getU64(s.st, metaSlot(mWorkTail)) - getU64(s.st, metaSlot(mWorkHead))
}

// Process is the store's system work in the block at height: it expires
// undecided claims whose deadline has come, then applies verdicts to
// dependents, oldest verdict first, at most budget steps in all (a step is
// one claim looked at for expiry, one dependent entry, or the end of a
// claim's list). It returns the events and the steps used. Work left over
// continues in the next block, where it left off, so every verdict reaches
// every dependent once the blocks give it budget enough.
func (s *Store) Process(height uint64, budget int) ([]Event, int) {
	if s.rules.noBudget {
		budget = int(^uint(0) >> 1)
	}
	var evs []Event
	used := 0
	for used < budget {
		head := getU64(s.st, metaSlot(mExpiryHead))
		if head == getU64(s.st, metaSlot(mExpiryTail)) {
			break
		}
		key := s.st.GetState(expirySlot(head + 1))
		open := claimStatus(getU64(s.st, claimSlot(key, cStatus))) == statusOpen
		if open && getU64(s.st, claimSlot(key, cDeadline)) > height {
			break // deadlines are in queue order: none later is due either
		}
		used++
		setU64(s.st, metaSlot(mExpiryHead), head+1)
		if open {
			evs = append(evs, s.decide(s.readClaim(key), false, EvClaimExpired)...)
		}
	}
	for used < budget {
		head := getU64(s.st, metaSlot(mWorkHead))
		if head == getU64(s.st, metaSlot(mWorkTail)) {
			break
		}
		used++
		key := s.st.GetState(workSlot(head + 1))
		cur := getU64(s.st, metaSlot(mWorkCursor))
		if cur == getU64(s.st, claimSlot(key, cDeps)) {
			setU64(s.st, metaSlot(mWorkHead), head+1)
			setU64(s.st, metaSlot(mWorkCursor), 0)
			continue
		}
		setU64(s.st, metaSlot(mWorkCursor), cur+1)
		c := s.readClaim(key)
		verdict := claimStatus(getU64(s.st, claimSlot(key, cStatus))) == statusTrue
		evs = append(evs, s.apply(s.st.GetState(claimDepSlot(key, cur)), c, verdict)...)
	}
	return evs, used
}

// apply brings the verdict on c to one dependent entry, which may be stale
// (the object gone, or c no longer among its claims).
func (s *Store) apply(id common.Hash, c Claim, verdict bool) []Event {
	o, err := s.readObject(id)
	if err != nil {
		return nil
	}
	if i := slices.Index(o.Deps, c); i >= 0 {
		if !verdict {
			s.deleteObject(o)
			return []Event{{Kind: EvDeleted, Object: id, Claim: c, Owner: o.Owner, Amount: o.Amount}}
		}
		o.Deps = slices.Delete(o.Deps, i, i+1)
		s.writeObject(o)
		return []Event{{Kind: EvSettled, Object: id, Claim: c, Unconditional: len(o.Deps) == 0 && !o.Frozen}}
	}
	i := slices.Index(o.Pending, c)
	if !o.Frozen || i < 0 {
		return nil
	}
	if !verdict {
		if s.rules.noRestore {
			s.deleteObject(o)
			return []Event{{Kind: EvFrozenDestroyed, Object: id, Claim: c}}
		}
		o.Frozen, o.Pending = false, nil
		s.writeObject(o)
		return []Event{{Kind: EvRestored, Object: id, Claim: c, Owner: o.Owner, Amount: o.Amount}}
	}
	o.Pending = slices.Delete(o.Pending, i, i+1)
	if len(o.Pending) > 0 {
		s.writeObject(o)
		return nil
	}
	s.deleteObject(o)
	return []Event{{Kind: EvFrozenDestroyed, Object: id, Claim: c, Owner: o.Owner, Amount: o.Amount}}
}
