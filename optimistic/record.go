package optimistic

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// objectRecord is an Object as stored (its ID is the slot's key).
type objectRecord struct {
	Kind    Kind
	Owner   common.Address
	Token   common.Address
	Amount  *big.Int
	Data    []byte
	Deps    []Claim
	Frozen  bool
	Pending []Claim
}

func (s *Store) readObject(id common.Hash) (*Object, error) {
	b := readBlob(s.st, objectSlot(id))
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: %x", ErrNoObject, id)
	}
	var r objectRecord
	if err := rlp.DecodeBytes(b, &r); err != nil {
		// Only this package writes the slot: a broken record is a broken invariant.
		panic(fmt.Sprintf("optimistic: corrupt object %x: %v", id, err))
	}
	return &Object{ID: id, Kind: r.Kind, Owner: r.Owner, Token: r.Token, Amount: r.Amount, Data: r.Data,
		Deps: r.Deps, Frozen: r.Frozen, Pending: r.Pending}, nil
}

func (s *Store) writeObject(o *Object) {
	amt := o.Amount
	if amt == nil {
		amt = new(big.Int)
	}
	b, err := rlp.EncodeToBytes(objectRecord{Kind: o.Kind, Owner: o.Owner, Token: o.Token, Amount: amt,
		Data: o.Data, Deps: o.Deps, Frozen: o.Frozen, Pending: o.Pending})
	if err != nil {
		panic(fmt.Sprintf("optimistic: encode object: %v", err))
	}
	writeBlob(s.st, objectSlot(o.ID), b)
}

// deleteObject removes o and its owner-index entry.
func (s *Store) deleteObject(o *Object) {
	writeBlob(s.st, objectSlot(o.ID), nil)
	s.indexRemove(o.Owner, o.ID)
}

func (s *Store) readClaim(key common.Hash) Claim {
	var c Claim
	if err := rlp.DecodeBytes(readBlob(s.st, claimBodySlot(key)), &c); err != nil {
		panic(fmt.Sprintf("optimistic: corrupt claim %x: %v", key, err))
	}
	return c
}

func (s *Store) status(c Claim) claimStatus {
	return claimStatus(getU64(s.st, claimSlot(c.Key(), cStatus)))
}

// registered says whether some object ever depended on c here.
func (s *Store) registered(key common.Hash) bool {
	return len(readBlob(s.st, claimBodySlot(key))) > 0
}

// register records c the first time an object depends on it: its body, its
// place among the claims of its height, its deadline. A claim at a height
// whose truth is known already is decided at once.
func (s *Store) register(c Claim, height uint64) claimStatus {
	key := c.Key()
	if s.registered(key) {
		return claimStatus(getU64(s.st, claimSlot(key, cStatus)))
	}
	body, _ := rlp.EncodeToBytes(c)
	writeBlob(s.st, claimBodySlot(key), body)
	at := atHeightSlot(string(c.Subnet), c.Height)
	n := getU64(s.st, at)
	s.st.SetState(plus(at, 1+n), key)
	setU64(s.st, at, n+1)
	st := statusOpen
	if l := learnedSlot(string(c.Subnet), c.Height); getU64(s.st, l) == 1 {
		st = statusFalse
		if s.st.GetState(plus(l, 1)) == c.Hash {
			st = statusTrue
		}
		setU64(s.st, claimSlot(key, cStatus), uint64(st))
		return st
	}
	setU64(s.st, claimSlot(key, cDeadline), height+s.cfg.Deadline)
	tail := getU64(s.st, metaSlot(mExpiryTail)) + 1
	s.st.SetState(expirySlot(tail), key)
	setU64(s.st, metaSlot(mExpiryTail), tail)
	return st
}

// link lists id among the dependents of c, so a verdict on c reaches it.
func (s *Store) link(c Claim, id common.Hash) {
	key := c.Key()
	n := getU64(s.st, claimSlot(key, cDeps))
	s.st.SetState(claimDepSlot(key, n), id)
	setU64(s.st, claimSlot(key, cDeps), n+1)
}
