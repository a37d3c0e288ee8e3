package htlc

import (
	"errors"
	"maps"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// memState is a State in maps, for tests of the logic without an EVM (the
// EVM-backed State is tested in execution/evm). Tokens are Go values at
// addresses; exec runs a call and, like the EVM, undoes a reverted one.
type memState struct {
	slots    map[common.Hash]common.Hash
	balances map[common.Address]*big.Int
	tokens   map[common.Address]*memToken
	logs     []memLog
	timeSec  uint64
}

type memLog struct {
	topics []common.Hash
	data   []byte
}

var _ State = (*memState)(nil)

func newMemState() *memState {
	return &memState{slots: map[common.Hash]common.Hash{}, balances: map[common.Address]*big.Int{},
		tokens: map[common.Address]*memToken{}, timeSec: 1_700_000_000}
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

func (m *memState) AddLog(topics []common.Hash, data []byte) {
	m.logs = append(m.logs, memLog{topics, data})
}

func (m *memState) BlockTime() uint64 { return m.timeSec }

func (m *memState) CodeSize(a common.Address) int {
	if m.tokens[a] != nil {
		return 1
	}
	return 0
}

func (m *memState) CallContract(to common.Address, data []byte, _ uint64, readOnly bool) ([]byte, error) {
	tok := m.tokens[to]
	if tok == nil {
		return nil, nil // an account without code: success, nothing returned
	}
	return tok.call(m, Address, data, readOnly)
}

// snapshot and restore stand in for the EVM's journal.
type memSnapshot struct {
	slots    map[common.Hash]common.Hash
	balances map[common.Address]*big.Int
	tokens   map[common.Address]map[common.Address]*big.Int
	allows   map[common.Address]map[[2]common.Address]*big.Int
	logs     int
}

func (m *memState) snapshot() memSnapshot {
	s := memSnapshot{slots: maps.Clone(m.slots), balances: map[common.Address]*big.Int{}, tokens: map[common.Address]map[common.Address]*big.Int{}, allows: map[common.Address]map[[2]common.Address]*big.Int{}, logs: len(m.logs)}
	for a, b := range m.balances {
		s.balances[a] = new(big.Int).Set(b)
	}
	for a, t := range m.tokens {
		s.tokens[a] = map[common.Address]*big.Int{}
		for o, b := range t.balances {
			s.tokens[a][o] = new(big.Int).Set(b)
		}
		s.allows[a] = maps.Clone(t.allowances)
	}
	return s
}

func (m *memState) restore(s memSnapshot) {
	m.slots, m.balances, m.logs = s.slots, s.balances, m.logs[:s.logs]
	for a, t := range m.tokens {
		t.balances, t.allowances = s.tokens[a], s.allows[a]
	}
}

// exec runs c on h as a transaction would: value moves to the contract
// first, and a revert undoes everything.
func (m *memState) exec(h *Contract, c Call) ([]byte, error) {
	snap := m.snapshot()
	if c.Value != nil && c.Value.Sign() > 0 {
		if err := m.Transfer(c.Caller, Address, c.Value); err != nil {
			return nil, err
		}
	}
	ret, err := h.Run(m, c)
	if err != nil {
		m.restore(snap)
	}
	return ret, err
}

// memToken is an ERC-20 in Go with the misbehaviours the contract must
// survive.
type memToken struct {
	balances   map[common.Address]*big.Int
	allowances map[[2]common.Address]*big.Int
	fee        int64           // burnt from every transfer (fee-on-transfer)
	sayNo      bool            // transfers return false and do nothing
	onTransfer func() error    // runs inside transfer (a token calling back)
	calls      map[string]bool // selectors seen, by name
}

func newMemToken() *memToken {
	return &memToken{balances: map[common.Address]*big.Int{}, allowances: map[[2]common.Address]*big.Int{}, calls: map[string]bool{}}
}

func (t *memToken) bal(a common.Address) *big.Int {
	if b := t.balances[a]; b != nil {
		return b
	}
	return new(big.Int)
}

func (t *memToken) move(from, to common.Address, amt *big.Int) bool {
	if t.bal(from).Cmp(amt) < 0 {
		return false
	}
	t.balances[from] = new(big.Int).Sub(t.bal(from), amt)
	got := new(big.Int).Sub(amt, big.NewInt(t.fee))
	t.balances[to] = new(big.Int).Add(t.bal(to), got)
	return true
}

var errTokenRevert = errors.New("token reverted")

func (t *memToken) call(m *memState, caller common.Address, data []byte, readOnly bool) ([]byte, error) {
	word := func(i int) []byte { return data[4+32*i : 4+32*(i+1)] }
	yes := common.BigToHash(big.NewInt(1)).Bytes()
	no := make([]byte, 32)
	switch string(data[:4]) {
	case string(selBalanceOf):
		t.calls["balanceOf"] = true
		return common.BigToHash(t.bal(common.BytesToAddress(word(0)))).Bytes(), nil
	case string(selTransfer):
		t.calls["transfer"] = true
		if readOnly {
			return nil, errTokenRevert
		}
		if t.onTransfer != nil {
			if err := t.onTransfer(); err != nil {
				return nil, err
			}
		}
		if t.sayNo {
			return no, nil
		}
		if !t.move(caller, common.BytesToAddress(word(0)), new(big.Int).SetBytes(word(1))) {
			return nil, errTokenRevert
		}
		return yes, nil
	case string(selTransferFrom):
		t.calls["transferFrom"] = true
		if readOnly {
			return nil, errTokenRevert
		}
		if t.sayNo {
			return no, nil
		}
		from, to, amt := common.BytesToAddress(word(0)), common.BytesToAddress(word(1)), new(big.Int).SetBytes(word(2))
		key := [2]common.Address{from, caller}
		allowed := t.allowances[key]
		if allowed == nil || allowed.Cmp(amt) < 0 {
			return nil, errors.New("insufficient allowance")
		}
		if !t.move(from, to, amt) {
			return nil, errTokenRevert
		}
		t.allowances[key] = new(big.Int).Sub(allowed, amt)
		return yes, nil
	}
	return nil, errTokenRevert
}
