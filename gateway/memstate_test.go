package gateway

import (
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// memState is a State in maps, for tests of the logic without an EVM (the
// EVM-backed State is tested in execution/evm).
type memState struct {
	slots    map[common.Hash]common.Hash
	balances map[common.Address]*big.Int
	logs     [][]common.Hash
	height   uint64
	timeSec  uint64 // the block's time (Clock)
}

var _ State = (*memState)(nil)

func newMemState() *memState {
	return &memState{slots: map[common.Hash]common.Hash{}, balances: map[common.Address]*big.Int{}, height: 1}
}

func (m *memState) GetState(s common.Hash) common.Hash { return m.slots[s] }

func (m *memState) SetState(s, v common.Hash) {
	if v == (common.Hash{}) {
		delete(m.slots, s)
		return
	}
	m.slots[s] = v
}

func (m *memState) Balance(a common.Address) *big.Int {
	if b := m.balances[a]; b != nil {
		return new(big.Int).Set(b)
	}
	return new(big.Int)
}

func (m *memState) Transfer(from, to common.Address, amount *big.Int) error {
	if m.Balance(from).Cmp(amount) < 0 {
		return errors.New("insufficient balance")
	}
	m.balances[from] = new(big.Int).Sub(m.Balance(from), amount)
	m.balances[to] = new(big.Int).Add(m.Balance(to), amount)
	return nil
}

func (m *memState) AddLog(topics []common.Hash, data []byte) { m.logs = append(m.logs, topics) }

func (m *memState) BlockNumber() uint64 { return m.height }

func (m *memState) BlockTime() uint64 { return m.timeSec }

// BlockHash serves the 256 blocks before the current one, as BLOCKHASH:
// a hash of the height, so each block's differs.
func (m *memState) BlockHash(n uint64) common.Hash {
	if n >= m.height || n+256 < m.height {
		return common.Hash{}
	}
	return crypto.Keccak256Hash([]byte("block"), new(big.Int).SetUint64(n).Bytes())
}
