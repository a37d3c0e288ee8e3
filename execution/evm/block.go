package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// ErrBlobTx is why blob transactions are skipped by Build and rejected by Execute.
var ErrBlobTx = errors.New("evm: blob transactions (type 3) are not supported")

// pending is the uncommitted state of an executed block.
type pending struct {
	statedb *state.StateDB
}

// blockRun is one block being executed.
type blockRun struct {
	e        *Executor
	header   *types.Header
	statedb  *state.StateDB
	evm      *vm.EVM
	gp       *core.GasPool
	txs      gethtypes.Transactions
	receipts gethtypes.Receipts
	sysLogs  []*gethtypes.Log // logs of the top-down messages applied before txs
	src      *blockSource
	// downRead is the parent chain's messages applyTopDown applied; nil if
	// it read none. A witness carries them.
	downRead *topDownRead
}

func (e *Executor) startBlock(parent, h *types.Header, src *blockSource) (*blockRun, error) {
	sdb, err := state.New(parent.StateRoot, src.state)
	if err != nil {
		return nil, fmt.Errorf("evm: state of block %d (root %s): %w: %w", parent.Height, parent.StateRoot, errStateRead, err)
	}
	if src.witness != nil {
		// With a witness the prefetcher loads every path read, not only
		// written ones, and IntermediateRoot hands it the nodes touched.
		sdb.StartPrefetcher("witness", src.witness)
	}
	return &blockRun{
		e:       e,
		header:  h,
		statedb: sdb,
		evm:     e.newEVM(e.blockContext(h, src.hashes), sdb, vm.Config{}),
		gp:      core.NewGasPool(h.GasLimit),
		src:     src,
	}, nil
}

// readFault is the run's failed state read, if any, else err. A read that
// failed (a trie node or code missing: a disk fault on a node, an
// incomplete witness in a stateless run) read as empty state, so whatever
// went wrong after it, or whatever root came of it, is its doing.
func (r *blockRun) readFault(err error) error {
	if dbErr := r.statedb.Error(); dbErr != nil {
		return fmt.Errorf("%w: %w", errStateRead, dbErr)
	}
	return err
}

// release frees the run's EVM and stops its prefetcher, if any.
func (r *blockRun) release() {
	r.evm.Release()
	r.statedb.StopPrefetcher()
}

// apply runs one transaction from a known sender; on error the state and gas
// pool are as before.
func (r *blockRun) apply(tx *gethtypes.Transaction, from common.Address, blockHash common.Hash) error {
	if tx.Type() == gethtypes.BlobTxType {
		return ErrBlobTx
	}
	if tx.Protected() && tx.ChainId().Cmp(r.e.config.ChainID) != 0 {
		return fmt.Errorf("%w: have %s, want %s", gethtypes.ErrInvalidChainId, tx.ChainId(), r.e.config.ChainID)
	}
	msg, err := txToMessage(tx, from, r.header.BaseFee)
	if err != nil {
		return err
	}
	snap, gp := r.statedb.Snapshot(), r.gp.Snapshot()
	r.statedb.SetTxContext(tx.Hash(), len(r.txs), 0)
	receipt, _, err := core.ApplyTransactionWithEVM(context.Background(), msg, r.gp, r.statedb,
		r.evm.Context.BlockNumber, blockHash, r.header.Time(), tx, r.evm)
	if err != nil {
		r.statedb.RevertToSnapshot(snap)
		r.gp.Set(gp)
		return err
	}
	r.e.opts.Fault.forge(r, tx, from)
	r.txs = append(r.txs, tx)
	r.receipts = append(r.receipts, receipt)
	return nil
}

// finish pays the block reward, if the chain has one, and fills the
// header's roots and totals.
func (r *blockRun) finish() {
	h := r.header
	if reward := r.e.genesis.BlockRewardWei(); reward.Sign() > 0 && h.Height > 0 {
		r.statedb.AddBalance(h.Proposer, uint256.MustFromBig(reward), tracing.BalanceIncreaseRewardMineBlock)
	}
	h.StateRoot = r.statedb.IntermediateRoot(r.e.rules(h))
	h.TxRoot = types.TxRoot(r.txs)
	h.ReceiptRoot = types.ReceiptRoot(r.receipts)
	h.Bloom = gethtypes.MergeBloom(r.receipts)
	for _, l := range r.sysLogs {
		h.Bloom.Add(l.Address.Bytes())
		for _, t := range l.Topics {
			h.Bloom.Add(t[:])
		}
	}
	h.GasUsed = 0
	if n := len(r.receipts); n > 0 {
		h.GasUsed = r.receipts[n-1].CumulativeGasUsed
	}
}

func (r *blockRun) executed() *execution.Executed {
	if r.receipts == nil {
		r.receipts = gethtypes.Receipts{}
	}
	// The StateDB numbered the transactions' logs after the system logs;
	// in a block they come first (as the store derives them on read).
	var txLogs uint
	for _, rc := range r.receipts {
		for _, l := range rc.Logs {
			l.Index = txLogs
			txLogs++
		}
	}
	store.DeriveSystemLogFields(r.sysLogs, r.header, len(r.txs), txLogs)
	return &execution.Executed{
		Block:      &types.Block{Header: r.header, Txs: r.txs},
		Receipts:   r.receipts,
		SystemLogs: r.sysLogs,
		Pending:    &pending{statedb: r.statedb},
	}
}

// Build makes a block on parent with as many transactions from txs as fit.
// A transaction that cannot apply (nonce, balance, gas limit, …) is skipped
// with all later ones of its sender (Pop); one whose nonce is already used is
// skipped alone (Shift).
func (e *Executor) Build(parent *types.Header, attrs execution.Attributes, txs execution.TxSource) (*execution.Executed, error) {
	if attrs.TimeMs <= parent.TimeMs {
		return nil, fmt.Errorf("evm: block time %d ms must be after the parent's %d ms", attrs.TimeMs, parent.TimeMs)
	}
	h := e.nextHeader(parent, attrs.TimeMs, attrs.Proposer)
	h.ParentRef, h.Difficulty = attrs.ParentRef, attrs.Difficulty
	src := e.source()
	run, err := e.startBlock(parent, h, src)
	if err != nil {
		return nil, err
	}
	if err := run.applyTopDown(parent); err != nil {
		// Not final here yet, or gone backwards: build with the old reference.
		run.evm.Release()
		h.ParentRef = parent.ParentRef
		if run, err = e.startBlock(parent, h, src); err != nil {
			return nil, err
		}
	}
	defer run.evm.Release()
	run.processObjects()
	for {
		if run.gp.Available(false) < params.TxGas {
			break
		}
		tx, from := txs.Peek()
		if tx == nil {
			break
		}
		err := run.apply(tx, from, common.Hash{})
		switch {
		case err == nil:
			txs.Shift()
		case errors.Is(err, core.ErrNonceTooLow):
			txs.Shift()
		default:
			txs.Pop()
		}
	}
	run.finish()
	ex := run.executed()
	ex.Block.Evidence = attrs.Evidence
	h.EvidenceHash = types.EvidenceHash(attrs.Evidence)
	hash := h.Hash()
	for _, r := range ex.Receipts {
		r.BlockHash = hash
		for _, l := range r.Logs {
			l.BlockHash = hash
		}
	}
	return ex, nil
}

// Execute replays a block built elsewhere on its (committed) parent and
// checks its header; every error wraps execution.ErrInvalidBlock.
func (e *Executor) Execute(block *types.Block) (*execution.Executed, error) {
	ex, err := e.execute(block)
	if err != nil {
		return nil, fmt.Errorf("%w: block %d %s: %w", execution.ErrInvalidBlock, block.Height(), block.Hash(), err)
	}
	return ex, nil
}

func (e *Executor) execute(block *types.Block) (*execution.Executed, error) {
	h := block.Header
	parent, err := e.store.HeaderByHash(h.ParentHash)
	if err != nil {
		return nil, fmt.Errorf("parent %s: %w", h.ParentHash, err)
	}
	run, err := e.replay(parent, block, e.source())
	if err != nil {
		return nil, err
	}
	ex := run.executed()
	ex.Block = block
	return ex, nil
}

// replay executes block on parent with what src gives it and checks every
// field of its header: the one path by which a validator executes a block
// built elsewhere, a node re-executes a block for its witness, and a
// stateless verifier executes it from a witness.
func (e *Executor) replay(parent *types.Header, block *types.Block, src *blockSource) (*blockRun, error) {
	h := block.Header
	want := e.nextHeader(parent, h.TimeMs, h.Proposer)
	switch {
	case h.SubnetID != want.SubnetID:
		return nil, fmt.Errorf("subnet %s, want %s", h.SubnetID, want.SubnetID)
	case h.Height != want.Height:
		return nil, fmt.Errorf("height %d, want %d", h.Height, want.Height)
	case h.TimeMs <= parent.TimeMs:
		return nil, fmt.Errorf("time %d ms is not after the parent's %d ms", h.TimeMs, parent.TimeMs)
	case h.GasLimit != want.GasLimit:
		return nil, fmt.Errorf("gas limit %d, want %d", h.GasLimit, want.GasLimit)
	case h.BaseFee == nil || h.BaseFee.Cmp(want.BaseFee) != 0:
		return nil, fmt.Errorf("base fee %v, want %s", h.BaseFee, want.BaseFee)
	case h.GasUsed > h.GasLimit:
		return nil, fmt.Errorf("gas used %d over the limit %d", h.GasUsed, h.GasLimit)
	}
	if root := types.TxRoot(block.Txs); root != h.TxRoot {
		return nil, fmt.Errorf("tx root %s, header says %s", root, h.TxRoot)
	}
	senders, err := e.recoverSenders(block.Txs)
	if err != nil {
		return nil, err
	}
	want.StateRoot, want.ParentRef, want.Difficulty = h.StateRoot, h.ParentRef, h.Difficulty
	run, err := e.startBlock(parent, want, src)
	if err != nil {
		return nil, err
	}
	defer run.release()
	if err := run.applyTopDown(parent); err != nil {
		return nil, run.readFault(err)
	}
	run.processObjects()
	hash := block.Hash()
	for i, tx := range block.Txs {
		if err := run.apply(tx, senders[i], hash); err != nil {
			return nil, run.readFault(fmt.Errorf("tx %d %s: %w", i, tx.Hash(), err))
		}
	}
	run.finish()
	if err := run.readFault(nil); err != nil {
		return nil, err
	}
	got := run.header
	switch {
	case got.GasUsed != h.GasUsed:
		return nil, fmt.Errorf("gas used %d, header says %d", got.GasUsed, h.GasUsed)
	case got.Bloom != h.Bloom:
		return nil, errors.New("logs bloom differs from the header's")
	case got.ReceiptRoot != h.ReceiptRoot:
		return nil, fmt.Errorf("receipt root %s, header says %s", got.ReceiptRoot, h.ReceiptRoot)
	case got.StateRoot != h.StateRoot:
		return nil, fmt.Errorf("state root %s, header says %s", got.StateRoot, h.StateRoot)
	case types.EvidenceHash(block.Evidence) != h.EvidenceHash:
		return nil, errors.New("evidence does not match the header's evidence hash")
	case !sameValidators(got.NextValidators, h.NextValidators):
		return nil, fmt.Errorf("next validators %d seats, header says %d: the block's top-down config changes lead elsewhere", len(got.NextValidators), len(h.NextValidators))
	}
	return run, nil
}

// recoverSenders returns every sender: known ones from the sender cache, the
// rest recovered in parallel (and cached on the transactions).
func (e *Executor) recoverSenders(txs gethtypes.Transactions) ([]common.Address, error) {
	senders := make([]common.Address, len(txs))
	errs := make([]error, len(txs))
	workers := min(runtime.GOMAXPROCS(0), len(txs))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(txs); i += workers {
				if c := e.opts.Senders; c != nil {
					if from, ok := c.KnownSender(txs[i].Hash()); ok {
						senders[i] = from
						continue
					}
				}
				senders[i], errs[i] = gethtypes.Sender(e.signer, txs[i])
			}
		}(w)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("tx %d %s: sender: %w", i, txs[i].Hash(), err)
		}
	}
	return senders, nil
}

// txToMessage is core.TransactionToMessage with a sender already known, so
// Build never recovers a signature the mempool has recovered.
func txToMessage(tx *gethtypes.Transaction, from common.Address, baseFee *big.Int) (*core.Message, error) {
	u := func(name string, v *big.Int) (*uint256.Int, error) {
		x, overflow := uint256.FromBig(v)
		if overflow {
			return nil, fmt.Errorf("%s exceeds 256 bits: address %v", name, from)
		}
		return x, nil
	}
	feeCap, err := u("maxFeePerGas", tx.GasFeeCap())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", core.ErrFeeCapVeryHigh, err)
	}
	tipCap, err := u("maxPriorityFeePerGas", tx.GasTipCap())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", core.ErrTipVeryHigh, err)
	}
	value, err := u("value", tx.Value())
	if err != nil {
		return nil, err
	}
	price := new(big.Int).Add(baseFee, tx.GasTipCap())
	if price.Cmp(tx.GasFeeCap()) > 0 {
		price = tx.GasFeeCap()
	}
	return &core.Message{
		From:                  from,
		Nonce:                 tx.Nonce(),
		GasLimit:              tx.Gas(),
		GasPrice:              uint256.MustFromBig(price),
		GasFeeCap:             feeCap,
		GasTipCap:             tipCap,
		To:                    tx.To(),
		Value:                 value,
		Data:                  tx.Data(),
		AccessList:            tx.AccessList(),
		SetCodeAuthorizations: tx.SetCodeAuthorizations(),
	}, nil
}
