package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/htlc"
	"github.com/aspen-chain/aspen/types"
)

// A proven call is eth_call run by someone who holds no state, only
// accounts and slots proven against a state root (the light client). The
// call reads its state through a recording reader: every account and slot
// the EVM (or the gateway and HTLC precompiles) loads from the base state is
// reported as touched, and one that was not supplied reads as absent. The
// caller proves what is touched and not yet supplied and runs the call
// again, until nothing new is touched; only then is the result the one the
// full state gives.

// ProvenAccount is an account as a proof shows it, with its code and the
// values of the storage slots proven so far.
type ProvenAccount struct {
	Nonce       uint64
	Balance     *big.Int
	StorageRoot common.Hash // gethtypes.EmptyRootHash: no storage
	CodeHash    common.Hash // gethtypes.EmptyCodeHash: no code
	Code        []byte      // must hash to CodeHash
	Storage     map[common.Hash]common.Hash
}

// Touched is what a call read of the base state: accounts, and storage
// slots per account, each sorted.
type Touched struct {
	Accounts []common.Address
	Slots    map[common.Address][]common.Hash
}

// CallConfig names the chain a proven call runs on.
type CallConfig struct {
	Subnet  types.SubnetID
	ChainID *big.Int
	GasCap  uint64 // 0: the executor's default
}

// ErrProvenState reports supplied accounts that are not self-consistent.
var ErrProvenState = errors.New("evm: inconsistent proven state")

// ProvenCall runs args in the block header describes (the block the call
// executes in: its height, parent hash, time, proposer, gas limit and base
// fee) against accounts, with the gateway and HTLC precompiles installed as
// in the executor's Call. It returns the call's result, what the call read
// of the base state, and an error for a call that cannot run at all. The
// result is the one the full state gives only if every touched account and
// slot was supplied. BLOCKHASH answers only for the parent.
func ProvenCall(ctx context.Context, cfg CallConfig, header *types.Header, accounts map[common.Address]ProvenAccount, args execution.CallArgs) (*execution.CallResult, Touched, error) {
	if cfg.ChainID == nil || header == nil {
		return nil, Touched{}, errors.New("evm: proven call needs a chain ID and a header")
	}
	for addr, a := range accounts {
		if h := crypto.Keccak256Hash(a.Code); h != a.CodeHash && !(len(a.Code) == 0 && a.CodeHash == (common.Hash{})) {
			return nil, Touched{}, fmt.Errorf("%w: code of %s hashes to %s, the account says %s", ErrProvenState, addr, h, a.CodeHash)
		}
		if a.Balance != nil && (a.Balance.Sign() < 0 || a.Balance.BitLen() > 256) {
			return nil, Touched{}, fmt.Errorf("%w: balance of %s out of range", ErrProvenState, addr)
		}
	}
	gw, err := gateway.New(cfg.Subnet, gateway.Options{})
	if err != nil {
		return nil, Touched{}, err
	}
	swaps, err := htlc.New(cfg.Subnet)
	if err != nil {
		return nil, Touched{}, err
	}
	chain := ChainConfig(cfg.ChainID)
	e := &Executor{config: chain, gateway: gw, htlc: swaps}
	e.precompiles = vm.ActivePrecompiledContracts(chain.Rules(new(big.Int).SetUint64(header.Height), true, header.Time()))
	if cfg.GasCap == 0 {
		cfg.GasCap = defaultGasCap
	}

	reader := &provenReader{accounts: accounts, slots: map[common.Address]map[common.Hash]bool{}, seen: map[common.Address]bool{}}
	sdb, err := state.NewWithReader(gethtypes.EmptyRootHash, state.NewDatabaseForTesting(), reader)
	if err != nil {
		return nil, Touched{}, err
	}
	parent := header.ParentHash
	blockCtx := e.blockContext(header, e.store.CanonicalHash)
	blockCtx.GetHash = func(n uint64) common.Hash {
		if n+1 == header.Height {
			return parent
		}
		return common.Hash{}
	}
	env := &callEnv{statedb: sdb, header: header, ctx: blockCtx}
	msg, err := toMessage(args, blockCtx.BaseFee, cfg.GasCap)
	if err != nil {
		return nil, Touched{}, err
	}
	res, err := e.run(ctx, env, msg, vm.Config{}, cfg.GasCap)
	touched := reader.touched()
	if err != nil {
		return nil, touched, err
	}
	out := &execution.CallResult{ReturnData: res.Return(), UsedGas: res.UsedGas, Err: res.Err}
	if errors.Is(res.Err, vm.ErrExecutionReverted) {
		out.ReturnData = res.Revert()
		out.Err = NewRevertError(res.Revert())
	}
	return out, touched, nil
}

// provenReader is state.Reader over proven accounts, recording every read.
type provenReader struct {
	accounts map[common.Address]ProvenAccount

	mu    sync.Mutex
	seen  map[common.Address]bool
	slots map[common.Address]map[common.Hash]bool
}

var _ state.Reader = (*provenReader)(nil)

func (r *provenReader) Account(addr common.Address) (*gethtypes.StateAccount, error) {
	r.mu.Lock()
	r.seen[addr] = true
	r.mu.Unlock()
	a, ok := r.accounts[addr]
	if !ok {
		return nil, nil
	}
	bal := new(uint256.Int)
	if a.Balance != nil {
		bal = uint256.MustFromBig(a.Balance)
	}
	root, codeHash := a.StorageRoot, a.CodeHash
	if root == (common.Hash{}) {
		root = gethtypes.EmptyRootHash
	}
	if codeHash == (common.Hash{}) {
		codeHash = gethtypes.EmptyCodeHash
	}
	if a.Nonce == 0 && bal.IsZero() && root == gethtypes.EmptyRootHash && codeHash == gethtypes.EmptyCodeHash {
		return nil, nil // proven absent (or empty): as the trie has it
	}
	return &gethtypes.StateAccount{Nonce: a.Nonce, Balance: bal, Root: root, CodeHash: codeHash.Bytes()}, nil
}

func (r *provenReader) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	r.mu.Lock()
	r.seen[addr] = true
	if r.slots[addr] == nil {
		r.slots[addr] = map[common.Hash]bool{}
	}
	r.slots[addr][slot] = true
	r.mu.Unlock()
	return r.accounts[addr].Storage[slot], nil
}

func (r *provenReader) code(addr common.Address, codeHash common.Hash) []byte {
	a, ok := r.accounts[addr]
	if !ok || a.CodeHash != codeHash {
		return nil
	}
	return a.Code
}

func (r *provenReader) Has(addr common.Address, codeHash common.Hash) bool {
	return r.code(addr, codeHash) != nil
}

func (r *provenReader) Code(addr common.Address, codeHash common.Hash) []byte {
	return r.code(addr, codeHash)
}

func (r *provenReader) CodeSize(addr common.Address, codeHash common.Hash) int {
	return len(r.code(addr, codeHash))
}

func (r *provenReader) touched() Touched {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := Touched{Slots: map[common.Address][]common.Hash{}}
	for addr := range r.seen {
		t.Accounts = append(t.Accounts, addr)
	}
	sort.Slice(t.Accounts, func(i, j int) bool { return t.Accounts[i].Cmp(t.Accounts[j]) < 0 })
	for addr, slots := range r.slots {
		list := make([]common.Hash, 0, len(slots))
		for s := range slots {
			list = append(list, s)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Cmp(list[j]) < 0 })
		t.Slots[addr] = list
	}
	return t
}
