package optimistic

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// EventKind names what happened; the system contract will emit one log per
// Event.
type EventKind uint8

const (
	EvCreated         EventKind = iota + 1 // Object created (Mint, split or merge output, receive)
	EvConsumed                             // Object destroyed as the input of a split, merge, move or withdrawal
	EvTransferred                          // Object now owned by Owner
	EvFrozen                               // Object frozen by a merge until Claim... resolve (one event per input)
	EvMoved                                // Receipt left for its destination
	EvReceived                             // Receipt created Object here
	EvReceiptVoid                          // Receipt named a claim already known false: nothing created
	EvWithdrawn                            // Object's value left the store to Owner
	EvClaimDecided                         // Claim decided (Verdict)
	EvClaimExpired                         // Claim reached its deadline undecided: false
	EvSettled                              // Claim removed from Object's dependencies; Unconditional says none remain
	EvDeleted                              // Object deleted: it depended on Claim, which is false
	EvRestored                             // frozen Object live again: Claim, one of its pending claims, is false
	EvFrozenDestroyed                      // frozen Object destroyed: every pending claim is true
)

// Event is one thing the store did. Fields not meaningful for a kind are zero.
type Event struct {
	Kind          EventKind
	Object        common.Hash
	Receipt       common.Hash
	Claim         Claim
	Owner         common.Address
	Amount        *big.Int
	Verdict       bool
	Unconditional bool
}
