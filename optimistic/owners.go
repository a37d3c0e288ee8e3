package optimistic

import "github.com/ethereum/go-ethereum/common"

// The owner index (schema.go): every stored object listed under its owner,
// so a wallet or the RPC can find an owner's objects without scanning logs.

// MaxOwnerPage bounds the IDs one ObjectsOf call returns.
const MaxOwnerPage = 1024

// OwnerCount is the number of objects, frozen ones included, that owner holds.
func (s *Store) OwnerCount(owner common.Address) uint64 { return getU64(s.st, ownerSlot(owner)) }

// ObjectsOf returns up to limit (at most MaxOwnerPage) IDs of owner's
// objects from index start on, and the owner's object count. The order is
// the index's, which a removal changes (it moves the last entry into the
// gap), so page through one state only.
func (s *Store) ObjectsOf(owner common.Address, start, limit uint64) ([]common.Hash, uint64) {
	base := ownerSlot(owner)
	n := getU64(s.st, base)
	limit = min(limit, MaxOwnerPage)
	if start >= n {
		return nil, n
	}
	end := start + min(limit, n-start)
	ids := make([]common.Hash, 0, end-start)
	for i := start; i < end; i++ {
		ids = append(ids, s.st.GetState(plus(base, 1+i)))
	}
	return ids, n
}

// indexAdd lists id under owner.
func (s *Store) indexAdd(owner common.Address, id common.Hash) {
	base := ownerSlot(owner)
	n := getU64(s.st, base)
	s.st.SetState(plus(base, 1+n), id)
	setU64(s.st, base, n+1)
	setU64(s.st, ownerPosSlot(id), n+1)
}

// indexRemove takes id off owner's list, moving the last entry into its place.
func (s *Store) indexRemove(owner common.Address, id common.Hash) {
	base := ownerSlot(owner)
	n := getU64(s.st, base)
	pos := getU64(s.st, ownerPosSlot(id))
	if pos == 0 || pos > n {
		// Only this package writes the index: a missing entry is a broken invariant.
		panic("optimistic: object " + id.Hex() + " is not in its owner's index")
	}
	if pos != n {
		last := s.st.GetState(plus(base, n))
		s.st.SetState(plus(base, pos), last)
		setU64(s.st, ownerPosSlot(last), pos)
	}
	s.st.SetState(plus(base, n), common.Hash{})
	setU64(s.st, base, n-1)
	setU64(s.st, ownerPosSlot(id), 0)
}
