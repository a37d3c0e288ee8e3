package optimistic

import "github.com/ethereum/go-ethereum/common"

// State is the key-value storage the store lives in: the storage of the
// system contract's account once it is wired, a map in tests. A zero word
// is an empty slot.
type State interface {
	GetState(slot common.Hash) common.Hash
	SetState(slot, value common.Hash)
}
