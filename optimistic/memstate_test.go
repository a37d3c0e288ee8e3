package optimistic

import (
	"maps"

	"github.com/ethereum/go-ethereum/common"
)

// memState is a State in a map, for tests of the logic without an EVM.
type memState struct{ slots map[common.Hash]common.Hash }

var _ State = (*memState)(nil)

func newMemState() *memState { return &memState{slots: map[common.Hash]common.Hash{}} }

func (m *memState) GetState(s common.Hash) common.Hash { return m.slots[s] }

func (m *memState) SetState(s, v common.Hash) {
	if v == (common.Hash{}) {
		delete(m.slots, s)
		return
	}
	m.slots[s] = v
}

func (m *memState) clone() *memState { return &memState{slots: maps.Clone(m.slots)} }
