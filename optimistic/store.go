package optimistic

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Store is one subnet's object manager over its State. It keeps nothing
// outside State, so a Store may be rebuilt on every call.
type Store struct {
	st    State
	cfg   Config
	rules rules
}

// rules lets tests switch single safety rules off, to show that the
// property tests catch each of them (mutation tests). All false in
// production: nothing outside the package can set them.
type rules struct {
	noUnion         bool // a merge's output keeps only its first input's dependencies
	noFreeze        bool // a merge destroys every input instead of freezing the smaller ones
	noRestore       bool // a false pending claim destroys a frozen object instead of restoring it
	noIdempotent    bool // a receipt creates an object every time it is submitted
	moveConditional bool // objects with dependencies may move
	noBudget        bool // Process ignores its budget
}

// New returns the store of cfg.Subnet over st.
func New(st State, cfg Config) *Store { return &Store{st: st, cfg: cfg} }

// Object returns the object id, frozen or live, as stored: its dependencies
// may still name claims decided but not yet processed.
func (s *Store) Object(id common.Hash) (*Object, bool) {
	o, err := s.readObject(id)
	return o, err == nil
}

// Received says whether the receipt created its object here already.
func (s *Store) Received(receipt common.Hash) bool { return getU64(s.st, usedSlot(receipt)) == 1 }

// Decided returns the verdict on c, if there is one.
func (s *Store) Decided(c Claim) (verdict, ok bool) {
	switch s.status(c) {
	case statusTrue:
		return true, true
	case statusFalse:
		return false, true
	}
	return false, false
}

// Mint creates an unconditional object: value that entered the store from
// outside it (a deposit of native coin or tokens into the contract).
func (s *Store) Mint(owner common.Address, kind Kind, token common.Address, amount *big.Int, data []byte) (common.Hash, []Event, error) {
	o := &Object{Kind: kind, Owner: owner, Token: token, Amount: amount, Data: data}
	if err := checkShape(o); err != nil {
		return common.Hash{}, nil, err
	}
	s.create(o, 0)
	return o.ID, []Event{created(o)}, nil
}

// Transfer gives a live object to another owner, in place.
func (s *Store) Transfer(caller common.Address, id common.Hash, to common.Address) ([]Event, error) {
	o, err := s.live(caller, id)
	if err != nil {
		return nil, err
	}
	if to != o.Owner {
		s.indexRemove(o.Owner, id)
		s.indexAdd(to, id)
	}
	o.Owner = to
	s.writeObject(o)
	return []Event{{Kind: EvTransferred, Object: id, Owner: to}}, nil
}

// Split turns a note into notes of the given amounts with its
// dependencies.
func (s *Store) Split(caller common.Address, id common.Hash, amounts []*big.Int, height uint64) ([]common.Hash, []Event, error) {
	o, err := s.live(caller, id)
	if err != nil {
		return nil, nil, err
	}
	if o.Kind == KindGeneric {
		return nil, nil, fmt.Errorf("%w: split of a generic object", ErrBadKind)
	}
	if len(amounts) < 2 || len(amounts) > MaxParts {
		return nil, nil, fmt.Errorf("%w: split into %d parts (2..%d)", ErrTooMany, len(amounts), MaxParts)
	}
	sum := new(big.Int)
	for _, a := range amounts {
		if a == nil || a.Sign() <= 0 {
			return nil, nil, ErrBadAmount
		}
		sum.Add(sum, a)
	}
	if sum.Cmp(o.Amount) != 0 {
		return nil, nil, fmt.Errorf("%w: parts sum to %s, note holds %s", ErrBadAmount, sum, o.Amount)
	}
	s.deleteObject(o)
	evs := []Event{{Kind: EvConsumed, Object: id, Owner: o.Owner, Amount: o.Amount}}
	ids := make([]common.Hash, len(amounts))
	for i, a := range amounts {
		out := &Object{Kind: o.Kind, Owner: o.Owner, Token: o.Token, Amount: new(big.Int).Set(a), Deps: o.Deps}
		s.create(out, height)
		ids[i] = out.ID
		evs = append(evs, created(out))
	}
	return ids, evs, nil
}

// Merge joins notes of one owner, kind and token into one whose
// dependencies are the union of theirs. An input depending on exactly that
// union is destroyed; any other is frozen until the claims it lacks
// resolve: it comes back if one is false (the merge then never happened in
// that branch) and is destroyed when all are true.
func (s *Store) Merge(caller common.Address, ids []common.Hash, height uint64) (common.Hash, []Event, error) {
	if len(ids) < 2 || len(ids) > MaxParts {
		return common.Hash{}, nil, fmt.Errorf("%w: merge of %d notes (2..%d)", ErrTooMany, len(ids), MaxParts)
	}
	ins := make([]*Object, len(ids))
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return common.Hash{}, nil, fmt.Errorf("%w: %x given twice", ErrMismatch, id)
		}
		o, err := s.live(caller, id)
		if err != nil {
			return common.Hash{}, nil, err
		}
		if o.Kind == KindGeneric {
			return common.Hash{}, nil, fmt.Errorf("%w: merge of a generic object", ErrBadKind)
		}
		if i > 0 && (o.Kind != ins[0].Kind || o.Token != ins[0].Token) {
			return common.Hash{}, nil, ErrMismatch
		}
		ins[i] = o
	}
	deps := ins[0].Deps
	sum := new(big.Int)
	for _, o := range ins {
		if !s.rules.noUnion {
			deps = union(deps, o.Deps)
		}
		sum.Add(sum, o.Amount)
	}
	if len(deps) > MaxDeps {
		return common.Hash{}, nil, fmt.Errorf("%w: the merge would depend on %d claims (at most %d)", ErrTooMany, len(deps), MaxDeps)
	}
	var evs []Event
	for _, o := range ins {
		extra := minus(deps, o.Deps)
		if len(extra) == 0 || s.rules.noFreeze {
			s.deleteObject(o)
			evs = append(evs, Event{Kind: EvConsumed, Object: o.ID, Owner: o.Owner, Amount: o.Amount})
			continue
		}
		o.Frozen, o.Pending = true, extra
		s.writeObject(o)
		for _, c := range extra {
			s.link(c, o.ID)
			evs = append(evs, Event{Kind: EvFrozen, Object: o.ID, Claim: c})
		}
	}
	out := &Object{Kind: ins[0].Kind, Owner: caller, Token: ins[0].Token, Amount: sum, Deps: deps}
	s.create(out, height)
	return out.ID, append(evs, created(out)), nil
}

// Withdraw takes an unconditional object out of the store to its owner
// (the contract pays the coin or tokens). Conditional value cannot leave.
func (s *Store) Withdraw(caller common.Address, id common.Hash) ([]Event, error) {
	o, err := s.live(caller, id)
	if err != nil {
		return nil, err
	}
	if len(o.Deps) > 0 {
		return nil, fmt.Errorf("%w: %d claims", ErrConditional, len(o.Deps))
	}
	s.deleteObject(o)
	return []Event{{Kind: EvWithdrawn, Object: id, Owner: o.Owner, Amount: o.Amount}}, nil
}

// live loads an object caller may spend, with its dependencies as they
// stand: claims decided true dropped; one decided false dooms it.
func (s *Store) live(caller common.Address, id common.Hash) (*Object, error) {
	o, err := s.readObject(id)
	if err != nil {
		return nil, err
	}
	if o.Frozen {
		return nil, ErrFrozen
	}
	if o.Owner != caller {
		return nil, ErrNotOwner
	}
	deps, err := s.effective(o.Deps)
	if err != nil {
		return nil, err
	}
	o.Deps = deps
	return o, nil
}

// effective drops the claims of deps decided true; ErrDoomed if one is false.
func (s *Store) effective(deps []Claim) ([]Claim, error) {
	var out []Claim
	for _, c := range deps {
		switch s.status(c) {
		case statusTrue:
		case statusFalse:
			return nil, fmt.Errorf("%w: claim %s@%d", ErrDoomed, c.Subnet, c.Height)
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// create gives o a fresh ID, stores it and links it to its claims.
func (s *Store) create(o *Object, height uint64) {
	n := getU64(s.st, metaSlot(mObjectNonce))
	setU64(s.st, metaSlot(mObjectNonce), n+1)
	o.ID = crypto.Keccak256Hash([]byte(tagObjectID), []byte(s.cfg.Subnet), u64Word(n).Bytes())
	if o.Amount == nil {
		o.Amount = new(big.Int)
	}
	s.writeObject(o)
	s.indexAdd(o.Owner, o.ID)
	for _, c := range o.Deps {
		s.register(c, height)
		s.link(c, o.ID)
	}
}

func checkShape(o *Object) error {
	if !o.Kind.valid() {
		return fmt.Errorf("%w: kind %d", ErrBadKind, o.Kind)
	}
	if len(o.Data) > MaxDataSize {
		return fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(o.Data), MaxDataSize)
	}
	if o.Kind == KindGeneric {
		if o.Amount != nil && o.Amount.Sign() != 0 {
			return fmt.Errorf("%w: a generic object carries no amount", ErrBadAmount)
		}
		return nil
	}
	if len(o.Data) > 0 {
		return fmt.Errorf("%w: a note carries no data", ErrBadKind)
	}
	if o.Kind == KindNative && o.Token != (common.Address{}) {
		return fmt.Errorf("%w: a native note names no token", ErrBadKind)
	}
	if o.Amount == nil || o.Amount.Sign() <= 0 || o.Amount.BitLen() > 256 {
		return fmt.Errorf("%w: a note holds 1 to 2^256-1", ErrBadAmount)
	}
	return nil
}

func created(o *Object) Event {
	return Event{Kind: EvCreated, Object: o.ID, Owner: o.Owner, Amount: o.Amount}
}
