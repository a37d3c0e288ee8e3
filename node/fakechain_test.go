package node

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// gwState is a gateway state in maps, for driving the real gateway code in
// unit tests of the node without an EVM.
type gwState struct {
	slots    map[common.Hash]common.Hash
	balances map[common.Address]*big.Int
	height   uint64
}

var (
	_ gateway.State  = (*gwState)(nil)
	_ gateway.Burner = (*gwState)(nil)
)

func newGWState() *gwState {
	return &gwState{slots: map[common.Hash]common.Hash{}, balances: map[common.Address]*big.Int{}}
}

func (s *gwState) copy() *gwState {
	c := &gwState{slots: maps.Clone(s.slots), balances: map[common.Address]*big.Int{}, height: s.height}
	for a, b := range s.balances {
		c.balances[a] = new(big.Int).Set(b)
	}
	return c
}

func (s *gwState) GetState(k common.Hash) common.Hash { return s.slots[k] }
func (s *gwState) SetState(k, v common.Hash) {
	if v == (common.Hash{}) {
		delete(s.slots, k)
		return
	}
	s.slots[k] = v
}
func (s *gwState) Balance(a common.Address) *big.Int {
	if b := s.balances[a]; b != nil {
		return new(big.Int).Set(b)
	}
	return new(big.Int)
}
func (s *gwState) Transfer(from, to common.Address, amount *big.Int) error {
	if s.Balance(from).Cmp(amount) < 0 {
		return errors.New("insufficient balance")
	}
	s.balances[from] = new(big.Int).Sub(s.Balance(from), amount)
	s.balances[to] = new(big.Int).Add(s.Balance(to), amount)
	return nil
}
func (s *gwState) Burn(amount *big.Int) error {
	return s.Transfer(gateway.Address, common.Address{}, amount)
}
func (s *gwState) AddLog([]common.Hash, []byte) {}
func (s *gwState) BlockNumber() uint64          { return s.height }

// fakeChain is a chainView over a list of blocks, each with the gateway
// state after it; the test moves it with commit.
type fakeChain struct {
	t       *testing.T
	id      types.SubnetID
	g       *gateway.Gateway
	st      *gwState // the state the next block commits
	headers []*types.Header
	states  []*gwState
	broken  bool // GatewayAt fails, as a store that cannot be read
	// tentative is how many blocks at the top are not final yet
	// (commitTentative): the chainView sees none of them.
	tentative int
	// rooted makes GatewayAt's states name their content (StorageRoot), as
	// execution/evm's do; reads counts the slots read through them.
	rooted bool
	reads  int
}

// rootedState is a gateway state with a storage root: a hash of its slots.
type rootedState struct {
	s     *gwState
	reads *int
}

func (r rootedState) GetState(k common.Hash) common.Hash { *r.reads++; return r.s.GetState(k) }
func (r rootedState) StorageRoot() common.Hash {
	keys := slices.SortedFunc(maps.Keys(r.s.slots), func(a, b common.Hash) int { return a.Cmp(b) })
	var buf []byte
	for _, k := range keys {
		v := r.s.slots[k]
		buf = append(append(buf, k[:]...), v[:]...)
	}
	return gethcrypto.Keccak256Hash(buf)
}

var _ chainView = (*fakeChain)(nil)

func newFakeChain(t *testing.T, id types.SubnetID) *fakeChain {
	g, err := gateway.New(id, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeChain{t: t, id: id, g: g, st: newGWState()}
	c.commit()
	return c
}

func (c *fakeChain) ID() types.SubnetID { return c.id }

// Head is the newest block, tentative or not: the test's handle, not the
// chainView's (other chains see Final).
func (c *fakeChain) Head() *types.Header  { return c.headers[len(c.headers)-1] }
func (c *fakeChain) Final() *types.Header { return c.headers[len(c.headers)-1-c.tentative] }
func (c *fakeChain) HeaderAt(h uint64) (*types.Header, error) {
	if h > c.Final().Height {
		return nil, fmt.Errorf("%w: %d", ErrNotFinal, h)
	}
	return c.headers[h], nil
}
func (c *fakeChain) GatewayAt(h uint64) (gateway.StateReader, error) {
	if c.broken {
		return nil, errors.New("test: store unreadable")
	}
	if h > c.Final().Height {
		return nil, fmt.Errorf("%w: %d", ErrNotFinal, h)
	}
	if c.rooted {
		return rootedState{c.states[h], &c.reads}, nil
	}
	return c.states[h], nil
}

// commitTentative makes a block carrying the current state that is not
// final, as an engine with probabilistic finality commits its head.
func (c *fakeChain) commitTentative() *types.Header {
	h := c.commit()
	c.tentative++
	return h
}

// commit makes a block carrying the current state.
func (c *fakeChain) commit() *types.Header {
	h := &types.Header{SubnetID: c.id, Height: uint64(len(c.headers)), TimeMs: 1_700_000_000_000 + uint64(len(c.headers))*1000,
		StateRoot: common.Hash{0x5a, byte(len(c.headers))}}
	if n := len(c.headers); n > 0 {
		h.ParentHash = c.headers[n-1].Hash()
	}
	c.headers = append(c.headers, h)
	c.states = append(c.states, c.st.copy())
	c.st.height = h.Height + 1
	return h
}

// commitTo makes blocks until the head is at height.
func (c *fakeChain) commitTo(height uint64) {
	for c.Head().Height < height {
		c.commit()
	}
}

// call runs one gateway call from `from` with value wei on the next block's
// state; it fails the test if the call reverts.
func (c *fakeChain) call(from common.Address, value int64, method string, args ...any) {
	c.t.Helper()
	input, err := c.g.ABI().Pack(method, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	v := big.NewInt(value)
	c.st.balances[from] = new(big.Int).Add(c.st.Balance(from), v)
	if err := c.st.Transfer(from, gateway.Address, v); err != nil {
		c.t.Fatal(err)
	}
	if ret, err := c.g.Run(c.st, gateway.Call{Caller: from, Value: v, Input: input}); err != nil {
		reason, _ := abi.UnpackRevert(ret)
		c.t.Fatalf("%s: %v (%s)", method, err, reason)
	}
}

var testCreator = common.Address{0xc0}

func testParams(minValidators, period uint32) gateway.ABIParams {
	return gateway.ABIParams{Engine: uint8(gateway.EngineBFT), MinValidators: minValidators, MinCollateral: big.NewInt(1),
		BlockTimeMs: 500, CheckpointPeriod: period, GasLimit: 30_000_000}
}

// createChild creates name on c with a checkpoint period and seats one
// validator per key (collateral 1 gwei each, owner 0xa0<seed>), so it is
// Active at config 1 on the next block.
func (c *fakeChain) createChild(name string, period uint32, keys ...*crypto.BLSSecretKey) types.SubnetID {
	c.t.Helper()
	id := c.id.Child(name)
	c.call(testCreator, 0, "createSubnet", name, testParams(uint32(len(keys)), period))
	for i, k := range keys {
		c.call(common.Address{0xa0, byte(i)}, 1e9, "join", string(id), k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	}
	return id
}

// callRaw runs input on the next block's state as `from` would with no
// value; a revert leaves the state as it was, as the EVM does.
func (c *fakeChain) callRaw(from common.Address, input []byte) error {
	snap := c.st.copy()
	ret, err := c.g.Run(c.st, gateway.Call{Caller: from, Input: input})
	if err != nil {
		c.st = snap
		reason, _ := abi.UnpackRevert(ret)
		return fmt.Errorf("%w (%s)", err, reason)
	}
	return nil
}
