package mempool

import (
	"crypto/ecdsa"
	"math/big"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/internal/testkeys"
)

var (
	testChainID = big.NewInt(4242)
	testBaseFee = big.NewInt(100)
	recipient   = common.HexToAddress("0x00000000000000000000000000000000000000aa")
)

const testGasLimit = 30_000_000

// memState is an in-memory State: the real one reads a committed StateDB,
// which the mempool may not import.
type memState struct {
	mu       sync.Mutex
	nonces   map[common.Address]uint64
	balances map[common.Address]*big.Int
}

func newMemState() *memState {
	return &memState{nonces: map[common.Address]uint64{}, balances: map[common.Address]*big.Int{}}
}

func (s *memState) Nonce(a common.Address) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nonces[a]
}

func (s *memState) Balance(a common.Address) *big.Int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.balances[a]; b != nil {
		return new(big.Int).Set(b)
	}
	return new(big.Int)
}

func (s *memState) set(a common.Address, nonce uint64, balance *big.Int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonces[a] = nonce
	s.balances[a] = new(big.Int).Set(balance)
}

func testKey(i int) *ecdsa.PrivateKey { return testkeys.Account(i) }

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// rich is a balance no test transaction exhausts.
var rich = new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1e6))

// newTestPool returns a pool at a head with testBaseFee and testGasLimit, with
// keys 0..funded-1 holding rich balances.
func newTestPool(t testing.TB, cfg Config, funded int) (*Pool, *memState) {
	t.Helper()
	st := newMemState()
	for i := range funded {
		st.set(addrOf(testKey(i)), 0, rich)
	}
	p := New(cfg, testChainID, st)
	p.Reset(st, testBaseFee, testGasLimit, nil)
	return p, st
}

func signTx(t testing.TB, k *ecdsa.PrivateKey, chainID *big.Int, data types.TxData) *types.Transaction {
	t.Helper()
	tx, err := types.SignNewTx(k, types.LatestSignerForChainID(chainID), data)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// dyn is a signed EIP-1559 transfer from k.
func dyn(t testing.TB, k *ecdsa.PrivateKey, nonce uint64, feeCap, tip int64) *types.Transaction {
	t.Helper()
	return signTx(t, k, testChainID, &types.DynamicFeeTx{
		ChainID: testChainID, Nonce: nonce, GasFeeCap: big.NewInt(feeCap), GasTipCap: big.NewInt(tip),
		Gas: 21000, To: &recipient, Value: big.NewInt(1),
	})
}

// checkInvariants verifies the pool's bookkeeping against its contents.
func checkInvariants(t testing.TB, p *Pool) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var pending, queued, all int
	var gas uint64
	for addr, a := range p.mu.accounts {
		if a.addr != addr || len(a.txs) == 0 {
			t.Fatalf("account %v: addr %v, %d txs", addr, a.addr, len(a.txs))
		}
		cost := new(big.Int)
		for i, tx := range a.txs {
			if i > 0 && a.txs[i-1].nonce >= tx.nonce {
				t.Fatalf("account %v: nonces out of order", addr)
			}
			if want := i < a.pending; tx.pending != want {
				t.Fatalf("account %v tx %d: pending flag %v, want %v", addr, tx.nonce, tx.pending, want)
			}
			if i < a.pending {
				if tx.nonce != a.stateNonce+uint64(i) {
					t.Fatalf("account %v: executable nonce %d at %d from %d", addr, tx.nonce, i, a.stateNonce)
				}
				gas += tx.gas
			}
			if p.mu.all[tx.hash] != tx {
				t.Fatalf("account %v: tx %d missing from index", addr, tx.nonce)
			}
			cost.Add(cost, tx.cost)
		}
		if a.pending < len(a.txs) && a.txs[a.pending].nonce == a.stateNonce+uint64(a.pending) {
			t.Fatalf("account %v: executable tx %d left queued", addr, a.txs[a.pending].nonce)
		}
		if cost.Cmp(a.cost) != 0 {
			t.Fatalf("account %v: cost %v, sum %v", addr, a.cost, cost)
		}
		pending += a.pending
		queued += a.queued()
		all += len(a.txs)
	}
	if pending != p.mu.pending || queued != p.mu.queued || gas != p.mu.pendingGas || all != len(p.mu.all) {
		t.Fatalf("totals: pending %d/%d queued %d/%d gas %d/%d indexed %d/%d",
			p.mu.pending, pending, p.mu.queued, queued, p.mu.pendingGas, gas, len(p.mu.all), all)
	}
}

// drain returns everything a Source yields, accepting every transaction.
func drain(s *Source) []*types.Transaction {
	var out []*types.Transaction
	for tx, _ := s.Peek(); tx != nil; tx, _ = s.Peek() {
		out = append(out, tx)
		s.Shift()
	}
	return out
}
