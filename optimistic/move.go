package optimistic

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// maxSubnetLen bounds a subnet ID in a receipt: ten levels of 32-byte names.
const maxSubnetLen = 10 * 33

// Move sends a live, unconditional object to dst for newOwner: it is
// destroyed here and the returned Receipt (numbered by this store's move
// counter, at the given block height) is what the destination accepts.
// An object with unresolved dependencies cannot move: conditional value
// leaves no subnet before its claims are settled.
func (s *Store) Move(caller common.Address, id common.Hash, dst types.SubnetID, newOwner common.Address, height uint64) (Receipt, []Event, error) {
	if dst == "" || dst == s.cfg.Subnet || len(dst) > maxSubnetLen {
		return Receipt{}, nil, fmt.Errorf("%w: %q", ErrBadDest, dst)
	}
	o, err := s.live(caller, id)
	if err != nil {
		return Receipt{}, nil, err
	}
	if len(o.Deps) > 0 && !s.rules.moveConditional {
		return Receipt{}, nil, fmt.Errorf("%w: %d claims", ErrConditional, len(o.Deps))
	}
	n := getU64(s.st, metaSlot(mMoveNonce)) + 1
	setU64(s.st, metaSlot(mMoveNonce), n)
	r := Receipt{ID: ReceiptID(s.cfg.Subnet, n), Src: s.cfg.Subnet, Dst: dst, Nonce: n, Height: height,
		Kind: o.Kind, Owner: newOwner, Token: o.Token, Amount: o.Amount, Data: o.Data, Deps: o.Deps}
	s.deleteObject(o)
	return r, []Event{
		{Kind: EvConsumed, Object: id, Owner: o.Owner, Amount: o.Amount},
		{Kind: EvMoved, Object: id, Receipt: r.ID, Owner: newOwner, Amount: o.Amount},
	}, nil
}

// Receive creates, at this store's height, the object of a receipt whose
// source block (r.Src, r.Height) the caller has shown to have hash
// blockHash. The object depends on the receipt's dependencies and on that
// claim. A receipt creates at most one object: a second submission
// succeeds and does nothing (a racing relayer loses nothing).
func (s *Store) Receive(r Receipt, blockHash common.Hash, height uint64) ([]Event, error) {
	if err := s.checkReceipt(r); err != nil {
		return nil, err
	}
	if s.Received(r.ID) && !s.rules.noIdempotent {
		return nil, nil
	}
	setU64(s.st, usedSlot(r.ID), 1)
	deps := union(r.Deps, []Claim{{Subnet: r.Src, Height: r.Height, Hash: blockHash}})
	var live []Claim
	for _, c := range deps {
		switch s.register(c, height) {
		case statusFalse:
			return []Event{{Kind: EvReceiptVoid, Receipt: r.ID, Claim: c}}, nil
		case statusOpen:
			live = append(live, c)
		}
	}
	amount := new(big.Int)
	if r.Amount != nil {
		amount.Set(r.Amount)
	}
	o := &Object{Kind: r.Kind, Owner: r.Owner, Token: r.Token, Amount: amount, Data: r.Data, Deps: live}
	s.create(o, height)
	return []Event{created(o), {Kind: EvReceived, Object: o.ID, Receipt: r.ID, Owner: o.Owner, Amount: o.Amount}}, nil
}

func (s *Store) checkReceipt(r Receipt) error {
	if r.Dst != s.cfg.Subnet {
		return fmt.Errorf("%w: for %q, this is %q", ErrNotForUs, r.Dst, s.cfg.Subnet)
	}
	if r.Src == "" || r.Src == s.cfg.Subnet || len(r.Src) > maxSubnetLen {
		return fmt.Errorf("%w: source %q", ErrBadReceipt, r.Src)
	}
	if r.ID != ReceiptID(r.Src, r.Nonce) {
		return fmt.Errorf("%w: ID is not ReceiptID(src, nonce)", ErrBadReceipt)
	}
	if len(r.Deps) > MaxDeps-1 {
		return fmt.Errorf("%w: %d dependencies", ErrTooMany, len(r.Deps))
	}
	for i, c := range r.Deps {
		if len(c.Subnet) > maxSubnetLen || (i > 0 && compareClaims(r.Deps[i-1], c) >= 0) {
			return fmt.Errorf("%w: dependencies not canonical", ErrBadReceipt)
		}
	}
	if err := checkShape(&Object{Kind: r.Kind, Token: r.Token, Amount: r.Amount, Data: r.Data}); err != nil {
		return fmt.Errorf("%w: %w", ErrBadReceipt, err)
	}
	return nil
}
