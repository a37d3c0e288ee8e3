package light

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// eth_call, verified: the call runs locally on accounts and slots proven
// against one verified state root. Each run reports what it read; what it
// read that is not proven yet is fetched with eth_getProof, verified, and
// the call runs again, until a run reads nothing new. That last run saw
// only proven state, so its result is the one the full state gives.

// Bounds of one verified call.
const (
	maxCallRounds   = 8
	maxCallAccounts = 64
	maxCallSlots    = 512
	callGasLimit    = 50_000_000
)

// ErrCallTooLarge: a call needs more rounds, accounts or slots than one
// verified call may prove.
var ErrCallTooLarge = errors.New("light: call reads too much state to prove")

// CallAccount is an account proven for a call: its code and the slots
// proven so far.
type CallAccount struct {
	Nonce       uint64
	Balance     *big.Int
	StorageRoot common.Hash
	CodeHash    common.Hash
	Code        []byte
	Storage     map[common.Hash]common.Hash
}

// CallTouched is what one run of a call read of the base state.
type CallTouched struct {
	Accounts []common.Address
	Slots    map[common.Address][]common.Hash
}

// CallChain names the chain a call runs on.
type CallChain struct {
	Subnet  types.SubnetID
	ChainID uint64
}

// Executor runs a call in the block header describes on accounts only,
// reporting what it read (cmd/aspen passes the EVM's ProvenCall; this
// package does not import the EVM).
type Executor func(ctx context.Context, chain CallChain, header *types.Header, accounts map[common.Address]CallAccount, args execution.CallArgs) (*execution.CallResult, CallTouched, error)

// CallOutcome is a call's result with what it took to verify it.
type CallOutcome struct {
	Result   *execution.CallResult
	Anchor   *Anchor
	Rounds   int // runs of the call
	Accounts int // accounts proven
	Slots    int // storage slots proven
	Sizes    Sizes
}

// Call runs args with exec on subnet's newest verified state, in the
// context of the block after it (its time: the local clock; proposer and
// base fee zero), proving every account and slot the call reads.
func (c *Client) Call(ctx context.Context, exec Executor, subnet types.SubnetID, args execution.CallArgs) (*CallOutcome, error) {
	if exec == nil {
		return nil, errors.New("light: no executor for calls")
	}
	a, sz, err := c.Anchor(ctx, subnet)
	if err != nil {
		return nil, err
	}
	t := c.Trusted()
	chain := CallChain{Subnet: subnet, ChainID: t.ChainID}
	if subnet != t.Subnet {
		chain.ChainID = gateway.ChainIDFor(subnet)
	}
	header := &types.Header{SubnetID: subnet, Height: a.Height + 1, ParentHash: a.BlockHash,
		TimeMs: uint64(c.now().UnixMilli()), GasLimit: callGasLimit}

	out := &CallOutcome{Anchor: a}
	accounts := map[common.Address]CallAccount{}
	need := map[common.Address][]common.Hash{args.From: nil}
	if args.To != nil {
		need[*args.To] = nil
	}
	for {
		for addr, slots := range need {
			n, err := c.proveForCall(ctx, a, accounts, addr, slots)
			sz.State += n
			if err != nil {
				return nil, err
			}
		}
		out.Accounts = len(accounts)
		out.Slots = 0
		for _, acc := range accounts {
			out.Slots += len(acc.Storage)
		}
		if out.Accounts > maxCallAccounts || out.Slots > maxCallSlots {
			return nil, fmt.Errorf("%w: %d accounts and %d slots, at most %d and %d", ErrCallTooLarge, out.Accounts, out.Slots, maxCallAccounts, maxCallSlots)
		}
		if out.Rounds == maxCallRounds {
			return nil, fmt.Errorf("%w: still reading new state after %d runs", ErrCallTooLarge, maxCallRounds)
		}
		out.Rounds++
		res, touched, err := exec(ctx, chain, header, accounts, args)
		if err != nil {
			return nil, err
		}
		need = missing(accounts, touched)
		if len(need) == 0 {
			out.Result, out.Sizes = res, sz
			return out, nil
		}
	}
}

// missing is what touched names that accounts does not hold.
func missing(accounts map[common.Address]CallAccount, touched CallTouched) map[common.Address][]common.Hash {
	need := map[common.Address][]common.Hash{}
	for _, addr := range touched.Accounts {
		if _, ok := accounts[addr]; !ok {
			need[addr] = nil
		}
	}
	for addr, slots := range touched.Slots {
		for _, s := range slots {
			if _, ok := accounts[addr].Storage[s]; !ok {
				need[addr] = append(need[addr], s)
			}
		}
	}
	return need
}

// proveForCall proves addr (with its code, the first time) and slots at a
// into accounts; it returns the proof bytes read.
func (c *Client) proveForCall(ctx context.Context, a *Anchor, accounts map[common.Address]CallAccount, addr common.Address, slots []common.Hash) (int, error) {
	size := 0
	acc, known := accounts[addr]
	for first := true; first || len(slots) > 0; first = false {
		batch := slots[:min(len(slots), maxStorageSlots)]
		slots = slots[len(batch):]
		p, err := c.remote.accountProof(ctx, a.Subnet, addr, batch, a.Height)
		if err != nil {
			return size, err
		}
		size += p.size()
		proven, err := verifyAccount(a, addr, batch, p)
		if err != nil {
			return size, err
		}
		if !known {
			acc = CallAccount{Nonce: proven.Account.Nonce, Balance: proven.Account.Balance, StorageRoot: proven.Account.StorageRoot,
				CodeHash: proven.Account.CodeHash, Storage: map[common.Hash]common.Hash{}}
			if acc.CodeHash != gethtypes.EmptyCodeHash {
				code, err := c.remote.code(ctx, a.Subnet, addr, a.Height)
				if err != nil {
					return size, err
				}
				size += len(code)
				if h := crypto.Keccak256Hash(code); h != acc.CodeHash {
					return size, fmt.Errorf("%w: code of %s hashes to %s, the account's code hash is %s", ErrStateProof, addr, h, acc.CodeHash)
				}
				acc.Code = code
			}
			known = true
		}
		for i, s := range batch {
			acc.Storage[s] = proven.Storage[i]
		}
	}
	accounts[addr] = acc
	return size, nil
}
